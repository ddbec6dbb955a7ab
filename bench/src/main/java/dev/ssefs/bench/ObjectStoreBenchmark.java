package dev.ssefs.bench;

import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.keys.RootSecret;
import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.ByteRange;
import dev.ssefs.objectcore.EmbeddedObjectStore;
import dev.ssefs.objectcore.ObjectContent;
import dev.ssefs.objectcore.Oss;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * PutObject and GetObject throughput of the embedded object store (SSE-OSS AES256: per-object data key, 64 KiB
 * AES-256-GCM chunks, blob forced to disk, one MapDB commit), ranged 4 KiB reads (GetObject with a Range, and the
 * mount's positional reader), and, in the same run, raw JDK AES-GCM over the same bytes in the same 64 KiB chunks.
 * Goal: Put and Get at least half the raw AES-GCM throughput. Scores are operations per second; multiply by
 * {@code size} for bytes per second.
 * <p>
 * Run: {@code mount-scripts/jmh ObjectStoreBenchmark -f 1 -wi 2 -i 3 -w 2s -r 3s}. The store lives under
 * {@code -Dssefs.bench.dir} (default: the temp dir); blob writes are forced to that disk.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ObjectStoreBenchmark {
    private static final int CHUNK = 64 * 1024;

    /** Object size in bytes: 1 MiB and 64 MiB. */
    @Param({"1048576", "67108864"})
    public int size;

    private Path dir;
    private EmbeddedKms kms;
    private EmbeddedObjectStore store;
    private Oss oss;
    private byte[] payload;
    private byte[] sink;
    private Oss.ObjectReader reader;
    private Cipher gcm;
    private SecretKeySpec key;
    private byte[] gcmOut;
    private byte[] sealed;
    private long nonceCounter;

    @Setup(Level.Trial)
    public void setUp() throws IOException, GeneralSecurityException {
        String base = System.getProperty("ssefs.bench.dir");
        dir = base == null ? Files.createTempDirectory("ssefs-objects-bench")
                : Files.createTempDirectory(Files.createDirectories(Path.of(base)), "ssefs-objects-bench");
        kms = EmbeddedKms.open(dir.resolve("data"), RootSecret.fromPassphrase("bench".toCharArray()), Clock.systemUTC(),
                EmbeddedKms.Options.defaults().withArgon2(EmbeddedKms.Argon2Params.FOR_TESTS));
        store = EmbeddedObjectStore.open(dir.resolve("data"), kms, Clock.systemUTC());
        oss = store.as("root");
        oss.createBucket("bench", new BucketEncryptionRule("AES256", null, null));
        payload = new byte[size];
        new Random(42).nextBytes(payload);
        sink = new byte[256 * 1024];
        oss.putObject("bench", "read-me", new ByteArrayInputStream(payload), Map.of());
        reader = oss.openReader("bench", "read-me");

        byte[] k = new byte[32];
        new Random(7).nextBytes(k);
        key = new SecretKeySpec(k, "AES");
        gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcmOut = new byte[CHUNK + 16];
        // the payload sealed chunk by chunk, for the raw decrypt baseline
        int chunks = (size + CHUNK - 1) / CHUNK;
        sealed = new byte[chunks * (CHUNK + 16)];
        for (int c = 0; c < chunks; c++) {
            int len = Math.min(CHUNK, size - c * CHUNK);
            gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv(c)));
            gcm.doFinal(payload, c * CHUNK, len, sealed, c * (CHUNK + 16));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        reader.close();
        store.close();
        kms.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static byte[] iv(long n) {
        return ByteBuffer.allocate(12).putLong(4, n).array();
    }

    /** PutObject of {@code size} bytes, overwriting one key (the replaced blob is deleted after each commit). */
    @Benchmark
    public Object put() throws IOException {
        return oss.putObject("bench", "put-me", new ByteArrayInputStream(payload), Map.of());
    }

    /** GetObject of the whole object, every chunk authenticated. */
    @Benchmark
    public long get() throws IOException {
        ObjectContent c = oss.getObject("bench", "read-me", null);
        long total = 0;
        try (InputStream in = c.body()) {
            int n;
            while ((n = in.read(sink)) > 0) total += n;
        }
        return total;
    }

    /** GetObject with a random 4 KiB Range (opens, unwraps the data key, decrypts one or two chunks). */
    @Benchmark
    public long rangedGet4k() throws IOException {
        long first = ThreadLocalRandom.current().nextLong(size - 4096);
        ObjectContent c = oss.getObject("bench", "read-me", new ByteRange(first, first + 4095));
        try (InputStream in = c.body()) {
            return in.read(sink, 0, 4096);
        }
    }

    /** The mount's path: a random 4 KiB positional read through an open reader. */
    @Benchmark
    public int readerRead4k() throws IOException {
        long pos = ThreadLocalRandom.current().nextLong(size - 4096);
        return reader.read(pos, ByteBuffer.wrap(sink, 0, 4096));
    }

    /** Baseline: raw JDK AES-256-GCM encryption of the same bytes in 64 KiB chunks (no I/O). */
    @Benchmark
    public void rawAesGcmEncrypt(Blackhole bh) throws GeneralSecurityException {
        for (int off = 0; off < size; off += CHUNK) {
            int len = Math.min(CHUNK, size - off);
            gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv(++nonceCounter + 1_000_000)));
            bh.consume(gcm.doFinal(payload, off, len, gcmOut, 0));
        }
    }

    /**
     * Baseline: the MD5 that every Put must compute for its ETag (OSS semantics). MD5 is sequential, so this bounds
     * Put throughput however fast the encryption is (the store pipelines it with encryption on another thread).
     */
    @Benchmark
    public byte[] rawMd5() throws GeneralSecurityException {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
        md.update(payload);
        return md.digest();
    }

    /** Baseline: raw JDK AES-256-GCM decryption of the same bytes in 64 KiB chunks (no I/O). */
    @Benchmark
    public void rawAesGcmDecrypt(Blackhole bh) throws GeneralSecurityException {
        int chunks = (size + CHUNK - 1) / CHUNK;
        for (int c = 0; c < chunks; c++) {
            int len = Math.min(CHUNK, size - c * CHUNK);
            gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv(c)));
            bh.consume(gcm.doFinal(sealed, c * (CHUNK + 16), len + 16, gcmOut, 0));
        }
    }
}
