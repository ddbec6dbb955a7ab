package dev.ssefs.bench;

import dev.ssefs.objectcore.blob.InMemoryBlobStore;
import dev.ssefs.objectcore.format.ChunkLayout;
import dev.ssefs.objectcore.format.DataAlgorithm;
import dev.ssefs.objectcore.format.ObjectDecryptor;
import dev.ssefs.objectcore.format.ObjectEncryptor;
import dev.ssefs.objectcore.format.ObjectFormats;
import dev.ssefs.objectcore.format.ObjectHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The chunked object format against raw JDK AES-GCM, in memory, on 64 MiB.
 * <p>
 * Scores are ops/s where ONE OP IS ONE MiB of plaintext, so every score reads directly as MiB/s:
 * <ul>
 *   <li>{@code rawGcmEncrypt}/{@code rawGcmDecrypt}: the JDK cipher alone, one doFinal per 64 KiB buffer (fresh IV);</li>
 *   <li>{@code formatEncrypt}: {@link ObjectEncryptor} writing a 64 MiB object into a discarding sink (the raw
 *       baseline also leaves its output in a cache-hot buffer; where the bytes go is the blob store's cost);</li>
 *   <li>{@code formatEncryptToMemory}: the same into a 64 MiB array (one more copy, into cold memory);</li>
 *   <li>{@code formatDecrypt}: open (header + final chunk authenticated), then positional reads of 128 KiB (FUSE's
 *       largest read) over the whole object, from an in-memory blob (decrypted where it lies, then copied out);</li>
 *   <li>{@code formatDecryptStream}: the sequential InputStream view, read in 64 KiB pieces (whole-object GET);</li>
 *   <li>{@code formatRanged4k}: 256 random 4 KiB positional reads (= 1 MiB) on an open object; x256 for reads/s.</li>
 * </ul>
 * Run: {@code mvn -q -B -o -pl bench -am package -DskipTests && java -jar bench/target/benchmarks.jar FormatBenchmark -f 1 -wi 2 -i 3}
 * (add {@code -p algorithm=SM4_GCM} for the SM4 format paths).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class FormatBenchmark {
    static final int MIB = 1 << 20;
    static final int SIZE = 64 * MIB;
    static final int SLICE = ChunkLayout.DEFAULT_CHUNK_SIZE;
    /** The largest read FUSE sends. */
    static final int READ = 128 * 1024;

    @Param({"AES_256_GCM"})
    public String algorithm;

    byte[] plain;
    byte[] dataKey;
    ObjectHeader header;
    byte[] blob;
    MemorySink sink;
    ByteBuffer readDst;
    byte[] streamBuf;
    ObjectDecryptor openDecryptor;
    Random random;
    ByteBuffer small;

    // raw GCM
    Cipher cipher;
    SecretKeySpec rawKey;
    byte[] rawOut;
    byte[] rawCipher;
    byte[] iv = new byte[12];
    long ivCounter;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        DataAlgorithm alg = DataAlgorithm.valueOf(algorithm);
        Random r = new Random(1);
        plain = new byte[SIZE];
        r.nextBytes(plain);
        dataKey = new byte[32];
        r.nextBytes(dataKey);
        header = ObjectHeader.newVersion(alg, "KMS", "bench-key", "v1", new byte[64]);
        long cipherSize = ObjectFormats.latest().layout(header).ciphertextSize(SIZE);
        sink = new MemorySink(new byte[(int) cipherSize]);
        try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(header, dataKey, sink, "oss://bench/obj")) {
            enc.write(ByteBuffer.wrap(plain));
        }
        blob = sink.buf.clone();
        readDst = ByteBuffer.allocate(READ);
        streamBuf = new byte[64 * 1024];
        openDecryptor = ObjectFormats.open(InMemoryBlobStore.reader(blob), dataKey, "oss://bench/obj");
        random = new Random(2);
        small = ByteBuffer.allocate(4096);

        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        rawKey = new SecretKeySpec(dataKey, "AES");
        rawOut = new byte[SLICE + 16];
        rawCipher = new byte[SIZE / SLICE * (SLICE + 16)];
        for (int i = 0; i < SIZE / SLICE; i++) {
            cipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, nonce(i)));
            cipher.doFinal(plain, i * SLICE, SLICE, rawCipher, i * (SLICE + 16));
        }
    }

    private byte[] nonce(long n) {
        byte[] b = new byte[12];
        for (int i = 0; i < 8; i++) b[4 + i] = (byte) (n >>> (8 * (7 - i)));
        return b;
    }

    @Benchmark
    @OperationsPerInvocation(SIZE / MIB)
    public int rawGcmEncrypt() throws Exception {
        int n = 0;
        for (int off = 0; off < SIZE; off += SLICE) {
            cipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, nonce(++ivCounter + (1L << 40))));
            n += cipher.doFinal(plain, off, SLICE, rawOut, 0);
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(SIZE / MIB)
    public int rawGcmDecrypt() throws Exception {
        int n = 0;
        for (int i = 0; i < SIZE / SLICE; i++) {
            cipher.init(Cipher.DECRYPT_MODE, rawKey, new GCMParameterSpec(128, nonce(i)));
            n += cipher.doFinal(rawCipher, i * (SLICE + 16), SLICE + 16, rawOut, 0);
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(SIZE / MIB)
    public long formatEncrypt() throws IOException {
        try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(header, dataKey, NullSink.INSTANCE, "oss://bench/obj")) {
            enc.write(ByteBuffer.wrap(plain));
            return enc.finish().ciphertextSize();
        }
    }

    @Benchmark
    @OperationsPerInvocation(SIZE / MIB)
    public long formatEncryptToMemory() throws IOException {
        sink.pos = 0;
        try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(header, dataKey, sink, "oss://bench/obj")) {
            enc.write(ByteBuffer.wrap(plain));
            return enc.finish().ciphertextSize();
        }
    }

    @Benchmark
    @OperationsPerInvocation(SIZE / MIB)
    public long formatDecrypt() throws IOException {
        long total = 0;
        try (ObjectDecryptor d = ObjectFormats.open(InMemoryBlobStore.reader(blob), dataKey, "oss://bench/obj")) {
            for (long pos = 0; pos < SIZE; pos += READ) {
                readDst.clear();
                total += d.read(pos, readDst);
            }
        }
        return total;
    }

    @Benchmark
    @OperationsPerInvocation(SIZE / MIB)
    public long formatDecryptStream() throws IOException {
        long total = 0;
        try (ObjectDecryptor d = ObjectFormats.open(InMemoryBlobStore.reader(blob), dataKey, "oss://bench/obj");
             InputStream in = d.newInputStream()) {
            int n;
            while ((n = in.read(streamBuf)) > 0) total += n;
        }
        return total;
    }

    /** One op = 256 random 4 KiB reads = 1 MiB. */
    @Benchmark
    public void formatRanged4k(Blackhole bh) throws IOException {
        for (int i = 0; i < 256; i++) {
            small.clear();
            bh.consume(openDecryptor.read(random.nextInt(SIZE - 4096), small));
        }
    }

    /** A channel that accepts and drops everything, like /dev/null. */
    static final class NullSink implements WritableByteChannel {
        static final NullSink INSTANCE = new NullSink();

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    /** A channel that copies into a fixed array, as a blob writer would copy into its file. */
    static final class MemorySink implements WritableByteChannel {
        final byte[] buf;
        int pos;

        MemorySink(byte[] buf) {
            this.buf = buf;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.get(buf, pos, n);
            pos += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

}
