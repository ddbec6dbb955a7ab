package dev.ssefs.objectcore;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("Concurrency: many threads on one store")
class ConcurrencyTest {
    @TempDir Path dir;

    @Test
    @DisplayName("concurrent puts, reads, appends and renames of shared keys: every read is a whole version, nothing leaks")
    void manyThreads() throws Exception {
        try (StoreFixture f = new StoreFixture(dir)) {
            Oss oss = f.root();
            oss.createBucket("conc", new BucketEncryptionRule("AES256", null, null));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(thread);
                    for (int i = 0; i < 60; i++) {
                        String key = "k" + rnd.nextInt(4);
                        switch (rnd.nextInt(5)) {
                            case 0, 1 -> oss.putObject("conc", key, StoreFixture.in(CrashWorker.content(key, i, rnd)), Map.of());
                            case 2 -> {
                                try {
                                    CrashWorker.check(key, StoreFixture.readBytes(oss, "conc", key, null));
                                } catch (OssException e) {
                                    assertEquals("NoSuchKey", e.code());
                                }
                            }
                            case 3 -> {
                                String tmp = "tmp-" + thread + "-" + i;
                                try (Oss.ObjectWriter w = oss.newWriter("conc", tmp, Map.of(), null)) {
                                    w.write(ByteBuffer.wrap(CrashWorker.content(key, i, rnd)));
                                    w.commit();
                                }
                                oss.rename("conc", tmp, key, false);
                            }
                            default -> {
                                try (Oss.ObjectReader r = oss.openReader("conc", key)) {
                                    ByteBuffer b = ByteBuffer.allocate((int) r.meta().size());
                                    while (b.hasRemaining() && r.read(b.position(), b) > 0) { }
                                    CrashWorker.check(key, b.array());
                                } catch (OssException e) {
                                    assertEquals("NoSuchKey", e.code());
                                }
                            }
                        }
                    }
                    String log = "log" + thread;
                    long pos = 0;
                    for (int i = 0; i < 20; i++) pos = oss.appendObject("conc", log, pos, StoreFixture.in("line " + i + "\n"), Map.of()).size();
                    return null;
                }));
            }
            for (Future<?> fu : futures) fu.get();
            pool.shutdown();
            for (int t = 0; t < 8; t++) {
                String log = StoreFixture.read(oss, "conc", "log" + t);
                assertTrue(log.startsWith("line 0\n") && log.endsWith("line 19\n"), log);
            }
            var indexed = new HashSet<String>();
            for (ObjectMeta m : oss.listObjects("conc", null, null, null, 1000).objects()) indexed.add(f.store.record("conc", m.key()).blobId());
            assertEquals(indexed, new HashSet<>(f.store.versions.blobs().list()), "freed blobs are deleted right after their commit");
        }
    }
}
