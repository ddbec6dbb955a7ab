package dev.ssefs.keys;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded KMS of one data dir. Owns {@code <dataDir>/keys.db*} only; the rest of the data dir belongs to others.
 * Thread-safe: GenerateDataKey, Encrypt, Decrypt, DescribeKey and policy checks read immutable in-memory snapshots
 * without locks or disk I/O; administrative calls serialise on one write lock and commit to keys.db.
 */
public final class EmbeddedKms implements KeyManagement {
    private final SealedStore store;
    private final KeyRegistry registry;
    private final RamPolicyEngine policies;
    private final ServiceKeyRings rings;
    private final ConcurrentHashMap<String, Kms> views = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Argon2id cost for a passphrase-sealed store; stored with the salt, so it is fixed at creation. */
    public record Argon2Params(int memoryKiB, int iterations, int parallelism) {
        /**
         * 32 MiB, 3 passes: about 130 ms in a warm JVM on a current core, 200-300 ms in a fresh CLI JVM (Bouncy
         * Castle's Argon2 is pure Java). Above OWASP's Argon2id minimum (19 MiB, 2 passes).
         */
        public static final Argon2Params DEFAULT = new Argon2Params(32768, 3, 1);
        /** Cheap parameters for tests only. */
        public static final Argon2Params FOR_TESTS = new Argon2Params(256, 1, 1);

        public Argon2Params {
            if (memoryKiB < 8 * parallelism || iterations < 1 || parallelism < 1) {
                throw new IllegalArgumentException("invalid Argon2id parameters");
            }
        }
    }

    /**
     * @param region                       part of every ARN; used when the store is created (then stored)
     * @param ossMasterKeyRotationInterval how often the SSE-OSS master key rings rotate (default 90 days)
     * @param argon2                       passphrase KDF cost for a new store
     */
    public record Options(String region, Duration ossMasterKeyRotationInterval, Argon2Params argon2) {
        public static final String DEFAULT_REGION = "cn-hangzhou";
        public static final Duration DEFAULT_OSS_ROTATION = Duration.ofDays(90);

        public Options {
            Objects.requireNonNull(region, "region");
            Objects.requireNonNull(ossMasterKeyRotationInterval, "ossMasterKeyRotationInterval");
            Objects.requireNonNull(argon2, "argon2");
            if (!region.matches("[a-z0-9-]+")) throw new IllegalArgumentException("invalid region " + region);
            if (ossMasterKeyRotationInterval.isNegative() || ossMasterKeyRotationInterval.isZero()) {
                throw new IllegalArgumentException("the SSE-OSS rotation interval must be positive");
            }
        }

        public static Options defaults() {
            return new Options(DEFAULT_REGION, DEFAULT_OSS_ROTATION, Argon2Params.DEFAULT);
        }

        public Options withRegion(String r) { return new Options(r, ossMasterKeyRotationInterval, argon2); }

        public Options withOssMasterKeyRotationInterval(Duration d) { return new Options(region, d, argon2); }

        public Options withArgon2(Argon2Params a) { return new Options(region, ossMasterKeyRotationInterval, a); }
    }

    private EmbeddedKms(SealedStore store, Clock clock, Options options) {
        this.store = store;
        this.registry = new KeyRegistry(store, clock);
        this.policies = new RamPolicyEngine(store);
        this.rings = new ServiceKeyRings(store, registry, clock, options.ossMasterKeyRotationInterval());
    }

    /**
     * Opens (or creates, with mode 0700 for a new data dir and 0600 for keys.db) the key store of {@code dataDir}.
     *
     * @throws KeyStoreException wrong passphrase or root key, corrupted or foreign keys.db; nothing on disk changed
     */
    public static EmbeddedKms open(Path dataDir, RootSecret secret, Clock clock) {
        return open(dataDir, secret, clock, Options.defaults());
    }

    public static EmbeddedKms open(Path dataDir, RootSecret secret, Clock clock, Options options) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(options, "options");
        SealedStore store = SealedStore.open(dataDir.toAbsolutePath(), secret, options);
        try {
            return new EmbeddedKms(store, clock, options);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    @Override
    public Kms as(String principal) {
        ensureOpen();
        if (principal == null || principal.isBlank()) throw new IllegalArgumentException("principal is required");
        return views.computeIfAbsent(principal, p -> new KmsView(p, registry, policies, this));
    }

    @Override
    public OssKeyService oss() {
        ensureOpen();
        return rings;
    }

    @Override
    public RamPolicies policies() {
        ensureOpen();
        return policies;
    }

    @Override
    public String region() {
        return registry.region();
    }

    @Override
    public String accountId() {
        return registry.accountId();
    }

    @Override
    public void checkRootSecret(RootSecret secret) {
        ensureOpen();
        store.checkSecret(Objects.requireNonNull(secret, "secret"));
    }

    /** The SSE-OSS master key versions of one ring ("AES256" or "SM4"), oldest first. */
    public List<Kms.KeyVersion> serviceKeyVersions(String algorithm) {
        ensureOpen();
        return rings.versions(algorithm);
    }

    /** For tests in this package (e.g. to scan the data dir for known key material). */
    KeyRegistry registry() {
        return registry;
    }

    /** For tests in this package. */
    ServiceKeyRings rings() {
        return rings;
    }

    void ensureOpen() {
        if (closed) throw new IllegalStateException("the KMS is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        registry.lock();
        try {
            store.close();
        } finally {
            registry.unlock();
        }
        // Key material in memory is not zeroed here on purpose: a call that passed the open check just before close
        // may still be wrapping with it, and a data key wrapped under a zeroed master key would be lost for good.
        // Destroyed keys (deletion window passed) are zeroed when purged.
    }
}
