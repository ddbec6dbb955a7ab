package dev.ssefs.keys;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ssefs.keys.crypto.CiphertextBlob;
import dev.ssefs.keys.crypto.EncryptionContextCodec;
import dev.ssefs.keys.crypto.Randomness;
import dev.ssefs.keys.crypto.WrappingAlgorithm;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * CMKs and aliases: the state machine, lazy Clock-driven maintenance (deletion, material expiry, rotation) and the
 * data-key crypto. No RAM checks here; {@link KmsView} authorizes before calling in.
 *
 * <p>Readers never lock: keys are immutable {@link LiveKey} snapshots in a ConcurrentHashMap. Every mutation runs
 * under one write lock, persists first and publishes the new snapshot only after the commit succeeded.
 */
final class KeyRegistry {
    static final String KEY_PREFIX = "cmk/";
    static final String ALIAS_PREFIX = "alias/";
    static final String DEFAULT_OSS_ALIAS = "alias/acs/oss";
    static final int MAX_ENCRYPT_BYTES = 6144;

    private final SealedStore store;
    private final Clock clock;
    private final String region;
    private final String accountId;
    private final ObjectMapper json = new ObjectMapper();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentHashMap<String, LiveKey> keys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AliasRecord> aliases = new ConcurrentHashMap<>();
    final ByokImports byok;

    record AliasRecord(String aliasName, String keyId, long creationMs) {}

    KeyRegistry(SealedStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.region = store.region();
        this.accountId = store.accountId();
        this.byok = new ByokImports(this);
        try {
            for (Map.Entry<String, byte[]> e : store.loadedRecords().entrySet()) {
                if (e.getKey().startsWith(KEY_PREFIX)) {
                    KeyRecord r = json.readValue(e.getValue(), KeyRecord.class);
                    keys.put(r.keyId, new LiveKey(r, region, accountId));
                } else if (e.getKey().startsWith(ALIAS_PREFIX)) {
                    AliasRecord a = json.readValue(e.getValue(), AliasRecord.class);
                    aliases.put(a.aliasName(), a);
                }
            }
        } catch (IOException e) {
            throw new KeyStoreException("keys.db holds a record this ssefs cannot read: " + e.getMessage(), e);
        }
    }

    String region() { return region; }

    String accountId() { return accountId; }

    long now() { return clock.millis(); }

    String keyArn(String keyId) { return KeyMetadataView.arn(region, accountId, keyId); }

    // ---------------------------------------------------------------- lookup and lazy maintenance

    /** Alias or key id (or key/alias ARN) to key id; does not check that the key exists. */
    String resolveKeyId(String keyIdOrAlias) {
        if (keyIdOrAlias == null || keyIdOrAlias.isBlank()) throw KmsErrors.invalidParameter("KeyId is required.");
        String s = keyIdOrAlias;
        if (s.startsWith("acs:kms:")) {
            int k = s.indexOf(":key/");
            int a = s.indexOf(":alias/");
            if (k > 0) s = s.substring(k + 5);
            else if (a > 0) s = s.substring(a + 1);
        }
        if (s.startsWith(ALIAS_PREFIX)) {
            AliasRecord a = aliases.get(s);
            if (a == null) throw KmsErrors.aliasNotFound();
            return a.keyId();
        }
        return s;
    }

    /** The key in any state, after due maintenance; 404 when unknown or destroyed. */
    LiveKey existing(String keyId) {
        LiveKey k = keys.get(keyId);
        if (k == null) throw KmsErrors.keyNotFound();
        if (now() >= k.nextEventMs) {
            k = maintain(keyId);
            if (k == null) throw KmsErrors.keyNotFound();
        }
        return k;
    }

    /** The key, which must be Enabled (409 Rejected.&lt;State&gt; otherwise). The hot path: lock-free when nothing is due. */
    LiveKey usable(String keyId) {
        LiveKey k = existing(keyId);
        if (!KeyStates.ENABLED.equals(k.record.state)) throw KmsErrors.rejectedState(k.record.state);
        return k;
    }

    /** Applies what the clock says is due: destruction after the deletion window, material expiry, rotation. */
    private LiveKey maintain(String keyId) {
        writeLock.lock();
        try {
            LiveKey k = keys.get(keyId);
            if (k == null) return null;
            long now = now();
            if (now < k.nextEventMs) return k;
            KeyRecord r = k.record.copy();
            if (KeyStates.PENDING_DELETION.equals(r.state) && now >= r.deleteDateMs) {
                purge(k);
                return null;
            }
            boolean materialDestroyed = false;
            if (r.materialExpireMs > 0 && now >= r.materialExpireMs && r.hasMaterial()) {
                for (KeyRecord.VersionRecord v : r.versions) v.material = null;
                r.materialExpireMs = 0;
                if (!KeyStates.PENDING_DELETION.equals(r.state)) r.state = KeyStates.PENDING_IMPORT;
                materialDestroyed = true;
            }
            if (LiveKey.rotates(r) && now >= r.lastRotationMs + r.rotationIntervalSeconds * 1000L) {
                addVersion(r, now);
            }
            LiveKey live = publish(r);
            if (materialDestroyed) store.rewriteLiveRecordsOnly();
            return live;
        } finally {
            writeLock.unlock();
        }
    }

    /** Destroys a key whose deletion window has passed: its record, material and aliases are removed for good. */
    private void purge(LiveKey k) {
        List<String> deletes = new ArrayList<>();
        deletes.add(KEY_PREFIX + k.record.keyId);
        for (AliasRecord a : aliases.values()) {
            if (a.keyId().equals(k.record.keyId)) deletes.add(ALIAS_PREFIX + a.aliasName());
        }
        store.write(Map.of(), deletes, true);
        store.rewriteLiveRecordsOnly();
        aliases.values().removeIf(a -> a.keyId().equals(k.record.keyId));
        keys.remove(k.record.keyId);
        k.destroy();
        for (KeyRecord.VersionRecord v : k.record.versions) {
            if (v.material != null) Arrays.fill(v.material, (byte) 0);
        }
    }

    /** Runs due maintenance on every key (ListKeys shows the present, not the past). */
    void maintainAll() {
        long now = now();
        for (LiveKey k : keys.values()) {
            if (now >= k.nextEventMs) maintain(k.record.keyId);
        }
    }

    private static void addVersion(KeyRecord r, long now) {
        String v = UUID.randomUUID().toString();
        int bytes = KeyStates.SPEC_SM4.equals(r.keySpec) ? 16 : 32;
        r.versions.add(new KeyRecord.VersionRecord(v, now, Randomness.bytes(bytes)));
        r.primaryVersionId = v;
        r.lastRotationMs = now;
    }

    /** Persists then publishes; call with the write lock held. */
    LiveKey publish(KeyRecord r) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(r);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise key record", e);
        }
        LiveKey old = keys.get(r.keyId);
        boolean destroysMaterial = old != null && materialVersions(r) < materialVersions(old.record);
        try {
            store.write(Map.of(KEY_PREFIX + r.keyId, bytes), List.of(), destroysMaterial);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        LiveKey live = new LiveKey(r, region, accountId);
        keys.put(r.keyId, live);
        return live;
    }

    private static long materialVersions(KeyRecord r) {
        return r.versions.stream().filter(v -> v.material != null).count();
    }

    /**
     * The sweep (on open and periodically): applies every passed deletion window and material expiry, then redoes a
     * keys.db rewrite that failed or was cut short by a crash, so destroyed material does not linger in the file.
     */
    void sweep() {
        maintainAll();
        writeLock.lock();
        try {
            store.shredIfPending();
        } finally {
            writeLock.unlock();
        }
    }

    void lock() { writeLock.lock(); }

    /** After material is destroyed: drop superseded sealed copies from keys.db (see SealedStore). */
    void shredSupersededRecords() { store.rewriteLiveRecordsOnly(); }

    void unlock() { writeLock.unlock(); }

    // ---------------------------------------------------------------- lifecycle

    LiveKey createKey(Kms.CreateKeyRequest req, boolean service, String creator) {
        String spec = req.keySpec() == null || req.keySpec().isEmpty() ? KeyStates.SPEC_AES_256 : req.keySpec();
        if (!KeyStates.SPEC_AES_256.equals(spec) && !KeyStates.SPEC_SM4.equals(spec)) {
            throw KmsErrors.invalidParameter("KeySpec must be Aliyun_AES_256 or Aliyun_SM4, not '" + spec + "'.");
        }
        String origin = req.origin() == null || req.origin().isEmpty() ? KeyStates.ORIGIN_KMS : req.origin();
        if (!KeyStates.ORIGIN_KMS.equals(origin) && !KeyStates.ORIGIN_EXTERNAL.equals(origin)) {
            throw KmsErrors.invalidParameter("Origin must be Aliyun_KMS or EXTERNAL, not '" + origin + "'.");
        }
        boolean external = KeyStates.ORIGIN_EXTERNAL.equals(origin);
        Duration interval = req.rotationInterval();
        if (interval != null) {
            long secs = interval.getSeconds();
            if (secs < KeyStates.MIN_ROTATION_DAYS * 86400 || secs > KeyStates.MAX_ROTATION_DAYS * 86400) {
                throw KmsErrors.invalidParameter("RotationInterval must be between 7 and 730 days, not "
                        + secs + "s.");
            }
        }
        if (external && req.enableAutomaticRotation()) {
            throw KmsErrors.unsupported("Keys with Origin EXTERNAL cannot rotate automatically.");
        }
        String description = req.description() == null ? "" : req.description();
        if (description.length() > 8192) throw KmsErrors.invalidParameter("Description is longer than 8192 characters.");
        writeLock.lock();
        try {
            long now = now();
            KeyRecord r = new KeyRecord();
            r.keyId = UUID.randomUUID().toString();
            r.keySpec = spec;
            r.origin = origin;
            r.description = description;
            r.creator = creator;
            r.service = service;
            r.creationMs = now;
            r.automaticRotation = req.enableAutomaticRotation();
            r.rotationIntervalSeconds = req.enableAutomaticRotation()
                    ? (interval == null ? KeyStates.DEFAULT_ROTATION_DAYS * 86400 : interval.getSeconds()) : 0;
            if (external) {
                String v = UUID.randomUUID().toString();
                r.versions.add(new KeyRecord.VersionRecord(v, now, null));
                r.primaryVersionId = v;
                r.state = KeyStates.PENDING_IMPORT;
            } else {
                addVersion(r, now);
                r.state = KeyStates.ENABLED;
            }
            r.lastRotationMs = now;
            return publish(r);
        } finally {
            writeLock.unlock();
        }
    }

    /** The default OSS CMK, created (with its alias) on first use. */
    String defaultOssCmkId() {
        AliasRecord a = aliases.get(DEFAULT_OSS_ALIAS);
        if (a != null) return a.keyId();
        writeLock.lock();
        try {
            a = aliases.get(DEFAULT_OSS_ALIAS);
            if (a != null) return a.keyId();
            LiveKey k = createKey(new Kms.CreateKeyRequest(KeyStates.SPEC_AES_256, KeyStates.ORIGIN_KMS,
                    "Default master key that protects my OSS objects when no other key is defined", false, null),
                    true, "Oss");
            putAlias(DEFAULT_OSS_ALIAS, k.record.keyId);
            return k.record.keyId;
        } finally {
            writeLock.unlock();
        }
    }

    private void rejectServiceKey(KeyRecord r, String action) {
        if (r.service) {
            throw KmsErrors.unsupported("The key " + r.keyId + " is a service key managed by OSS; "
                    + action + " is not allowed on it.");
        }
    }

    LiveKey enableKey(String keyId) {
        return transition(keyId, r -> {
            rejectServiceKey(r, "EnableKey");
            switch (r.state) {
                case KeyStates.ENABLED, KeyStates.DISABLED -> r.state = KeyStates.ENABLED;
                default -> throw KmsErrors.stateModifiedFailed(r.state, "EnableKey");
            }
        });
    }

    LiveKey disableKey(String keyId) {
        return transition(keyId, r -> {
            rejectServiceKey(r, "DisableKey");
            switch (r.state) {
                case KeyStates.ENABLED, KeyStates.DISABLED -> r.state = KeyStates.DISABLED;
                default -> throw KmsErrors.stateModifiedFailed(r.state, "DisableKey");
            }
        });
    }

    LiveKey scheduleKeyDeletion(String keyId, int days) {
        if (days < 7 || days > 30) {
            throw KmsErrors.invalidParameter("PendingWindowInDays must be between 7 and 30, not " + days + ".");
        }
        return transition(keyId, r -> {
            rejectServiceKey(r, "ScheduleKeyDeletion");
            if (KeyStates.PENDING_DELETION.equals(r.state)) {
                throw KmsErrors.stateModifiedFailed(r.state, "ScheduleKeyDeletion");
            }
            r.state = KeyStates.PENDING_DELETION;
            r.deleteDateMs = now() + days * 86_400_000L;
        });
    }

    LiveKey cancelKeyDeletion(String keyId) {
        return transition(keyId, r -> {
            if (!KeyStates.PENDING_DELETION.equals(r.state)) {
                throw KmsErrors.stateModifiedFailed(r.state, "CancelKeyDeletion");
            }
            r.state = r.hasMaterial() ? KeyStates.ENABLED : KeyStates.PENDING_IMPORT;
            r.deleteDateMs = 0;
            // rotation does not catch up on the time spent pending deletion
            if (LiveKey.rotates(r) && now() >= r.lastRotationMs + r.rotationIntervalSeconds * 1000L) {
                addVersion(r, now());
            }
        });
    }

    KeyRecord.VersionRecord createKeyVersion(String keyId) {
        writeLock.lock();
        try {
            LiveKey k = existing(keyId);
            if (k.record.isExternal()) {
                throw KmsErrors.unsupported("Keys with Origin EXTERNAL never rotate; CreateKeyVersion is not allowed.");
            }
            rejectServiceKey(k.record, "CreateKeyVersion");
            if (!KeyStates.ENABLED.equals(k.record.state)) throw KmsErrors.rejectedState(k.record.state);
            KeyRecord r = k.record.copy();
            addVersion(r, now());
            publish(r);
            return r.versions.get(r.versions.size() - 1);
        } finally {
            writeLock.unlock();
        }
    }

    interface Mutation {
        void apply(KeyRecord r);
    }

    LiveKey transition(String keyId, Mutation m) {
        writeLock.lock();
        try {
            LiveKey k = existing(keyId);
            KeyRecord r = k.record.copy();
            m.apply(r);
            return publish(r);
        } finally {
            writeLock.unlock();
        }
    }

    List<LiveKey> customerKeys() {
        maintainAll();
        List<LiveKey> list = new ArrayList<>();
        for (LiveKey k : keys.values()) if (!k.record.service) list.add(k);
        list.sort(Comparator.comparingLong((LiveKey k) -> k.record.creationMs).thenComparing(k -> k.record.keyId));
        return list;
    }

    // ---------------------------------------------------------------- aliases

    static void validateAliasName(String alias) {
        if (alias == null || !alias.startsWith(ALIAS_PREFIX)) {
            throw KmsErrors.invalidParameter("AliasName must start with alias/.");
        }
        String name = alias.substring(ALIAS_PREFIX.length());
        if (name.isEmpty() || name.length() > 255 || !name.matches("[A-Za-z0-9_/-]+")) {
            throw KmsErrors.invalidParameter("AliasName must be alias/ followed by 1 to 255 letters, digits, _, - or /.");
        }
        if (alias.startsWith("alias/acs/") || alias.equals("alias/acs")) {
            throw KmsErrors.invalidParameter("The prefix alias/acs is reserved for service keys.");
        }
    }

    void createAlias(String alias, String keyId) {
        writeLock.lock();
        try {
            existing(keyId);
            if (aliases.containsKey(alias)) throw KmsErrors.aliasExists(alias);
            putAlias(alias, keyId);
        } finally {
            writeLock.unlock();
        }
    }

    private void putAlias(String alias, String keyId) {
        AliasRecord a = new AliasRecord(alias, keyId, now());
        try {
            store.write(Map.of(ALIAS_PREFIX + alias, json.writeValueAsBytes(a)), List.of());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        aliases.put(alias, a);
    }

    AliasRecord alias(String alias) {
        AliasRecord a = aliases.get(alias);
        if (a == null) throw KmsErrors.aliasNotFound();
        return a;
    }

    void deleteAlias(String alias) {
        writeLock.lock();
        try {
            alias(alias);
            store.write(Map.of(), List.of(ALIAS_PREFIX + alias));
            aliases.remove(alias);
        } finally {
            writeLock.unlock();
        }
    }

    List<AliasRecord> aliases() {
        maintainAll();
        List<AliasRecord> list = new ArrayList<>(aliases.values());
        list.sort(Comparator.comparing(AliasRecord::aliasName));
        return list;
    }

    // ---------------------------------------------------------------- data-key crypto (hot path, lock-free)

    static void validateContext(Map<String, String> context) {
        if (context == null) return;
        for (Map.Entry<String, String> e : context.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw KmsErrors.invalidParameter("EncryptionContext keys and values must not be null.");
            }
        }
    }

    static int dataKeyLength(String keySpec, Integer numberOfBytes) {
        if (keySpec != null && numberOfBytes != null) {
            throw KmsErrors.invalidParameter("Give either KeySpec or NumberOfBytes, not both.");
        }
        if (numberOfBytes != null) {
            if (numberOfBytes < 1 || numberOfBytes > 1024) {
                throw KmsErrors.invalidParameter("NumberOfBytes must be between 1 and 1024, not " + numberOfBytes + ".");
            }
            return numberOfBytes;
        }
        if (keySpec == null || keySpec.equals("AES_256")) return 32;
        if (keySpec.equals("AES_128")) return 16;
        throw KmsErrors.invalidParameter("KeySpec must be AES_256 or AES_128, not '" + keySpec + "'.");
    }

    Kms.DataKey generateDataKey(String keyId, int bytes, Map<String, String> context) {
        LiveKey k = usable(keyId);
        byte[] plaintext = Randomness.bytes(bytes);
        return new Kms.DataKey(keyId, k.record.primaryVersionId, plaintext, k.wrap(plaintext, context));
    }

    Kms.EncryptResult encrypt(String keyId, byte[] plaintext, Map<String, String> context) {
        if (plaintext == null || plaintext.length == 0) throw KmsErrors.invalidParameter("Plaintext is required.");
        if (plaintext.length > MAX_ENCRYPT_BYTES) {
            throw KmsErrors.invalidParameter("Plaintext must be at most 6144 bytes (6 KB), not " + plaintext.length + ".");
        }
        LiveKey k = usable(keyId);
        return new Kms.EncryptResult(keyId, k.record.primaryVersionId, k.wrap(plaintext, context));
    }

    /** Parses a blob far enough to know which key it names; 400 InvalidCiphertext when it is no CMK blob. */
    static CiphertextBlob parseCmkBlob(byte[] blob) {
        CiphertextBlob b = CiphertextBlob.parse(blob);
        if (b == null) throw KmsErrors.invalidCiphertext("It is not an ssefs KMS ciphertext blob (format 1).");
        if (b.kind() != CiphertextBlob.KIND_CMK) {
            throw KmsErrors.invalidCiphertext("It was wrapped by an OSS service key, not by a CMK.");
        }
        return b;
    }

    Kms.DecryptResult decrypt(CiphertextBlob b, Map<String, String> context) {
        String keyId = b.keyRef().toString();
        LiveKey k = usable(keyId);
        WrappingAlgorithm.MasterKey mk = k.versions.get(b.versionRef());
        if (mk == null) {
            throw KmsErrors.invalidCiphertext("It names key version " + b.versionRef() + ", which key " + keyId
                    + " does not have.");
        }
        if (mk.algorithm().id() != b.algorithm()) {
            throw KmsErrors.invalidCiphertext("Its algorithm does not match the key spec " + k.record.keySpec + ".");
        }
        byte[] aad = EncryptionContextCodec.aad(b.bytes(), CiphertextBlob.HEADER_BYTES, context);
        try {
            byte[] plain = mk.unwrap(b.bytes(), CiphertextBlob.HEADER_BYTES,
                    b.bytes().length - CiphertextBlob.HEADER_BYTES, aad);
            return new Kms.DecryptResult(keyId, b.versionRef().toString(), plain);
        } catch (WrappingAlgorithm.UnwrapException e) {
            throw KmsErrors.invalidCiphertext("It was tampered with, or the EncryptionContext differs from the one "
                    + "it was encrypted with.");
        }
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every CMK version's material and every pending import private key, for tests that scan the data dir. */
    List<byte[]> secretsForTests() {
        List<byte[]> out = new ArrayList<>();
        for (LiveKey k : keys.values()) {
            for (KeyRecord.VersionRecord v : k.record.versions) if (v.material != null) out.add(v.material.clone());
            for (KeyRecord.ImportSession s : k.record.imports) out.add(s.privateKeyPkcs8.clone());
        }
        return out;
    }
}
