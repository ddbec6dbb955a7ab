package dev.ssefs.reliability;

import dev.ssefs.fuse.MountTable;
import dev.ssefs.fuse.Sh;
import dev.ssefs.objectcore.ListResult;
import dev.ssefs.objectcore.Oss;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Category 2: the daemon JVM is SIGKILLed at random moments while a workload writes, overwrites (in place and
 * by write-to-temp-and-rename), renames and deletes through the mount, fsyncing some writes. After each kill:
 * {@code fusermount -u -z}, remount (the store must open without repair), and every file is checked: content is
 * self-describing (an id, its length and its SHA-256 in a header), so a file is either absent or one whole version
 * the model allows; a file whose fsync returned and that nothing touched afterwards holds exactly that version.
 * At the end {@code ssefs verify} passes and, once reclamation is done, every blob belongs to an object.
 * {@code -Dssefs.crash.cycles=N} (or SSEFS_CRASH_CYCLES) runs more cycles (nightly); CI runs 100.
 */
@DisplayName("SIGKILL of the daemon at random moments")
class CrashIT {
    static final String B = "crash";
    static final int NAMES = 8;
    static final String ABSENT = "<absent>";

    static int cycles() {
        String p = System.getProperty("ssefs.crash.cycles", System.getenv().getOrDefault("SSEFS_CRASH_CYCLES", "100"));
        return Integer.parseInt(p.trim());
    }

    /** What each name may hold after a crash: content ids (or ABSENT). */
    final Map<String, Set<String>> possible = new HashMap<>();
    /** What each name holds in the live mount, as the workload saw its operations succeed. */
    final Map<String, String> current = new HashMap<>();
    int fsyncAcked;
    int checkedFiles;
    int opsDone;

    static String name(int i) { return "f" + i; }

    static byte[] content(String id, int len, long seed) throws Exception {
        byte[] payload = new byte[len];
        new Random(seed).nextBytes(payload);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));
        byte[] head = ("ssefs-crash id=" + id + " len=" + len + " sha256=" + sha + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + len];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(payload, 0, all, head.length, len);
        return all;
    }

    /** The id of a whole, self-consistent file; fails on a torn or mixed one. */
    static String idOf(String name, byte[] b) throws Exception {
        int nl = -1;
        for (int i = 0; i < Math.min(b.length, 200); i++) if (b[i] == '\n') { nl = i; break; }
        assertTrue(nl > 0, name + ": no header line (" + b.length + " bytes): torn or mixed content");
        String head = new String(b, 0, nl, StandardCharsets.US_ASCII);
        String[] f = head.split(" ");
        assertEquals("ssefs-crash", f[0], name + ": " + head);
        int len = Integer.parseInt(f[2].substring(4));
        assertEquals(len, b.length - nl - 1, name + ": length of " + head);
        byte[] payload = java.util.Arrays.copyOfRange(b, nl + 1, b.length);
        assertEquals(f[3].substring(7), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload)),
                name + ": checksum of " + head + ": a mix of versions");
        return f[1].substring(3);
    }

    void allow(String name, String id) {
        possible.computeIfAbsent(name, k -> new HashSet<>()).add(id);
    }

    /** The workload: runs until {@code stop} or until the mount goes away; returns ops done. */
    void workload(Path dir, Random r, int cycle, AtomicBoolean stop) {
        int seq = 0;
        try {
            while (!stop.get()) {
                String a = name(r.nextInt(NAMES));
                String b = name(r.nextInt(NAMES));
                int op = r.nextInt(10);
                String id = cycle + "-" + (seq++);
                int len = r.nextInt(4) == 0 ? 70_000 + r.nextInt(140_000) : r.nextInt(3000);
                if (op < 4) { // overwrite in place (truncate, write, maybe fsync, close)
                    byte[] c = content(id, len, id.hashCode());
                    boolean sync = r.nextBoolean();
                    allow(a, id); // may be published from the moment close/fsync starts
                    try (FileChannel ch = FileChannel.open(dir.resolve(a), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                        allow(a, "");  // an empty file may be published by the truncating open
                        ch.write(ByteBuffer.wrap(c));
                        if (sync) {
                            ch.force(true);
                            possible.put(a, new HashSet<>(Set.of(id)));
                            fsyncAcked++;
                        }
                    }
                    current.put(a, id);
                } else if (op < 6) { // write a temp file, fsync it, rename over the target (the editor pattern)
                    String tmp = "tmp-" + id;
                    byte[] c = content(id, len, id.hashCode());
                    try (FileChannel ch = FileChannel.open(dir.resolve(tmp), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap(c));
                        ch.force(true);
                    }
                    allow(a, id);
                    Files.move(dir.resolve(tmp), dir.resolve(a), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    current.put(a, id);
                } else if (op < 8) { // rename a -> b
                    if (a.equals(b) || current.getOrDefault(a, ABSENT).equals(ABSENT)) continue;
                    allow(b, current.get(a));
                    allow(a, ABSENT);
                    Files.move(dir.resolve(a), dir.resolve(b), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    current.put(b, current.get(a));
                    current.put(a, ABSENT);
                } else { // delete
                    allow(a, ABSENT);
                    try {
                        Files.delete(dir.resolve(a));
                    } catch (NoSuchFileException e) {
                        // was absent
                    }
                    current.put(a, ABSENT);
                }
                opsDone++;
            }
        } catch (Exception e) {
            // the daemon died under the operation: its effect may or may not have happened (allowed above)
        }
    }

    /** Checks every name against the model, then makes what is there the new baseline. */
    void checkAndRebase(Path dir, int cycle) throws Exception {
        for (int i = 0; i < NAMES; i++) {
            String n = name(i);
            Path p = dir.resolve(n);
            String id;
            if (!Files.exists(p)) {
                id = ABSENT;
            } else {
                byte[] b = Files.readAllBytes(p);
                id = b.length == 0 ? "" : idOf(n, b);
            }
            Set<String> ok = possible.getOrDefault(n, Set.of(ABSENT));
            String finalId = id;
            assertTrue(ok.contains(id) || (id.equals(current.getOrDefault(n, ABSENT))),
                    () -> "cycle " + cycle + ": " + n + " holds " + finalId + ", allowed " + ok + " (live view " + current.get(n) + ")");
            possible.put(n, new HashSet<>(Set.of(id)));
            current.put(n, id);
            checkedFiles++;
        }
        // leftover temp files of interrupted editor writes are whole files too
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(x -> x.getFileName().toString().startsWith("tmp-")).toList()) {
                byte[] b = Files.readAllBytes(p);
                if (b.length > 0) idOf(p.getFileName().toString(), b);
                Files.delete(p);
            }
        }
    }

    @Test
    @DisplayName("SIGKILL at random moments (100 cycles in CI): fsync'ed files intact, others wholly old or new, verify passes, no orphans")
    void killAtRandomMoments() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        int cycles = cycles();
        long t0 = System.nanoTime();
        try (Store store = Store.withRootKey("crash")) {
            store.inlineLimit = null; // the default: small objects in meta.db, larger ones as files
            store.ok("mb", "oss://" + B, "--sse-algorithm", "AES256");
            Path mnt = store.mountPoint("mnt");
            fastDaemonStart(store, mnt);
            Random r = new Random(0xC0FFEE);
            for (int cycle = 0; cycle < cycles; cycle++) {
                Process daemon = store.mountForeground(B, mnt, "stage_mem=64K");
                try {
                    Path dir = mnt.resolve("w");
                    if (cycle == 0) Files.createDirectories(dir);
                    checkAndRebase(dir, cycle);
                    AtomicBoolean stop = new AtomicBoolean();
                    Random wr = new Random(r.nextLong());
                    int cyc = cycle;
                    Thread w = new Thread(() -> workload(dir, wr, cyc, stop), "crash-workload");
                    w.start();
                    Thread.sleep(20 + r.nextInt(380));
                    daemon.destroyForcibly(); // SIGKILL
                    assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "the daemon died");
                    stop.set(true);
                    w.join(30_000);
                    assertFalse(w.isAlive(), "the workload returned after the daemon died");
                } finally {
                    if (daemon.isAlive()) daemon.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
                    Sh.lazyUnmount(mnt);
                }
                assertFalse(MountTable.isSsefsMount(mnt));
            }
            // the last state, then ssefs verify through the daemon of a normal mount
            store.mount(B, mnt);
            long pid = store.daemonPid();
            try {
                checkAndRebase(mnt.resolve("w"), cycles);
                Sh.Result v = store.run("verify", "oss://" + B, "--no-progress");
                assertEquals(0, v.exit(), v.toString());
            } finally {
                store.unmount(mnt);
            }
            assertTrue(Store.awaitExit(pid, 20_000), "the daemon exits after its last mount");
            // no orphaned blobs once reclamation is done: one blob per object
            try (Store.Opened s = store.open()) {
                s.objects().awaitReclamation();
                Oss oss = s.objects().as("root");
                int objects = 0;
                String marker = null;
                do {
                    ListResult page = oss.listObjects(B, "", null, marker, 1000);
                    objects += page.objects().size();
                    marker = page.truncated() ? page.nextMarker() : null;
                } while (marker != null);
                assertEquals(objects, s.objects().storedBlobIds().size(), "blobs = objects: no orphan remains after reclamation");
                assertTrue(oss.verify(B, "", null).ok());
            }
        }
        System.out.printf("CrashIT: %d kills, %d operations, %d fsyncs acknowledged, %d file checks, %.1f s%n",
                cycles, opsDone, fsyncAcked, checkedFiles, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Each cycle starts a daemon JVM: C1 only and an application class-data archive (made by one clean mount and
     * unmount first) keep a start near one second, so that 100 cycles fit the CI budget.
     */
    static void fastDaemonStart(Store store, Path mnt) throws Exception {
        String lean = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m -Dfile.encoding=UTF-8 -Dsun.jnu.encoding=UTF-8";
        Path jsa = store.work.resolve("daemon.jsa");
        store.daemonEnv.put("SSEFS_JAVA_OPTS", lean + " -XX:ArchiveClassesAtExit=" + jsa);
        Process p = store.mountForeground(B, mnt);
        try {
            Files.writeString(mnt.resolve("warm-up"), "x");
            Files.readString(mnt.resolve("warm-up"));
            Files.delete(mnt.resolve("warm-up"));
            store.ok("umount", mnt.toString());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the daemon exits after umount");
        } finally {
            if (p.isAlive()) p.destroyForcibly();
            Sh.lazyUnmount(mnt);
        }
        store.daemonEnv.put("SSEFS_JAVA_OPTS", lean + (Files.exists(jsa) ? " -XX:SharedArchiveFile=" + jsa : ""));
    }
}
