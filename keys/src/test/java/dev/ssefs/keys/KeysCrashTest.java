package dev.ssefs.keys;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Kills a process administering keys ({@link KeysCrashWorker}) with SIGKILL at random moments, then reopens keys.db
 * with the right passphrase and checks that every key, state, alias and data key acknowledged before the kill is
 * intact. Iterations: {@code -Dssefs.crash.iterations=N} (default 20); seed: {@code -Dssefs.crash.seed}.
 */
@DisplayName("keys.db crash safety: SIGKILL of a process administering keys")
class KeysCrashTest {
    @TempDir Path dir;

    /** What the acknowledged operations say. */
    final Map<String, String> states = new HashMap<>();
    final Map<String, List<String[]>> dataKeys = new HashMap<>();
    final Map<String, String> aliases = new HashMap<>();
    final Set<String> deletedAliases = new HashSet<>();
    /** Every worker line and checker action, for failure messages. */
    final List<String> history = new ArrayList<>();
    final Map<String, Integer> ackCounts = new java.util.TreeMap<>();

    @Test
    @DisplayName("after SIGKILL at random points keys.db opens, and every acknowledged key, state, alias and data key is intact")
    void killRepeatedly() throws Exception {
        int iterations = Integer.getInteger("ssefs.crash.iterations", 20);
        long seed = Long.getLong("ssefs.crash.seed", System.nanoTime());
        Random rnd = new Random(seed);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        int acks = 0;
        for (int it = 0; it < iterations; it++) {
            String where = "iteration " + it + " (seed " + seed + ")";
            Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", cp,
                    KeysCrashWorker.class.getName(), dir.toString(), Long.toString(rnd.nextLong()), Integer.toString(it * 100_000))
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
                if (!p.isAlive()) fail(where + ": worker died before ready");
                if (System.nanoTime() > deadline) fail(where + ": worker not ready in time");
                Thread.sleep(5);
            }
            Thread.sleep(30 + rnd.nextInt(400));
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(60_000);
            assertFalse(reader.isAlive(), where + ": the worker's output was not read to its end");
            Set<String> uncertain = new HashSet<>();
            history.add("kill " + it);
            synchronized (lines) {
                acks += apply(lines, uncertain);
            }
            try {
                check(uncertain, where);
            } catch (RuntimeException e) {
                dumpHistory();
                throw new AssertionError(where + ": the store does not work after the kill: " + e, e);
            } catch (AssertionError e) {
                dumpHistory();
                throw e;
            }
        }
        assertTrue(acks > iterations, "the worker made progress: " + acks + " acknowledged operations");
        System.out.println("KeysCrashTest: " + iterations + " kills, " + acks + " acknowledged operations, "
                + states.size() + " keys at the end, acks " + ackCounts + ", seed " + seed);
    }

    /** Every line of every worker, for diagnosis: target/keys-crash-history.txt. */
    void dumpHistory() {
        try {
            java.nio.file.Files.write(Path.of("target", "keys-crash-history.txt"), history);
        } catch (java.io.IOException ignored) {
            // diagnostics only
        }
    }

    /** Folds the acknowledged operations into the model; the subject of an unfinished one is uncertain. */
    int apply(List<String> lines, Set<String> uncertain) {
        int acks = 0;
        String[] inFlight = null;
        for (String l : lines) {
            history.add(l);
            String[] f = l.split(" ");
            switch (f[0]) {
                case "begin" -> inFlight = f;
                case "rejected" -> inFlight = null;
                case "ack" -> {
                    inFlight = null;
                    acks++;
                    String op = f[1], subject = f[2];
                    ackCounts.merge(op, 1, Integer::sum);
                    switch (op) {
                        case "create" -> { states.put(subject, "Enabled"); addDataKey(subject, f); }
                        case "rotate", "datakey" -> addDataKey(subject, f);
                        case "disable" -> states.put(subject, "Disabled");
                        case "enable", "cancel" -> states.put(subject, "Enabled"); // OSS KMS: cancel -> Enabled
                        case "schedule" -> states.put(subject, "PendingDeletion");
                        case "destroy" -> {
                            Set<String> remaining = new HashSet<>(List.of(f[3].split(",")));
                            // keys the model knows, including targets of aliases on keys whose create was in flight
                            Set<String> known = new HashSet<>(states.keySet());
                            known.addAll(aliases.values());
                            for (String k : known) if (!remaining.contains(k)) forget(k);
                        }
                        case "alias" -> { aliases.put(subject, f[3]); deletedAliases.remove(subject); }
                        case "unalias" -> { aliases.remove(subject); deletedAliases.add(subject); }
                        default -> fail("unknown ack " + l);
                    }
                }
                default -> { }
            }
        }
        if (inFlight != null) {
            uncertain.add(inFlight[2]);
            if (inFlight[1].equals("destroy")) {
                // every key pending deletion may have been purged with it
                states.forEach((k, st) -> { if (st.equals("PendingDeletion")) uncertain.add(k); });
            }
        }
        return acks;
    }

    /** The key was destroyed: its data keys and aliases go with it. */
    void forget(String keyId) {
        states.remove(keyId);
        dataKeys.remove(keyId);
        for (String a : new ArrayList<>(aliases.keySet())) {
            if (aliases.get(a).equals(keyId)) {
                aliases.remove(a);
                deletedAliases.add(a);
            }
        }
    }

    void addDataKey(String keyId, String[] f) {
        if (f.length > 4) dataKeys.computeIfAbsent(keyId, k -> new ArrayList<>()).add(new String[]{f[3], f[4]});
    }

    void check(Set<String> uncertain, String where) throws Exception {
        try (EmbeddedKms kms = EmbeddedKms.open(dir, RootSecret.fromPassphrase(KeysCrashWorker.PASSPHRASE.toCharArray()),
                Clock.systemUTC(), KmsFixture.FAST)) {
            KeyStoreTest.assertAllKeysDbFilesPrivate(dir);
            Kms root = kms.as("root");
            for (Map.Entry<String, String> e : new HashMap<>(states).entrySet()) {
                String id = e.getKey();
                String state;
                try {
                    state = root.describeKey(id).keyState();
                } catch (KmsException gone) {
                    if (!uncertain.contains(id)) throw new AssertionError(where + ": acknowledged key " + id + " is lost", gone);
                    forget(id); // destroyed by the operation in flight
                    continue;
                }
                if (!uncertain.contains(id)) assertEquals(e.getValue(), state, where + ": state of " + id + "; history:\n"
                        + String.join("\n", history.stream().filter(h -> h.contains(id) || h.startsWith("kill")).toList()));
                // make the key usable to decrypt its data keys; the model follows
                if ("PendingDeletion".equals(state)) root.cancelKeyDeletion(id);
                if ("Disabled".equals(state)) root.enableKey(id);
                if (!"Enabled".equals(state)) history.add("checker enabled " + id + " (was " + state + ")");
                states.put(id, "Enabled");
                for (String[] dk : dataKeys.getOrDefault(id, List.of())) {
                    byte[] plain = root.decrypt(Base64.getDecoder().decode(dk[1]), KeysCrashWorker.CONTEXT).plaintext();
                    assertEquals(dk[0], HexFormat.of().formatHex(plain), where + ": a data key of " + id);
                }
            }
            for (Map.Entry<String, String> a : aliases.entrySet()) {
                if (uncertain.contains(a.getKey()) || uncertain.contains(a.getValue())) continue;
                assertEquals(a.getValue(), root.describeKey(a.getKey()).keyId(), where + ": " + a.getKey());
            }
            for (String a : deletedAliases) {
                if (uncertain.contains(a)) continue;
                assertThrows(KmsException.class, () -> root.describeKey(a), where + ": deleted " + a + " came back");
            }
            // what survived of the uncertain operation is the new baseline
            for (String u : uncertain) {
                if (u.startsWith("alias/")) {
                    deletedAliases.remove(u);
                    aliases.remove(u);
                    try {
                        aliases.put(u, root.describeKey(u).keyId());
                    } catch (KmsException gone) {
                        deletedAliases.add(u);
                    }
                }
            }
        }
    }
}
