package dev.ssefs.keys;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ssefs.keys.crypto.AesGcmWrapping;
import dev.ssefs.keys.crypto.CiphertextBlob;
import dev.ssefs.keys.crypto.EncryptionContextCodec;
import dev.ssefs.keys.crypto.Randomness;
import dev.ssefs.keys.crypto.Sm4GcmWrapping;
import dev.ssefs.keys.crypto.WrappingAlgorithm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SSE-OSS master key rings, one per algorithm ({@code AES256}: AES-256-GCM, {@code SM4}: SM4-GCM). Service-managed:
 * never listed among customer keys, no RAM check, rotated by the clock every {@code rotationInterval}; every old
 * version stays to unwrap what it wrapped.
 */
final class ServiceKeyRings implements OssKeyService {
    static final String PREFIX = "ring/";
    static final String KEY_ID_PREFIX = "acs/oss/sse-master-key/";

    private final SealedStore store;
    private final KeyRegistry registry;
    private final Clock clock;
    private final long rotationMs;
    private final ObjectMapper json = new ObjectMapper();
    private final ConcurrentHashMap<String, LiveRing> rings = new ConcurrentHashMap<>();

    @JsonIgnoreProperties(ignoreUnknown = true)
    static final class RingRecord {
        public String algorithm;
        public String primaryVersionId;
        public long lastRotationMs;
        public List<KeyRecord.VersionRecord> versions = new ArrayList<>();
    }

    static final class LiveRing {
        final RingRecord record;
        final UUID ringRef;
        final WrappingAlgorithm algorithm;
        final Map<UUID, WrappingAlgorithm.MasterKey> versions;
        final WrappingAlgorithm.MasterKey primary;
        final UUID primaryRef;

        LiveRing(RingRecord r) {
            this.record = r;
            this.ringRef = ringRef(r.algorithm);
            this.algorithm = algorithm(r.algorithm);
            Map<UUID, WrappingAlgorithm.MasterKey> vs = new HashMap<>();
            for (KeyRecord.VersionRecord v : r.versions) vs.put(UUID.fromString(v.versionId), algorithm.key(v.material));
            this.versions = Map.copyOf(vs);
            this.primaryRef = UUID.fromString(r.primaryVersionId);
            this.primary = versions.get(primaryRef);
        }
    }

    ServiceKeyRings(SealedStore store, KeyRegistry registry, Clock clock, Duration rotationInterval) {
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.rotationMs = rotationInterval.toMillis();
        try {
            for (Map.Entry<String, byte[]> e : store.loadedRecords().entrySet()) {
                if (e.getKey().startsWith(PREFIX)) {
                    RingRecord r = json.readValue(e.getValue(), RingRecord.class);
                    rings.put(r.algorithm, new LiveRing(r));
                }
            }
        } catch (IOException e) {
            throw new KeyStoreException("keys.db holds a service key ring this ssefs cannot read: " + e.getMessage(), e);
        }
    }

    static UUID ringRef(String algorithm) {
        return UUID.nameUUIDFromBytes(("ssefs/oss-sse-master-key/" + algorithm).getBytes(StandardCharsets.UTF_8));
    }

    static WrappingAlgorithm algorithm(String ring) {
        return switch (ring) {
            case "AES256" -> AesGcmWrapping.INSTANCE;
            case "SM4" -> Sm4GcmWrapping.INSTANCE;
            default -> throw KmsErrors.invalidParameter("The SSE-OSS algorithm must be AES256 or SM4, not '" + ring + "'.");
        };
    }

    @Override
    public String defaultOssCmkId() {
        return registry.defaultOssCmkId();
    }

    @Override
    public Kms.DataKey generateServiceDataKey(String algorithm, int numberOfBytes, Map<String, String> encryptionContext) {
        WrappingAlgorithm alg = algorithm(algorithm == null ? "" : algorithm);
        if (numberOfBytes < 1 || numberOfBytes > 1024) {
            throw KmsErrors.invalidParameter("NumberOfBytes must be between 1 and 1024, not " + numberOfBytes + ".");
        }
        KeyRegistry.validateContext(encryptionContext);
        LiveRing ring = current(algorithm, alg);
        byte[] plaintext = Randomness.bytes(numberOfBytes);
        byte[] blob = CiphertextBlob.newBuffer(CiphertextBlob.KIND_SERVICE_RING, ring.ringRef, ring.primaryRef,
                alg.id(), numberOfBytes);
        byte[] aad = EncryptionContextCodec.aad(blob, CiphertextBlob.HEADER_BYTES, encryptionContext);
        ring.primary.wrap(plaintext, aad, blob, CiphertextBlob.HEADER_BYTES);
        return new Kms.DataKey(KEY_ID_PREFIX + algorithm, ring.record.primaryVersionId, plaintext, blob);
    }

    @Override
    public Kms.DecryptResult decryptServiceDataKey(byte[] ciphertextBlob, Map<String, String> encryptionContext) {
        KeyRegistry.validateContext(encryptionContext);
        CiphertextBlob b = CiphertextBlob.parse(ciphertextBlob);
        if (b == null) throw KmsErrors.invalidCiphertext("It is not an ssefs KMS ciphertext blob (format 1).");
        if (b.kind() != CiphertextBlob.KIND_SERVICE_RING) {
            throw KmsErrors.invalidCiphertext("It was wrapped by a CMK, not by an OSS service key.");
        }
        LiveRing ring = null;
        for (LiveRing r : rings.values()) if (r.ringRef.equals(b.keyRef())) ring = r;
        if (ring == null) throw KmsErrors.invalidCiphertext("It names an SSE-OSS master key that does not exist.");
        WrappingAlgorithm.MasterKey mk = ring.versions.get(b.versionRef());
        if (mk == null || mk.algorithm().id() != b.algorithm()) {
            throw KmsErrors.invalidCiphertext("It names an SSE-OSS master key version that does not exist.");
        }
        byte[] aad = EncryptionContextCodec.aad(b.bytes(), CiphertextBlob.HEADER_BYTES, encryptionContext);
        try {
            byte[] plain = mk.unwrap(b.bytes(), CiphertextBlob.HEADER_BYTES,
                    b.bytes().length - CiphertextBlob.HEADER_BYTES, aad);
            return new Kms.DecryptResult(KEY_ID_PREFIX + ring.record.algorithm, b.versionRef().toString(), plain);
        } catch (WrappingAlgorithm.UnwrapException e) {
            throw KmsErrors.invalidCiphertext("It was tampered with, or the EncryptionContext differs from the one "
                    + "it was encrypted with.");
        }
    }

    @Override
    public void rotateServiceKeysIfDue() {
        for (String a : List.copyOf(rings.keySet())) current(a, algorithm(a));
    }

    /** Every ring version's material, for tests in this package that scan the data dir for it. */
    List<byte[]> materialsForTests() {
        List<byte[]> out = new ArrayList<>();
        for (LiveRing r : rings.values()) for (KeyRecord.VersionRecord v : r.record.versions) out.add(v.material.clone());
        return out;
    }

    /** Service ring versions (ids and creation dates), oldest first, e.g. for diagnostics and tests. */
    List<Kms.KeyVersion> versions(String algorithm) {
        LiveRing r = rings.get(algorithm);
        List<Kms.KeyVersion> out = new ArrayList<>();
        if (r == null) return out;
        for (KeyRecord.VersionRecord v : r.record.versions) {
            out.add(new Kms.KeyVersion(KEY_ID_PREFIX + algorithm, v.versionId, KeyMetadataView.iso(v.creationMs)));
        }
        return out;
    }

    /** The ring with a primary version no older than the rotation interval; created or rotated under the lock. */
    private LiveRing current(String name, WrappingAlgorithm alg) {
        LiveRing r = rings.get(name);
        if (r != null && clock.millis() < r.record.lastRotationMs + rotationMs) return r;
        registry.lock();
        try {
            r = rings.get(name);
            long now = clock.millis();
            if (r != null && now < r.record.lastRotationMs + rotationMs) return r;
            RingRecord rec = new RingRecord();
            rec.algorithm = name;
            if (r != null) for (KeyRecord.VersionRecord v : r.record.versions) rec.versions.add(v.copy());
            String v = UUID.randomUUID().toString();
            rec.versions.add(new KeyRecord.VersionRecord(v, now, Randomness.bytes(alg.keyBytes())));
            rec.primaryVersionId = v;
            rec.lastRotationMs = now;
            byte[] bytes = json.writeValueAsBytes(rec);
            try {
                store.write(Map.of(PREFIX + name, bytes), List.of());
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
            LiveRing live = new LiveRing(rec);
            rings.put(name, live);
            return live;
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a service key ring", e);
        } finally {
            registry.unlock();
        }
    }
}
