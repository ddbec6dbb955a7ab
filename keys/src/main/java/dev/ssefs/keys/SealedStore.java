package dev.ssefs.keys;

import dev.ssefs.keys.crypto.AesGcmWrapping;
import dev.ssefs.keys.crypto.Randomness;
import dev.ssefs.keys.crypto.WrappingAlgorithm;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.mapdb.volume.Volume;
import dev.ssefs.keys.store.JournaledVolume;
import dev.ssefs.keys.store.MapDbs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * {@code keys.db}: a MapDB StoreDirect on a {@link JournaledVolume} (atomic commits: MapDB 3.1's own WAL,
 * {@code transactionEnable()}, applies a commit in place and never replays its log, so a crash mid-commit could tear
 * the file and lose every key) holding (1) clear metadata: format, KDF salt and parameters,
 * a verifier of the root key, account id and region; (2) records, each sealed with AES-256-GCM under a key derived
 * from the root key and bound to its record name. Nothing in the file is key material in the clear.
 *
 * <p>Opening is two-phase: the file is locked, and an in-memory copy of its last commit (the file with a complete
 * {@code keys.db.journal} applied) is checked (format, verifier) and every record unsealed; only then is the journal
 * replayed on disk and the file opened for writing. A wrong secret, a corrupted or a foreign file therefore fails
 * before anything on disk is touched.
 */
final class SealedStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SealedStore.class.getName());
    static final String FILE_NAME = "keys.db";
    static final String FORMAT = "ssefs-keys";
    static final int FORMAT_VERSION = 1;
    private static final String META = "ssefs.meta";
    private static final String RECORDS = "ssefs.records";
    private static final String KDF_ARGON2ID = "argon2id";
    private static final String KDF_RAW = "raw-root-key";
    /**
     * Clear metadata flag, committed together with a change that destroys key material and dropped by the rewrite
     * that shreds it: if the rewrite fails or a crash comes first, the next open (or the periodic sweep) redoes it.
     */
    private static final String SHRED_PENDING = "shred.pending";
    private static final String REWRITE_STAGING_PREFIX = ".keys.db.rewrite-";

    private final Path dataDir;
    private final Path file;
    private JournaledVolume volume;
    private DB db;
    private HTreeMap<String, byte[]> records;
    private final WrappingAlgorithm.MasterKey sealKey;
    private final String accountId;
    private final String region;
    private final Map<String, byte[]> loaded;
    /** A change destroyed key material whose superseded sealed copies are not yet rewritten out of keys.db. */
    private volatile boolean shredPending;

    private SealedStore(Path dataDir, JournaledVolume volume, DB db, WrappingAlgorithm.MasterKey sealKey, String accountId,
                        String region, Map<String, byte[]> loaded) {
        this.dataDir = dataDir;
        this.file = dataDir.resolve(FILE_NAME);
        this.volume = volume;
        this.db = db;
        this.records = db.hashMap(RECORDS, Serializer.STRING, Serializer.BYTE_ARRAY).open();
        this.sealKey = sealKey;
        this.accountId = accountId;
        this.region = region;
        this.loaded = loaded;
        this.shredPending = db.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).open().containsKey(SHRED_PENDING);
    }

    static SealedStore open(Path dataDir, RootSecret secret, EmbeddedKms.Options options) {
        Path file = dataDir.resolve(FILE_NAME);
        ensureDataDir(dataDir);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(journalOf(file))) {
                // a journal without its store: replaying it onto a new, empty store would make a chimera
                throw new KeyStoreException(file + " is missing but " + journalOf(file).getFileName()
                        + " exists; restore keys.db from a backup; nothing was changed");
            }
            create(dataDir, secret, options);
        } else if (!Files.isRegularFile(file)) {
            throw new KeyStoreException(file + " is not a regular file");
        }
        // Phase 1 (under the lock, on an in-memory copy of the last commit): validate and load.
        Validated[] v = new Validated[1];
        JournaledVolume vol;
        try {
            vol = new JournaledVolume(file.toFile(), snapshot -> v[0] = validate(dataDir, file, secret, snapshot));
        } catch (KeyStoreException e) {
            throw e;
        } catch (DBException.FileLocked e) {
            throw new KeyStoreException(file + " is in use by another ssefs process (or is already open in this one)", e);
        } catch (RuntimeException | Error e) {
            if (v[0] != null) v[0].sealKey.destroy();
            throw new KeyStoreException("cannot open " + file + " for writing: " + describe(e), e);
        }
        // Phase 2: the journal (if any) is replayed; open for writing.
        DB db;
        try {
            db = MapDbs.make(vol, true);
        } catch (RuntimeException | Error e) {
            vol.release();
            v[0].sealKey.destroy();
            throw new KeyStoreException("cannot open " + file + " for writing: " + describe(e), e);
        }
        SealedStore store = new SealedStore(dataDir, vol, db, v[0].sealKey, v[0].accountId, v[0].region, v[0].records);
        store.removeStaleMapDbWal();
        store.removeStaleRewrites();
        store.restrictFileModes();
        return store;
    }

    /** Staging dirs of a rewrite interrupted by a crash (rewrites run under the lock we now hold). */
    private void removeStaleRewrites() {
        try (Stream<Path> s = Files.list(dataDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(REWRITE_STAGING_PREFIX)).toList()) {
                deleteTree(p);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot list " + dataDir + ": " + e.getMessage(), e);
        }
    }

    static Path journalOf(Path file) {
        return Path.of(file + ".journal");
    }

    /**
     * keys.db used to be a MapDB {@code transactionEnable()} store. Its main file has the StoreDirect layout (so it
     * opens as is), but MapDB never replays its {@code keys.db.wal.N} files; any left by a crash hold nothing usable
     * (the validated main file is what MapDB itself would have opened). Remove them.
     */
    private void removeStaleMapDbWal() {
        try (Stream<Path> s = Files.list(dataDir)) {
            List<Path> wal = s.filter(p -> p.getFileName().toString().matches("keys\\.db\\.wal\\.\\d+")).toList();
            for (Path p : wal) Files.deleteIfExists(p);
            if (!wal.isEmpty()) JournaledVolume.forceDirectory(dataDir);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove stale MapDB WAL files of " + file + ": " + e.getMessage(), e);
        }
    }

    private record Validated(WrappingAlgorithm.MasterKey sealKey, String accountId, String region,
                             Map<String, byte[]> records) {}

    private static Validated validate(Path dataDir, Path file, RootSecret secret, Volume snapshot) {
        DB ro;
        try {
            if (snapshot.length() == 0) throw new IllegalStateException("empty file");
            ro = MapDbs.makeReadOnly(snapshot);
        } catch (RuntimeException | Error e) {
            throw new KeyStoreException(file + " is corrupted or not an ssefs key store (" + describe(e)
                    + "); nothing was changed", e);
        }
        try {
            if (!ro.exists(META) || !ro.exists(RECORDS)) {
                throw new KeyStoreException(file + " is not an ssefs key store (no ssefs key store metadata);"
                        + " nothing was changed");
            }
            Map<String, byte[]> meta = ro.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).open();
            if (!FORMAT.equals(str(meta.get("format")))) {
                throw new KeyStoreException(file + " is not an ssefs key store (format "
                        + str(meta.get("format")) + "); nothing was changed");
            }
            int version = ByteBuffer.wrap(required(meta, "formatVersion", file)).getInt();
            if (version != FORMAT_VERSION) {
                throw new KeyStoreException(file + " has key store format version " + version
                        + " but this ssefs reads only version " + FORMAT_VERSION + "; nothing was changed");
            }
            byte[] storeId = required(meta, "storeId", file);
            byte[] rootKey = rootKey(dataDir, file, meta, secret);
            byte[] verifier = hkdf(rootKey, storeId, "ssefs/keys.db/verifier/v1");
            byte[] sealBytes = hkdf(rootKey, storeId, "ssefs/keys.db/seal/v1");
            Arrays.fill(rootKey, (byte) 0);
            if (!MessageDigest.isEqual(verifier, required(meta, "verifier", file))) {
                Arrays.fill(sealBytes, (byte) 0);
                throw new KeyStoreException("wrong passphrase or root key for " + dataDir
                        + "; nothing was changed");
            }
            WrappingAlgorithm.MasterKey sealKey = AesGcmWrapping.INSTANCE.key(sealBytes);
            Arrays.fill(sealBytes, (byte) 0);
            Map<String, byte[]> sealed = ro.hashMap(RECORDS, Serializer.STRING, Serializer.BYTE_ARRAY).open();
            Map<String, byte[]> plain = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : sealed.entrySet()) {
                try {
                    plain.put(e.getKey(), sealKey.unwrap(e.getValue(), 0, e.getValue().length, aad(e.getKey())));
                } catch (WrappingAlgorithm.UnwrapException ex) {
                    sealKey.destroy();
                    throw new KeyStoreException(file + " is corrupted: record '" + e.getKey()
                            + "' fails authentication; nothing was changed", ex);
                }
            }
            return new Validated(sealKey, str(required(meta, "accountId", file)),
                    str(required(meta, "region", file)), plain);
        } catch (KeyStoreException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw new KeyStoreException(file + " is corrupted (" + describe(e) + "); nothing was changed", e);
        } finally {
            try {
                ro.close();
            } catch (RuntimeException | Error ignored) {
                // read-only: nothing to flush
            }
        }
    }

    /**
     * Checks {@code secret} against the verifier of this open store, as opening it would (a daemon holding the
     * store open checks each forwarded command's secret with this).
     *
     * @throws KeyStoreException wrong passphrase or root key
     */
    synchronized void checkSecret(RootSecret secret) {
        Map<String, byte[]> meta = db.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).open();
        byte[] storeId = required(meta, "storeId", file);
        byte[] rootKey = rootKey(dataDir, file, meta, secret);
        byte[] verifier = hkdf(rootKey, storeId, "ssefs/keys.db/verifier/v1");
        Arrays.fill(rootKey, (byte) 0);
        if (!MessageDigest.isEqual(verifier, required(meta, "verifier", file))) {
            throw new KeyStoreException("wrong passphrase or root key for " + dataDir);
        }
    }

    /** The root key {@code secret} gives under the store's KDF (the caller wipes it). */
    private static byte[] rootKey(Path dataDir, Path file, Map<String, byte[]> meta, RootSecret secret) {
        String kdf = str(required(meta, "kdf", file));
        byte[] rootKey;
        if (KDF_ARGON2ID.equals(kdf)) {
            if (!secret.isPassphrase()) {
                throw new KeyStoreException("wrong passphrase or root key for " + dataDir
                        + ": this key store is sealed with a passphrase, not a root key file");
            }
            ByteBuffer p = ByteBuffer.wrap(required(meta, "kdf.params", file));
            int memoryKiB = p.getInt(), iterations = p.getInt(), parallelism = p.getInt();
            // bounds keep a tampered header from making us allocate without limit
            if (memoryKiB < 8 || memoryKiB > (1 << 22) || iterations < 1 || iterations > 100
                    || parallelism < 1 || parallelism > 64 || memoryKiB < 8 * parallelism) {
                throw new KeyStoreException(file + " is corrupted: implausible Argon2id parameters m="
                        + memoryKiB + "KiB t=" + iterations + " p=" + parallelism + "; nothing was changed");
            }
            rootKey = argon2id(secret, required(meta, "kdf.salt", file),
                    new EmbeddedKms.Argon2Params(memoryKiB, iterations, parallelism));
        } else if (KDF_RAW.equals(kdf)) {
            if (secret.isPassphrase()) {
                throw new KeyStoreException("wrong passphrase or root key for " + dataDir
                        + ": this key store is sealed with a root key file, not a passphrase");
            }
            rootKey = secret.rawKey();
        } else {
            throw new KeyStoreException(file + " names an unknown key derivation '" + kdf
                    + "'; nothing was changed");
        }
        return rootKey;
    }

    /** Builds a new store in a private staging directory and links it into place only once complete. */
    private static void create(Path dataDir, RootSecret secret, EmbeddedKms.Options options) {
        Path staging = dataDir.resolve(".keys.db.creating-" + HexFormat.of().formatHex(Randomness.bytes(6)));
        Path staged = staging.resolve(FILE_NAME);
        try {
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            byte[] storeId = Randomness.bytes(16);
            Map<String, byte[]> meta = new LinkedHashMap<>();
            meta.put("format", FORMAT.getBytes(StandardCharsets.UTF_8));
            meta.put("formatVersion", ByteBuffer.allocate(4).putInt(FORMAT_VERSION).array());
            meta.put("storeId", storeId);
            byte[] rootKey;
            if (secret.isPassphrase()) {
                EmbeddedKms.Argon2Params a = options.argon2();
                byte[] salt = Randomness.bytes(16);
                meta.put("kdf", KDF_ARGON2ID.getBytes(StandardCharsets.UTF_8));
                meta.put("kdf.salt", salt);
                meta.put("kdf.params", ByteBuffer.allocate(12).putInt(a.memoryKiB()).putInt(a.iterations())
                        .putInt(a.parallelism()).array());
                rootKey = argon2id(secret, salt, a);
            } else {
                meta.put("kdf", KDF_RAW.getBytes(StandardCharsets.UTF_8));
                rootKey = secret.rawKey();
            }
            meta.put("verifier", hkdf(rootKey, storeId, "ssefs/keys.db/verifier/v1"));
            Arrays.fill(rootKey, (byte) 0);
            meta.put("accountId", newAccountId().getBytes(StandardCharsets.UTF_8));
            meta.put("region", options.region().getBytes(StandardCharsets.UTF_8));
            writeNewStore(staging, staged, meta, Map.of());
            try {
                Files.createLink(dataDir.resolve(FILE_NAME), staged);
                JournaledVolume.forceDirectory(dataDir);
            } catch (FileAlreadyExistsException raced) {
                // another process created the store first; use theirs
            }
        } catch (IOException | RuntimeException e) {
            throw new KeyStoreException("cannot create " + dataDir.resolve(FILE_NAME) + ": " + describe(e), e);
        } finally {
            deleteTree(staging);
        }
    }

    /** Writes a complete store to {@code staged} (in the private directory {@code staging}), forced to disk. */
    private static void writeNewStore(Path staging, Path staged, Map<String, byte[]> meta, Map<String, byte[]> records) {
        DB db = MapDbs.make(new JournaledVolume(staged.toFile()), false);
        try {
            restrictModes(staging);
            db.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).create().putAll(meta);
            db.hashMap(RECORDS, Serializer.STRING, Serializer.BYTE_ARRAY).create().putAll(records);
            db.commit();
        } finally {
            db.close(); // a JournaledVolume commit forces the file
        }
        restrictModes(staging);
    }

    private static void ensureDataDir(Path dataDir) {
        try {
            if (!Files.exists(dataDir)) {
                Files.createDirectories(dataDir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                // createDirectories honours the umask; make the mode exact.
                Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            } else if (!Files.isDirectory(dataDir)) {
                throw new KeyStoreException("data dir " + dataDir + " exists but is not a directory");
            }
        } catch (IOException e) {
            throw new KeyStoreException("cannot create data dir " + dataDir + ": " + e.getMessage(), e);
        }
    }

    Map<String, byte[]> loadedRecords() {
        return loaded;
    }

    String accountId() {
        return accountId;
    }

    String region() {
        return region;
    }

    /** Seals and writes {@code puts}, removes {@code deletes}, commits once. On failure rolls back and rethrows. */
    synchronized void write(Map<String, byte[]> puts, Collection<String> deletes) {
        write(puts, deletes, false);
    }

    /**
     * As {@link #write(Map, Collection)}; {@code destroysMaterial}: the change destroys key material, so keys.db is
     * marked (in the same commit) as needing {@link #rewriteLiveRecordsOnly()} until that succeeds.
     */
    synchronized void write(Map<String, byte[]> puts, Collection<String> deletes, boolean destroysMaterial) {
        try {
            if (destroysMaterial) {
                db.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).open().put(SHRED_PENDING, new byte[]{1});
            }
            for (Map.Entry<String, byte[]> e : puts.entrySet()) {
                byte[] plain = e.getValue();
                byte[] sealed = new byte[WrappingAlgorithm.wrappedLength(plain.length)];
                sealKey.wrap(plain, aad(e.getKey()), sealed, 0);
                records.put(e.getKey(), sealed);
            }
            for (String d : deletes) {
                records.remove(d);
            }
            db.commit(); // JournaledVolume: keys.db.journal (0600), forced, then applied to keys.db
            if (destroysMaterial) shredPending = true;

        } catch (RuntimeException | Error e) {
            try {
                rollback();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new KeyStoreException("cannot write " + file + ": " + describe(e), e);
        }
    }

    /**
     * Drops every uncommitted change: the volume's dirty pages go and MapDB is rebuilt on the volume, which holds the
     * last commit (the file stays locked). If the last commit's outcome is unknown, keys.db is reopened instead so
     * that its journal decides.
     */
    private void rollback() {
        JournaledVolume v = volume;
        boolean reopen = v.rollbackOrRelease();
        try {
            db.close();
        } catch (RuntimeException ignored) {
            // the volume writes nothing now
        }
        if (reopen) {
            openForWriting();
        } else {
            v.reuse();
            db = MapDbs.make(v, true);
            records = db.hashMap(RECORDS, Serializer.STRING, Serializer.BYTE_ARRAY).open();
        }
    }

    private void openForWriting() {
        volume = new JournaledVolume(file.toFile());
        db = MapDbs.make(volume, true);
        records = db.hashMap(RECORDS, Serializer.STRING, Serializer.BYTE_ARRAY).open();
    }

    /**
     * Rewrites keys.db from its live records only and atomically replaces the old file. MapDB never zeroes freed
     * space, so superseded sealed records (a destroyed key's material among them) would otherwise linger in the
     * file. Called after a key's material is destroyed, and by {@link #shredIfPending()}; readers are unaffected
     * (they never touch the file).
     * <p>Crash-safe: the new file is complete and forced before it is renamed over keys.db, and the rename is made
     * durable by an fsync of the data dir; a crash before the rename leaves the old file (still marked, so the next
     * open redoes the rewrite), one after it the new file. A failure is logged and retried by the next sweep.
     */
    synchronized void rewriteLiveRecordsOnly() {
        shredPending = true;
        if (volume.hasUnappliedCommit()) {
            // keys.db.journal belongs to the old file: renaming a new file under it would let it be replayed there
            LOG.warning("not shredding " + file + " now: its last commit is not applied yet; retried by the next sweep");
            return;
        }
        Map<String, byte[]> meta = new LinkedHashMap<>(db.hashMap(META, Serializer.STRING, Serializer.BYTE_ARRAY).open());
        meta.remove(SHRED_PENDING);
        Map<String, byte[]> live = new LinkedHashMap<>(records);
        Path staging = dataDir.resolve(REWRITE_STAGING_PREFIX + HexFormat.of().formatHex(Randomness.bytes(6)));
        Path staged = staging.resolve(FILE_NAME);
        try {
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            writeNewStore(staging, staged, meta, live); // complete and forced
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot rewrite " + file + " without superseded records (" + describe(e) + "): destroyed"
                    + " key material stays sealed in its free space until a retry succeeds", e);
            deleteTree(staging);
            return;
        }
        // the old store has no uncommitted change; it must write nothing more (its journal name is the new file's)
        volume.discard();
        try {
            db.close();
        } catch (RuntimeException ignored) {
            // discarded: nothing is written
        }
        try {
            Files.move(staged, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            JournaledVolume.forceDirectory(dataDir);
            shredPending = false;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot replace " + file + " by its rewrite without superseded records ("
                    + describe(e) + "); retried by the next sweep", e);
        } finally {
            deleteTree(staging);
            openForWriting();
            restrictFileModes();
        }
    }

    /** Redoes a rewrite that failed or was interrupted by a crash (see {@link #rewriteLiveRecordsOnly()}). */
    synchronized void shredIfPending() {
        if (shredPending && !db.isClosed()) rewriteLiveRecordsOnly();
    }

    boolean shredPending() {
        return shredPending;
    }

    /** keys.db and its journal are 0600, whatever the umask. */
    private void restrictFileModes() {
        restrictModes(dataDir);
    }

    private static void restrictModes(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith(FILE_NAME) && Files.isRegularFile(p))
                    .forEach(p -> {
                        try {
                            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
                        } catch (IOException ignored) {
                            // file vanished (a WAL file is short-lived); the data dir itself is 0700
                        }
                    });
        } catch (IOException ignored) {
            // best effort; the data dir is 0700
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (!db.isClosed()) db.close();
        } finally {
            sealKey.destroy();
            restrictFileModes();
        }
    }

    private static byte[] aad(String recordName) {
        return ("ssefs/keys.db/record/v1/" + recordName).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] argon2id(RootSecret secret, byte[] salt, EmbeddedKms.Argon2Params p) {
        char[] pass = secret.passphrase();
        ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pass));
        byte[] passBytes = new byte[bb.remaining()];
        bb.get(passBytes);
        Arrays.fill(pass, '\0');
        if (bb.hasArray()) Arrays.fill(bb.array(), (byte) 0);
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withSalt(salt).withMemoryAsKB(p.memoryKiB()).withIterations(p.iterations())
                .withParallelism(p.parallelism()).build());
        byte[] out = new byte[32];
        gen.generateBytes(passBytes, out);
        Arrays.fill(passBytes, (byte) 0);
        return out;
    }

    static byte[] hkdf(byte[] ikm, byte[] salt, String info) {
        HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
        g.init(new HKDFParameters(ikm, salt, info.getBytes(StandardCharsets.UTF_8)));
        byte[] out = new byte[32];
        g.generateBytes(out, 0, out.length);
        return out;
    }

    private static String newAccountId() {
        StringBuilder sb = new StringBuilder(16);
        var r = Randomness.current();
        sb.append(1 + r.nextInt(9));
        for (int i = 1; i < 16; i++) sb.append(r.nextInt(10));
        return sb.toString();
    }

    private static byte[] required(Map<String, byte[]> meta, String name, Path file) {
        byte[] v = meta.get(name);
        if (v == null) {
            throw new KeyStoreException(file + " is corrupted: key store metadata '" + name
                    + "' is missing; nothing was changed");
        }
        return v;
    }

    private static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // leftover staging files hold only sealed data
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }
}
