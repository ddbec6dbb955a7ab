package dev.ssefs.reliability;

import dev.ssefs.fuse.MountTable;
import dev.ssefs.fuse.Sh;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Category 3: faults under a live mount: a full data dir (a small tmpfs), a data dir remounted read-only, the
 * bucket's CMK disabled mid-workload and enabled again, an unmount while files are open, and SIGTERM.
 */
@DisplayName("faults: full disk, read-only data dir, key disabled, unmount while open, SIGTERM")
class FaultsIT {
    static int cases;

    static Path tmpfs(Store store, String size) throws Exception {
        Path t = Files.createDirectories(store.work.resolve("tmpfs"));
        Sh.ok(store.work, "mount -t tmpfs -o size=" + size + ",mode=0700 ssefs-rel-tmpfs '" + t + "'");
        return t;
    }

    static void unmountTmpfs(Path t) throws Exception {
        Sh.run(null, "umount", "-l", t.toString());
    }

    static Store onTmpfs(String name, String size) throws Exception {
        Store base = Store.withRootKey(name);
        Path t = tmpfs(base, size);
        // the data dir itself is the tmpfs: every byte the store writes competes for its space
        return base.withDataDir(t);
    }

    @Test
    @DisplayName("full data dir: the failing write or close returns ENOSPC/EIO, the old version stays readable, the mount keeps serving")
    void fullDisk() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        assumeTrue(Store.isRoot(), "mounting a tmpfs needs root");
        Store store = onTmpfs("full", "6m");
        try (store) {
            store.ok("mb", "oss://full", "--sse-algorithm", "AES256");
            Path mnt = store.mountPoint("mnt");
            store.mount("full", mnt, "stage_mem=256K");
            try {
                String out = Sh.ok(store.work, """
                        set -e
                        head -c 300000 /dev/urandom > keep.bin
                        cp keep.bin "$M/keep"
                        # a new file larger than the disk
                        if dd if=/dev/urandom of="$M/big" bs=64k count=200 status=none 2>err1; then echo BIG-OK; fi
                        cat err1
                        # an overwrite that cannot fit: keep must stay as it was
                        head -c 9000000 /dev/urandom > huge.bin
                        if cp huge.bin "$M/keep" 2>err2; then echo OVERWRITE-OK; fi
                        cat err2
                        cmp keep.bin "$M/keep" && echo OLD-KEPT
                        rm -f "$M/big"
                        echo small > "$M/small" && cat "$M/small"
                        """.replace("$M", mnt.toString()));
                cases += 4;
                assertFalse(out.contains("BIG-OK"), out);
                assertFalse(out.contains("OVERWRITE-OK"), out);
                assertTrue(out.contains("No space left on device") || out.contains("Input/output error"), out);
                assertTrue(out.contains("OLD-KEPT"), out);
                assertTrue(out.endsWith("small\n"), out);
                // the disk so full that metadata commits (meta.db's journal) fail: mkdir, chmod and mv fail cleanly;
                // once space is freed the mount serves again (one failed commit must not close the store for good)
                String meta = Sh.ok(store.work, """
                        fallocate -l $(( $(df -k --output=avail "$D" | tail -1) * 1024 )) "$D/filler" || true
                        for i in 1 2 3 4 5 6; do mkdir "$M/dir$i"; chmod 600 "$M/small"; mv "$M/small" "$M/small2" && mv "$M/small2" "$M/small"; done 2>&1 | sort -u
                        rm -f "$D/filler"
                        mkdir "$M/after" && echo again > "$M/after/f" && cat "$M/after/f"
                        cmp keep.bin "$M/keep" && echo OLD-KEPT
                        """.replace("$M", mnt.toString()).replace("$D", store.data.toString()));
                cases += 2;
                assertFalse(meta.contains("Input/output error"), "a full disk is ENOSPC, not EIO:\n" + meta);
                assertTrue(meta.contains("again\nOLD-KEPT"), "the mount serves again once space is freed:\n" + meta);
                Sh.Result v = store.run("verify", "oss://full", "--no-progress");
                assertEquals(0, v.exit(), v.toString());
            } finally {
                store.unmount(mnt);
            }
        } finally {
            unmountTmpfs(store.data);
            store.deleteTree();
        }
    }

    @Test
    @DisplayName("read-only data dir (blobs and spool bind-mounted read-only): writes fail (EROFS/EIO), reads work, the old version stays; writable again: writes work")
    void readOnlyDataDir() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        assumeTrue(Store.isRoot(), "bind mounts need root");
        // as root, modes do not stop writes, and a running daemon keeps meta.db open for writing (a remount ro of
        // the whole file system is refused as busy): read-only bind mounts over where the data goes are what bites
        try (Store store = Store.withRootKey("ro")) {
            store.ok("mb", "oss://rodir", "--sse-algorithm", "AES256");
            Path mnt = store.mountPoint("mnt");
            store.mount("rodir", mnt, "stage_mem=64K");
            List<Path> binds = new ArrayList<>();
            try {
                Files.writeString(mnt.resolve("f"), "old version");
                for (String d : List.of("blobs", "spool")) {
                    Path p = store.data.resolve(d);
                    Sh.ok(store.work, "mount --bind '" + p + "' '" + p + "' && mount -o remount,bind,ro '" + p + "'");
                    binds.add(p);
                }
                Sh.Result w = Sh.run(mnt, "bash", "-c", "echo new version | dd of=f conv=fsync status=none");
                Sh.Result c = Sh.run(mnt, "bash", "-c", "head -c 300000 /dev/zero | dd of=created bs=64k conv=fsync status=none");
                cases += 3;
                assertNotEquals(0, w.exit(), "an overwrite on a read-only data dir fails");
                assertTrue(w.err().contains("Read-only file system") || w.err().contains("Input/output error"), w.toString());
                assertNotEquals(0, c.exit(), "a new file on a read-only data dir fails: " + c);
                assertEquals("old version", Files.readString(mnt.resolve("f")), "the old version is served");
            } finally {
                for (Path p : binds) Sh.run(null, "umount", "-l", p.toString());
            }
            try {
                cases++;
                Files.writeString(mnt.resolve("f"), "new version");
                assertEquals("new version", Files.readString(mnt.resolve("f")));
            } finally {
                store.unmount(mnt);
            }
        }
    }

    @Test
    @DisplayName("the bucket's CMK disabled mid-workload: reads and writes get EACCES; enabled again: they work, nothing torn")
    void keyDisabledMidWorkload() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        try (Store store = Store.withRootKey("kms")) {
            Matcher m = Pattern.compile("\"KeyId\"\\s*:\\s*\"([^\"]+)\"").matcher(store.ok("--json", "key", "create").out());
            assertTrue(m.find());
            String key = m.group(1);
            store.ok("mb", "oss://kms", "--sse-algorithm", "KMS", "--kms-masterkey-id", key);
            Path mnt = store.mountPoint("mnt");
            store.mount("kms", mnt);
            try {
                Files.writeString(mnt.resolve("before"), "written before");
                AtomicBoolean stop = new AtomicBoolean();
                List<String> errors = Collections.synchronizedList(new ArrayList<>());
                Thread w = new Thread(() -> {
                    Random r = new Random(3);
                    int i = 0;
                    while (!stop.get()) {
                        Path f = mnt.resolve("w" + (i++ % 5));
                        String v = "version " + i + " " + "x".repeat(r.nextInt(5000));
                        try {
                            Files.writeString(f, v);
                            String back = Files.readString(f);
                            if (!back.startsWith("version ")) errors.add("torn: " + f);
                        } catch (Exception e) {
                            // EACCES from open or read (AccessDeniedException) or from close (an IOException)
                            errors.add(e instanceof java.nio.file.AccessDeniedException
                                    || String.valueOf(e.getMessage()).contains("Permission denied") ? "EACCES" : "other: " + e);
                        }
                    }
                }, "kms-workload");
                w.start();
                try {
                    Thread.sleep(500);
                    store.ok("key", "disable", key);
                    Thread.sleep(500);
                    cases += 2;
                    Sh.Result read = Sh.run(mnt, "cat", "before");
                    assertTrue(read.err().contains("Permission denied"), "read with the key disabled: " + read);
                    // the commit fails at close/fsync (a shell redirection ignores close's status: dd conv=fsync does not)
                    Sh.Result write = Sh.run(mnt, "bash", "-c", "echo new | dd of=before conv=fsync status=none");
                    assertTrue(write.err().contains("Permission denied"), "write with the key disabled: " + write);
                    cases++;
                    IOException closed = assertThrows(IOException.class, () -> Files.writeString(mnt.resolve("created"), "new"));
                    assertTrue(closed.getMessage().contains("Permission denied"), closed.toString());
                } finally {
                    store.ok("key", "enable", key);
                }
                Thread.sleep(500);
                stop.set(true);
                w.join(30_000);
                cases += 2;
                assertEquals("written before", Files.readString(mnt.resolve("before")), "the refused write changed nothing");
                Files.writeString(mnt.resolve("after"), "written after");
                assertEquals("written after", Files.readString(mnt.resolve("after")));
                assertTrue(errors.contains("EACCES"), "the workload saw EACCES: " + errors.stream().distinct().toList());
                assertTrue(errors.stream().allMatch(e -> e.equals("EACCES")), "only EACCES: " + errors.stream().distinct().toList());
                for (int i = 0; i < 5; i++) {
                    Path f = mnt.resolve("w" + i);
                    if (Files.exists(f)) assertTrue(Files.readString(f).startsWith("version "), f.toString());
                }
                assertTrue(Files.readString(store.data.resolve("ssefs.log")).contains("refused"), "refusals are logged");
            } finally {
                store.unmount(mnt);
            }
        }
    }

    @Test
    @DisplayName("unmount while a file is open: refused (busy) and still mounted; lazily: detached, the open file's data is committed")
    void unmountWhileOpen() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        try (Store store = Store.withRootKey("busy")) {
            store.ok("mb", "oss://busy");
            Path mnt = store.mountPoint("mnt");
            store.mount("busy", mnt);
            Process writer = null;
            try {
                long pid = store.daemonPid();
                Path fifo = store.work.resolve("fifo");
                Sh.ok(store.work, "mkfifo fifo");
                // a writer holding open.txt open: it writes one part now and the rest when told through the fifo
                writer = new ProcessBuilder("bash", "-c", "exec 3>'" + mnt + "/open.txt'; printf 'part one;' >&3; read line < '"
                        + fifo + "'; printf 'part two' >&3; exec 3>&-").redirectErrorStream(true).start();
                Thread.sleep(800);
                cases += 3;
                Sh.Result busy = store.run("umount", mnt.toString());
                assertNotEquals(0, busy.exit(), "umount of a busy mount is refused: " + busy);
                assertTrue(busy.err().toLowerCase().contains("busy"), busy.toString());
                assertTrue(MountTable.isSsefsMount(mnt), "still mounted");
                store.ok("umount", "-z", mnt.toString());
                assertFalse(MountTable.isSsefsMount(mnt), "detached at once");
                Files.writeString(fifo, "go\n");
                assertTrue(writer.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, writer.exitValue(), new String(writer.getInputStream().readAllBytes()));
                assertTrue(Store.awaitExit(pid, 30_000), "the daemon exits once the last open file is closed");
                store.mount("busy", mnt);
                assertEquals("part one;part two", Files.readString(mnt.resolve("open.txt")));
            } finally {
                if (writer != null) writer.destroyForcibly();
                store.unmount(mnt);
            }
        }
    }

    @Test
    @DisplayName("SIGTERM: open files (one spilled to the spool) are committed, the mount is gone, the daemon exits")
    void sigterm() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        try (Store store = Store.withRootKey("term")) {
            store.ok("mb", "oss://term", "--sse-algorithm", "SM4");
            Path mnt = store.mountPoint("mnt");
            store.mount("term", mnt, "stage_mem=64K");
            List<Process> writers = new ArrayList<>();
            try {
                Sh.ok(store.work, "head -c 400000 /dev/urandom > big.bin");
                long pid = store.daemonPid();
                writers.add(new ProcessBuilder("bash", "-c", "exec 3>'" + mnt + "/small'; printf 'small, never closed' >&3; sleep 60").start());
                writers.add(new ProcessBuilder("bash", "-c", "exec 3>'" + mnt + "/big'; cat '" + store.work + "/big.bin' >&3; sleep 60").start());
                writers.add(new ProcessBuilder("bash", "-c", "exec 3>>'" + mnt + "/small'; sleep 60").start());
                Thread.sleep(1500);
                Store.kill(pid, "TERM");
                cases++;
                assertTrue(Store.awaitExit(pid, 30_000), "the daemon exits on SIGTERM");
                assertFalse(MountTable.isSsefsMount(mnt), "no mount left after SIGTERM");
                for (Process w : writers) w.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                Sh.lazyUnmount(mnt);
                store.mount("term", mnt);
                assertEquals("small, never closed", Files.readString(mnt.resolve("small")));
                assertEquals(-1L, Files.mismatch(store.work.resolve("big.bin"), mnt.resolve("big")), "the spilled file is whole");
            } finally {
                for (Process w : writers) w.destroyForcibly();
                store.unmount(mnt);
            }
        }
    }

    @org.junit.jupiter.api.AfterAll
    static void report() {
        System.out.println("FaultsIT: " + cases + " fault cases checked");
    }

    static Map<String, String> none() { return Map.of(); }
}
