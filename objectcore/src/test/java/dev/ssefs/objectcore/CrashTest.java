package dev.ssefs.objectcore;

import dev.ssefs.objectcore.internal.ObjectRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Kills a writer process ({@link CrashWorker}) with SIGKILL at random moments, then reopens the store and checks:
 * every object is a whole version (its embedded hash matches), every acknowledged write is there (or a later one),
 * no blob outside the index survives reclamation, and verify passes.
 * Iterations: {@code -Dssefs.crash.iterations=N} (default 20).
 */
@DisplayName("Crash safety: SIGKILL of a writer process")
class CrashTest {
    @TempDir Path dir;

    @Test
    @DisplayName("after SIGKILL at random points, every object is whole, acknowledged writes survive, and no unpublished blob remains")
    void killRepeatedly() throws Exception {
        int iterations = Integer.getInteger("ssefs.crash.iterations", 20);
        long seed = Long.getLong("ssefs.crash.seed", System.nanoTime());
        Random rnd = new Random(seed);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        // key -> last acknowledged state: seq of the put, or -seq of the delete
        Map<String, Long> acked = new HashMap<>();
        int totalAcks = 0;
        int reclaimed = 0;
        for (int it = 0; it < iterations; it++) {
            long startSeq = (it + 1) * 10_000_000L;
            Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", cp,
                    CrashWorker.class.getName(), dir.toString(), Long.toString(startSeq), Long.toString(rnd.nextLong()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            List<String> lines = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) synchronized (lines) { lines.add(l); }
                } catch (Exception ignored) {
                    // the process died
                }
            });
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                synchronized (lines) { if (lines.contains("ready")) break; }
                if (!p.isAlive()) fail("worker died before ready (seed " + seed + ")");
                if (System.nanoTime() > deadline) fail("worker not ready in time");
                Thread.sleep(5);
            }
            Thread.sleep(50 + rnd.nextInt(600));
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            String inFlightDelete = null;
            synchronized (lines) {
                for (String l : lines) {
                    String[] f = l.split(" ");
                    if (f[0].equals("begin")) {
                        inFlightDelete = f[1].equals("delete") ? f[2] : null;
                        continue;
                    }
                    if (!f[0].equals("ack")) continue;
                    inFlightDelete = null;
                    totalAcks++;
                    long s = Long.parseLong(f[3]);
                    if (f[1].equals("put")) acked.put(f[2], s);
                    else if (f[1].equals("delete")) acked.put(f[2], -s);
                }
            }
            try (StoreFixture f = new StoreFixture(dir)) {
                reclaimed += f.store.reclaimedOnOpen();
                checkStore(f, acked, inFlightDelete, "iteration " + it + " (seed " + seed + ")");
                // the in-flight delete may or may not have happened: learn which
                if (inFlightDelete != null && f.store.record(CrashWorker.BUCKET, inFlightDelete) == null) {
                    acked.put(inFlightDelete, -(it + 1) * 10_000_000L - 9_999_999L);
                }
            }
        }
        assertTrue(totalAcks > iterations, "the worker made progress: " + totalAcks + " acknowledged operations");
        System.out.println("CrashTest: " + iterations + " kills, " + totalAcks + " acknowledged operations, "
                + reclaimed + " blobs reclaimed, seed " + seed);
    }

    /** {@code inFlightDelete}: the key of an unacknowledged delete at the kill (it may have committed), or null. */
    static void checkStore(StoreFixture f, Map<String, Long> acked, String inFlightDelete, String where) throws Exception {
        Oss oss = f.root();
        Set<String> indexed = new HashSet<>();
        Map<String, Long> present = new HashMap<>();
        String marker = null;
        do {
            ListResult r = oss.listObjects(CrashWorker.BUCKET, null, null, marker, 1000);
            for (ObjectMeta m : r.objects()) {
                byte[] all = StoreFixture.readBytes(oss, CrashWorker.BUCKET, m.key(), null);
                long seq = CrashWorker.check(m.key(), all);
                if (!m.key().startsWith("tmp/")) present.put(m.key(), seq);
                ObjectRecord rec = f.store.record(CrashWorker.BUCKET, m.key());
                indexed.add(rec.blobId());
            }
            marker = r.truncated() ? r.nextMarker() : null;
        } while (marker != null);
        for (Map.Entry<String, Long> e : acked.entrySet()) {
            Long seq = present.get(e.getKey());
            long ack = e.getValue();
            if (ack > 0 && !(seq == null && e.getKey().equals(inFlightDelete))) {
                assertNotNull(seq, where + ": acknowledged put of " + e.getKey() + " #" + ack + " is lost");
                assertTrue(seq >= ack, where + ": " + e.getKey() + " went back from #" + ack + " to #" + seq);
            } else if (seq != null) {
                assertTrue(seq > -ack, where + ": deleted " + e.getKey() + " came back as #" + seq);
            }
        }
        // after reclamation the blob store holds exactly the indexed blobs
        Set<String> blobs = new HashSet<>(f.store.versions.blobs().list());
        assertEquals(indexed, blobs, where + ": blobs outside the index survived reclamation (or indexed blobs are missing)");
        assertTrue(oss.verify(CrashWorker.BUCKET, null, null).ok(), where + ": verify failed");
    }
}
