package dev.ssefs.keys;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("Concurrent use")
class ConcurrencyTest {
    @TempDir Path dir;

    @Test
    @DisplayName("many threads generate and decrypt data keys while others rotate, create keys and change policies")
    void smoke() throws Exception {
        TestClock clock = new TestClock();
        try (EmbeddedKms kms = KmsFixture.open(dir, clock)) {
            Kms root = kms.as("root");
            List<String> keys = new ArrayList<>();
            for (String spec : List.of("Aliyun_AES_256", "Aliyun_SM4")) {
                keys.add(root.createKey(new Kms.CreateKeyRequest(spec, null, null, true, Duration.ofDays(7))).keyId());
            }
            kms.policies().putPolicy("app", "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}");
            int workers = 8;
            ExecutorService pool = Executors.newFixedThreadPool(workers + 2);
            CountDownLatch start = new CountDownLatch(1);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger ops = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int n = w;
                futures.add(pool.submit(() -> {
                    try {
                        start.await();
                        Kms k = kms.as(n % 2 == 0 ? "root" : "app");
                        for (int i = 0; i < 2000; i++) {
                            String key = keys.get(i % keys.size());
                            Map<String, String> ctx = Map.of("w", "" + n, "i", "" + i);
                            Kms.DataKey dk = k.generateDataKey(key, null, null, ctx);
                            assertArrayEquals(dk.plaintext(), k.decrypt(dk.ciphertextBlob(), ctx).plaintext());
                            Kms.DataKey sk = kms.oss().generateServiceDataKey(i % 2 == 0 ? "AES256" : "SM4", 32, ctx);
                            assertArrayEquals(sk.plaintext(), kms.oss().decryptServiceDataKey(sk.ciphertextBlob(), ctx).plaintext());
                            ops.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                    return null;
                }));
            }
            futures.add(pool.submit(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 40; i++) {
                        root.createKeyVersion(keys.get(i % 2));
                        root.createKey(Kms.CreateKeyRequest.defaults());
                        clock.advance(Duration.ofDays(3)); // drives lazy automatic rotation and SSE-OSS ring rotation
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
                return null;
            }));
            futures.add(pool.submit(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 40; i++) {
                        kms.policies().putPolicy("other" + i, "{\"Version\":\"1\",\"Statement\":[]}");
                        root.listKeys(1, 100);
                        root.describeKey(keys.get(0));
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
                return null;
            }));
            start.countDown();
            for (Future<?> f : futures) f.get(120, TimeUnit.SECONDS);
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError(failures.size() + " failures");
                failures.forEach(e::addSuppressed);
                throw e;
            }
            assertEquals(workers * 2000, ops.get());
            assertTrue(root.listKeyVersions(keys.get(0)).size() > 20);
            assertEquals(42, root.listKeys(1, 100).totalCount());
        }
    }
}
