package dev.ssefs.bench;

import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.keys.RootSecret;
import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.EmbeddedObjectStore;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.OssException;
import dev.ssefs.objectcore.PosixAttributes;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Grows a bucket for the scale benchmark ({@code mount-scripts/bench-scale}) to a given number of objects through
 * objectcore's real API: each object is a {@code newWriter(...).commit()} as the mount makes it (its own KMS data
 * key, its own blob, a published index entry), from several threads, with grouped commits and a final sync.
 * <p>
 * Layout: {@code big/f0000000 ...} holds the first 100,000 objects (the directory {@code ls} is timed on);
 * the rest go to {@code t/dNNNN/fNNNNNNN}, 1,000 per directory. Growing is incremental: objects
 * {@code [from, to)} are added, so 1k, 10k, 100k and 1M are built one after another.
 * <p>
 * Usage: {@code ScaleBuilder DATA_DIR BUCKET FROM TO [THREADS]} with {@code SSEFS_PASSPHRASE} set; creates the
 * bucket (KMS rule) when missing.
 */
public final class ScaleBuilder {
    public static final int BIG_DIR = 100_000;

    private ScaleBuilder() {}

    /** The key of object number {@code i}. */
    public static String key(long i) {
        if (i < BIG_DIR) return String.format("big/f%07d", i);
        return String.format("t/d%04d/f%07d", (i - BIG_DIR) / 1000, i);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: ScaleBuilder DATA_DIR BUCKET FROM TO [THREADS]  (SSEFS_PASSPHRASE set)");
            System.exit(2);
        }
        Path dataDir = Path.of(args[0]);
        String bucket = args[1];
        long from = Long.parseLong(args[2]);
        long to = Long.parseLong(args[3]);
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        String pass = System.getenv("SSEFS_PASSPHRASE");
        if (pass == null) throw new IllegalStateException("set SSEFS_PASSPHRASE");
        long t0 = System.nanoTime();
        RootSecret secret = RootSecret.fromPassphrase(pass.toCharArray());
        try (EmbeddedKms kms = EmbeddedKms.open(dataDir, secret, Clock.systemUTC());
             EmbeddedObjectStore store = EmbeddedObjectStore.open(dataDir, kms, Clock.systemUTC(),
                     EmbeddedObjectStore.Options.grouped(Duration.ofMillis(500)))) {
            secret.destroy();
            Oss oss = store.as("root");
            try {
                oss.getBucketInfo(bucket);
            } catch (OssException e) {
                if (!"NoSuchBucket".equals(e.code())) throw e;
                oss.createBucket(bucket, new BucketEncryptionRule("KMS", null, null));
            }
            AtomicLong next = new AtomicLong(from);
            AtomicLong done = new AtomicLong();
            long now = System.currentTimeMillis() * 1_000_000L;
            byte[] body = "scale benchmark object\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            List<Thread> ts = new ArrayList<>();
            Throwable[] failure = new Throwable[1];
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    try {
                        for (long i; (i = next.getAndIncrement()) < to; ) {
                            PosixAttributes attrs = new PosixAttributes(0100644, 0, 0, now, now, now, null);
                            try (Oss.ObjectWriter w = oss.newWriter(bucket, key(i), Map.of(), attrs)) {
                                w.write(ByteBuffer.wrap(body));
                                w.commit();
                            }
                            long d = done.incrementAndGet();
                            if (d % 50_000 == 0) System.err.printf("  %d objects (%.0f/s)%n", from + d, d / ((System.nanoTime() - t0) / 1e9));
                        }
                    } catch (Throwable e) {
                        synchronized (failure) {
                            if (failure[0] == null) failure[0] = e;
                        }
                    }
                }, "builder-" + t);
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) th.join();
            if (failure[0] != null) throw new IllegalStateException("building failed: " + failure[0], failure[0]);
            store.sync();
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf("built objects [%d, %d) of oss://%s in %.1f s (%.0f objects/s)%n", from, to, bucket, s, (to - from) / s);
        }
    }
}
