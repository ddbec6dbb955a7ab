package dev.ssefs.bench;

import dev.ssefs.objectcore.blob.InMemoryBlobStore;
import dev.ssefs.objectcore.format.DataAlgorithm;
import dev.ssefs.objectcore.format.ObjectDecryptor;
import dev.ssefs.objectcore.format.ObjectEncryptor;
import dev.ssefs.objectcore.format.ObjectFormats;
import dev.ssefs.objectcore.format.ObjectHeader;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Companion to {@link FormatBenchmark} for shared, noisy machines: it interleaves raw JDK AES-GCM and the format
 * round by round over the same 64 MiB, so both see the same load, and reports the median of the per-round ratios
 * (format / raw) besides median and best MiB/s. JMH runs benchmarks one after the other, so on a loaded host its
 * ratios drift with the load. Run: {@code java -cp bench/target/benchmarks.jar dev.ssefs.bench.FormatRatio [rounds]}.
 */
public final class FormatRatio {
    private static final int MIB = 1 << 20;
    private static final int SIZE = 64 * MIB;
    private static final int SLICE = 64 * 1024;
    private static final int READ = 128 * 1024;

    private FormatRatio() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Random r = new Random(1);
        byte[] plain = new byte[SIZE];
        r.nextBytes(plain);
        byte[] key = new byte[32];
        r.nextBytes(key);
        ObjectHeader header = ObjectHeader.newVersion(DataAlgorithm.AES_256_GCM, "KMS", "k", "v", new byte[64]);
        FormatBenchmark.MemorySink sink =
                new FormatBenchmark.MemorySink(new byte[(int) ObjectFormats.latest().layout(header).ciphertextSize(SIZE)]);
        try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(header, key, sink, "oss://bench/obj")) {
            enc.write(ByteBuffer.wrap(plain));
        }
        byte[] blob = sink.buf;

        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        byte[] out = new byte[SLICE + 16];
        byte[] rawCipher = new byte[SIZE / SLICE * (SLICE + 16)];
        for (int i = 0; i < SIZE / SLICE; i++) {
            c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce(i)));
            c.doFinal(plain, i * SLICE, SLICE, rawCipher, i * (SLICE + 16));
        }
        ByteBuffer dst = ByteBuffer.allocate(READ);
        long iv = 1L << 40;
        String[] names = {"raw GCM encrypt", "format encrypt", "raw GCM decrypt", "format decrypt (128 KiB reads)"};
        List<double[]> results = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (int off = 0; off < SIZE; off += SLICE) {
                c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce(++iv)));
                c.doFinal(plain, off, SLICE, out, 0);
            }
            long t1 = System.nanoTime();
            try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(header, key, FormatBenchmark.NullSink.INSTANCE, "x")) {
                enc.write(ByteBuffer.wrap(plain));
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < SIZE / SLICE; i++) {
                c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, nonce(i)));
                c.doFinal(rawCipher, i * (SLICE + 16), SLICE + 16, out, 0);
            }
            long t3 = System.nanoTime();
            try (ObjectDecryptor d = ObjectFormats.open(InMemoryBlobStore.reader(blob), key, "x")) {
                for (long p = 0; p < SIZE; p += READ) {
                    dst.clear();
                    d.read(p, dst);
                }
            }
            long t4 = System.nanoTime();
            if (round >= 3) results.add(new double[] {mibs(t1 - t0), mibs(t2 - t1), mibs(t3 - t2), mibs(t4 - t3)});
        }
        for (int i = 0; i < names.length; i++) {
            int j = i;
            double[] v = results.stream().mapToDouble(x -> x[j]).sorted().toArray();
            System.out.printf("%-32s median %6.0f MiB/s   best %6.0f MiB/s%n", names[i], v[v.length / 2], v[v.length - 1]);
        }
        for (int i : new int[] {1, 3}) {
            double[] q = results.stream().mapToDouble(x -> x[i] / x[i - 1]).sorted().toArray();
            System.out.printf("%-32s median per-round ratio to raw: %.2f (quartiles %.2f .. %.2f)%n", names[i],
                    q[q.length / 2], q[q.length / 4], q[3 * q.length / 4]);
        }
        Arrays.fill(key, (byte) 0);
    }

    private static double mibs(long nanos) {
        return SIZE / (double) MIB / (nanos / 1e9);
    }

    private static byte[] nonce(long n) {
        byte[] b = new byte[12];
        for (int i = 0; i < 8; i++) b[4 + i] = (byte) (n >>> (8 * (7 - i)));
        return b;
    }
}
