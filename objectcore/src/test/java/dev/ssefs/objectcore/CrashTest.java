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
        killRepeatedly(Integer.getInteger("ssefs.crash.iterations", 20), false);
    }

    @Test
    @DisplayName("grouped commits: after SIGKILL every object is whole, writes acknowledged before a sync survive, no orphans")
    void killRepeatedlyGrouped() throws Exception {
        killRepeatedly(Math.max(1, Integer.getInteger("ssefs.crash.iterations", 20) / 2), true);
    }

    void killRepeatedly(int iterations, boolean grouped) throws Exception {
        long seed = Long.getLong("ssefs.crash.seed", System.nanoTime());
        Random rnd = new Random(seed);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        // key -> last acknowledged state: seq of the put, or -seq of the delete
        Map<String, Long> acked = new HashMap<>();
        int totalAcks = 0;
        int reclaimed = 0;
        List<String> history = new ArrayList<>();
        for (int it = 0; it < iterations; it++) {
            long startSeq = (it + 1) * 10_000_000L;
            Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", cp,
                    CrashWorker.class.getName(), dir.toString(), Long.toString(startSeq), Long.toString(rnd.nextLong()),
                    grouped ? "grouped" : "each")
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
            reader.join(120_000);
            assertFalse(reader.isAlive(), "the worker's output was not read to its end");
            String inFlightDelete = null;
            // grouped: acknowledgements count once a later "synced" line made them durable
            Map<String, Long> unsynced = new HashMap<>();
            synchronized (lines) {
                for (String l : lines) history.add(it + ": " + l);
                for (String l : lines) {
                    String[] f = l.split(" ");
                    if (f[0].equals("synced")) {
                        acked.putAll(unsynced);
                        unsynced.clear();
                        continue;
                    }
                    if (f[0].equals("begin")) {
                        inFlightDelete = f[1].equals("delete") ? f[2] : null;
                        continue;
                    }
                    if (!f[0].equals("ack")) continue;
                    inFlightDelete = null;
                    totalAcks++;
                    long s = Long.parseLong(f[3]);
                    Map<String, Long> target = grouped ? unsynced : acked;
                    if (f[1].equals("put") || f[1].equals("append")) target.put(f[2], s);
                    else if (f[1].equals("delete")) target.put(f[2], -s);
                }
            }
            try (StoreFixture f = new StoreFixture(dir)) {
                reclaimed += f.store.reclaimedOnOpen();
                // uncertain: an in-flight delete, and keys changed since the last sync (grouped)
                Set<String> uncertain = new HashSet<>(unsynced.keySet());
                if (inFlightDelete != null) uncertain.add(inFlightDelete);
                Map<String, Long> seen;
                try {
                    seen = checkStore(f, acked, uncertain, "iteration " + it + " (seed " + seed + (grouped ? ", grouped" : "") + ")");
                } catch (AssertionError e) {
                    int from = Math.max(0, history.size() - 60);
                    throw new AssertionError(e.getMessage() + "\nlast worker lines:\n" + String.join("\n", history.subList(from, history.size())), e);
                }
                // what survived of the uncertain operations is the new baseline
                long tombstone = -(it + 1) * 10_000_000L - 9_999_999L;
                for (String k : uncertain) acked.put(k, seen.containsKey(k) ? seen.get(k) : tombstone);
            }
        }
        assertTrue(totalAcks > iterations, "the worker made progress: " + totalAcks + " acknowledged operations");
        System.out.println("CrashTest: " + iterations + " kills, " + totalAcks + " acknowledged operations, "
                + reclaimed + " blobs reclaimed, seed " + seed);
    }

    /**
     * {@code uncertain}: keys whose last operation may or may not have survived (an unacknowledged delete at the kill,
     * or unsynced grouped changes): for them only wholeness is checked. Returns the key -> sequence seen.
     */
    static Map<String, Long> checkStore(StoreFixture f, Map<String, Long> acked, Set<String> uncertain, String where) throws Exception {
        Oss oss = f.root();
        Set<String> indexed = new HashSet<>();
        Map<String, Long> present = new HashMap<>();
        String marker = null;
        do {
            ListResult r = oss.listObjects(CrashWorker.BUCKET, null, null, marker, 1000);
            for (ObjectMeta m : r.objects()) {
                byte[] all = StoreFixture.readBytes(oss, CrashWorker.BUCKET, m.key(), null);
                if (m.key().startsWith("log")) {
                    List<Long> seqs = CrashWorker.checkLog(m.key(), all);
                    if (!seqs.isEmpty()) present.put(m.key(), seqs.get(seqs.size() - 1));
                } else {
                    long seq = CrashWorker.check(m.key(), all);
                    if (!m.key().startsWith("tmp/")) present.put(m.key(), seq);
                }
                ObjectRecord rec = f.store.record(CrashWorker.BUCKET, m.key());
                indexed.add(rec.blobId());
            }
            marker = r.truncated() ? r.nextMarker() : null;
        } while (marker != null);
        for (Map.Entry<String, Long> e : acked.entrySet()) {
            Long seq = present.get(e.getKey());
            long ack = e.getValue();
            if (uncertain.contains(e.getKey()) && (seq == null || ack < 0)) continue;
            if (ack > 0) {
                assertNotNull(seq, where + ": acknowledged put of " + e.getKey() + " #" + ack + " is lost");
                assertTrue(seq >= ack, where + ": " + e.getKey() + " went back from #" + ack + " to #" + seq);
            } else if (seq != null) {
                assertTrue(seq > -ack, where + ": deleted " + e.getKey() + " came back as #" + seq);
            }
        }
        // after reclamation the blob store holds the indexed blobs plus parts of unfinished multipart uploads, nothing else
        Set<String> blobs = new HashSet<>(f.store.versions.blobs().list());
        assertTrue(blobs.containsAll(indexed), where + ": indexed blobs are missing");
        for (String b : blobs) {
            assertTrue(f.store.meta.isLiveBlob(b), where + ": blob " + b + " is referenced by nothing but survived reclamation");
        }
        assertTrue(oss.verify(CrashWorker.BUCKET, null, null).ok(), where + ": verify failed");
        return present;
    }
}
