package dev.ssefs.fuse;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real mounts through the launcher ({@code mount-scripts/ssefs mount}), over the real store, exercised with real
 * tools, plus the daemon: live administration over its socket, a second bucket, clear errors, SIGTERM.
 * Every mount is unmounted in finally blocks; @AfterAll checks /proc/mounts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("ssefs mount through the launcher, over the real store")
class SsefsMountIT extends MountSpec {
    static final String PASSPHRASE = "mount IT passphrase";
    Path root;
    Path launcher;
    Path work;
    Path data;
    Path mnt;
    Path scratch;

    @Override Path mnt() { return mnt; }

    @Override Path scratch() { return scratch; }

    /** Every small file is one atomic, fsync'ed object commit on the real store: a smaller tree keeps the suite short. */
    @Override int treeFiles() { return 1500; }

    record Run(int exit, String out, String err) {
        @Override public String toString() { return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    Run ssefs(Path dataDir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--data-dir", dataDir.toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().remove("SSEFS_DATA_DIR");
        pb.environment().put("SSEFS_PASSPHRASE", PASSPHRASE);
        pb.environment().put("HOME", work.toString());
        pb.environment().putAll(env);
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(150, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ssefs " + String.join(" ", args) + " did not finish");
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    Run ok(Path dataDir, String... args) throws IOException, InterruptedException {
        Run r = ssefs(dataDir, Map.of(), args);
        assertEquals(0, r.exit(), () -> "ssefs " + String.join(" ", args) + "\n" + r);
        return r;
    }

    @BeforeAll
    void mountBucket() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        root = Path.of(System.getProperty("ssefs.root", "..")).toAbsolutePath().normalize();
        launcher = root.resolve("mount-scripts/ssefs");
        assertTrue(Files.isRegularFile(root.resolve("fuse/target/ssefs.jar")), "run after package: the shaded jar is missing");
        work = Files.createTempDirectory("ssefs-mount-it");
        data = work.resolve("data");
        mnt = Files.createDirectories(work.resolve("mnt"));
        scratch = Files.createDirectories(work.resolve("scratch"));
        ok(data, "mb", "oss://itbucket", "--sse-algorithm", "KMS");
        ok(data, "mount", "oss://itbucket", mnt.toString(), "-o", "stage_mem=256K");
        assertTrue(MountTable.isSsefsMount(mnt), "mounted when the command returns");
    }

    @AfterAll
    void unmountAll() throws Exception {
        if (work == null) return;
        try {
            if (mnt != null && MountTable.isSsefsMount(mnt)) ssefs(data, Map.of(), "umount", mnt.toString());
        } finally {
            for (String m : List.of("mnt", "mnt2", "mnt3", "mnt4", "busy", "sig", "tamper")) Sh.lazyUnmount(work.resolve(m));
            assertEquals(List.of(), Sh.mountsContaining(work.toString()), "no mount left behind");
            Sh.deleteTree(work);
        }
    }

    @Test
    @DisplayName("the daemon's socket and log are 0600, its data dir files are not world-readable")
    void daemonFilesArePrivate() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("ssefs.sock"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("ssefs.log"))));
        assertFalse(Files.readString(data.resolve("ssefs.log")).contains(PASSPHRASE), "no passphrase in the log");
    }

    @Test
    @DisplayName("key disabled while mounted: the next read is EACCES; enabled again: it reads")
    void keyDisabledLive() throws Exception {
        Run created = ok(data, "--json", "key", "create");
        Matcher m = Pattern.compile("\"KeyId\"\\s*:\\s*\"([^\"]+)\"").matcher(created.out());
        assertTrue(m.find(), created.out());
        String keyId = m.group(1);
        fresh("k");
        sh(mnt, "mkdir k && echo secret > k/f && setfattr -n user.x-oss-server-side-encryption-key-id -v " + keyId + " k/f");
        assertEquals(keyId, sh(mnt, "getfattr --only-values -n user.x-oss-server-side-encryption-key-id k/f"));
        try {
            ok(data, "key", "disable", keyId); // forwarded to the mount's daemon
            Sh.Result cat = Sh.run(mnt, "cat", "k/f");
            assertNotEquals(0, cat.exit());
            assertTrue(cat.err().contains("Permission denied"), cat.err());
            assertTrue(Files.readString(data.resolve("ssefs.log")).contains("k/f"), "the refusal is logged with the object");
        } finally {
            ok(data, "key", "enable", keyId);
        }
        assertEquals("secret\n", sh(mnt, "cat k/f"));
    }

    @Test
    @DisplayName("commands run live while mounted: ssefs cp appears in the tree, ssefs cat reads what the mount wrote")
    void commandsWhileMounted() throws Exception {
        fresh("cli");
        Path local = Files.writeString(scratch.resolve("from-cli.txt"), "put by ssefs cp\n");
        ok(data, "cp", local.toString(), "oss://itbucket/cli/deep/from-cli.txt");
        assertEquals("put by ssefs cp\n", sh(mnt, "cat cli/deep/from-cli.txt"));
        assertTrue(sh(mnt, "stat -c %F cli/deep").startsWith("directory"), "an implied directory");
        sh(mnt, "echo 'written by the mount' > cli/by-mount.txt");
        assertEquals("written by the mount\n", ok(data, "cat", "oss://itbucket/cli/by-mount.txt").out());
        assertTrue(Files.readString(data.resolve("ssefs.log")).contains("command: ssefs cat"), "served by the daemon");
    }

    @Test
    @DisplayName("a second bucket joins the running daemon; umount of it leaves the first mounted")
    void secondBucket() throws Exception {
        Path mnt2 = Files.createDirectories(work.resolve("mnt2"));
        String pid = Files.readString(data.resolve("ssefs.pid")).trim();
        ok(data, "mb", "oss://itbucket2", "--sse-algorithm", "none");
        try {
            ok(data, "mount", "oss://itbucket2", mnt2.toString());
            assertTrue(MountTable.isSsefsMount(mnt2));
            assertEquals(pid, Files.readString(data.resolve("ssefs.pid")).trim(), "one daemon per data dir");
            sh(mnt2, "echo two > t && cat t");
            assertEquals("", sh(mnt2, "getfattr -d t"), "no rule, unencrypted: the SSE names are absent");
        } finally {
            ssefs(data, Map.of(), "umount", mnt2.toString());
            Sh.lazyUnmount(mnt2);
        }
        assertFalse(MountTable.isSsefsMount(mnt2));
        assertTrue(MountTable.isSsefsMount(mnt));
    }

    @Test
    @DisplayName("a mount acts as its --principal: a read-only policy reads KMS objects, writes are EACCES")
    void principal() throws Exception {
        fresh("pr");
        sh(mnt, "mkdir pr && echo readable > pr/f");
        Path policy = work.resolve("viewer.json");
        Files.writeString(policy, "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"oss:GetObject\","
                + "\"oss:ListObjects\",\"oss:GetBucketInfo\",\"oss:GetBucketEncryption\",\"kms:Decrypt\"],"
                + "\"Resource\":[\"acs:oss:*:*:*\",\"acs:kms:*:*:*\"]}]}");
        ok(data, "policy", "put", "viewer", policy.toString());
        Path m4 = Files.createDirectories(work.resolve("mnt3"));
        try {
            ok(data, "--principal", "viewer", "mount", "oss://itbucket", m4.toString());
            assertEquals("readable\n", sh(m4, "cat pr/f"));
            // the commit at close is refused: cp reports close's error (a shell's > redirection would not)
            Sh.Result w = Sh.run(m4, "cp", "/etc/hostname", "pr/new");
            assertNotEquals(0, w.exit());
            assertTrue(w.err().contains("Permission denied"), w.err());
            Thread.sleep(200); // release follows close asynchronously
            assertFalse(Files.exists(mnt.resolve("pr/new")), "nothing was written");
            assertEquals("readable\n", sh(mnt, "cat pr/f"), "the root mount is unaffected");
        } finally {
            ssefs(data, Map.of(), "umount", m4.toString());
            Sh.lazyUnmount(m4);
        }
    }

    @Test
    @DisplayName("allow_other: other local users get the kernel's mode and owner checks, not the mount principal's access")
    void allowOtherChecksPermissions() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to act as another user");
        Path m4 = Files.createDirectories(work.resolve("mnt4"));
        try {
            ok(data, "mount", "oss://itbucket", m4.toString(), "-o", "allow_other");
            sh(m4, "rm -rf ao && mkdir ao && chmod 755 ao && echo private > ao/secret && chmod 600 ao/secret"
                    + " && echo public > ao/open && chmod 644 ao/open");
            Path ao = m4.resolve("ao"); // nobody starts there (the work dir above is private to root)
            String[] nobody = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
            Sh.Result secret = Sh.run(ao, concat(nobody, "cat", "secret"));
            assertNotEquals(0, secret.exit(), "a 0600 file of root is not readable by nobody");
            assertTrue(secret.err().contains("Permission denied"), secret.err());
            assertEquals("public\n", Sh.run(ao, concat(nobody, "cat", "open")).out());
            Sh.Result write = Sh.run(ao, concat(nobody, "sh", "-c", "echo x >> open"));
            assertNotEquals(0, write.exit());
            assertTrue(write.err().contains("Permission denied"), write.err());
            assertEquals("public\n", sh(m4, "cat ao/open"), "nothing was written");
        } finally {
            ssefs(data, Map.of(), "umount", m4.toString());
            Sh.lazyUnmount(m4);
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    @DisplayName("an open file keeps reading the version it opened while ssefs cp overwrites it; a new open sees the new one")
    void openFileReadsItsPinnedVersion() throws Exception {
        fresh("pin");
        byte[] v1 = new byte[3_000_000];
        new java.util.Random(11).nextBytes(v1);
        sh(mnt, "mkdir pin");
        Files.write(mnt.resolve("pin/f"), v1);
        Path v2 = Files.writeString(scratch.resolve("v2.txt"), "the new, shorter version\n");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(mnt.resolve("pin/f"))) {
            ok(data, "cp", v2.toString(), "oss://itbucket/pin/f");
            java.nio.ByteBuffer all = java.nio.ByteBuffer.allocate(v1.length + 10);
            while (ch.read(all) > 0) { }
            assertEquals(v1.length, all.position(), "read to the end of the opened version");
            assertArrayEquals(v1, Arrays.copyOf(all.array(), v1.length), "never a mix of the two versions");
        }
        Thread.sleep(1100); // attr_timeout: the kernel asks for the new size
        assertEquals("the new, shorter version\n", sh(mnt, "cat pin/f"));
    }

    @Test
    @DisplayName("a path over the 1023-byte key limit fails at creation (ENAMETOOLONG) and leaves nothing; user.Foo is EINVAL")
    void longKeysAndUpperCaseXattrNamesAreRefusedUpFront() throws Exception {
        fresh("nl");
        String d = "nl/" + "a".repeat(250) + "/" + "b".repeat(250) + "/" + "c".repeat(250) + "/" + "e".repeat(250); // 1006 bytes
        sh(mnt, "mkdir -p " + d);
        Sh.Result touch = Sh.run(mnt, "touch", d + "/" + "f".repeat(20)); // 1027 bytes
        assertNotEquals(0, touch.exit());
        assertTrue(touch.err().contains("File name too long"), touch.err());
        assertEquals("", sh(mnt, "ls -A " + d));
        sh(mnt, "echo x > nl/f");
        Sh.Result upper = Sh.run(mnt, "setfattr", "-n", "user.Project", "-v", "apollo", "nl/f");
        assertNotEquals(0, upper.exit());
        assertTrue(upper.err().contains("Invalid argument"), upper.err());
        assertEquals("", sh(mnt, "getfattr -d nl/f | grep -i project || true"));
    }

    @Test
    @DisplayName("clear errors and no mount left: missing bucket, mountpoint not empty or in use")
    void clearErrors() throws Exception {
        Path mnt3 = Files.createDirectories(work.resolve("mnt3"));
        Run missing = ssefs(data, Map.of(), "mount", "oss://no-such-bucket", mnt3.toString());
        assertNotEquals(0, missing.exit());
        assertTrue(missing.err().contains("NoSuchBucket"), missing.toString());
        assertFalse(MountTable.isSsefsMount(mnt3));
        Files.writeString(mnt3.resolve("x"), "x");
        Run notEmpty = ssefs(data, Map.of(), "mount", "oss://itbucket", mnt3.toString());
        assertTrue(notEmpty.err().contains("not empty"), notEmpty.toString());
        Run inUse = ssefs(data, Map.of(), "mount", "oss://itbucket", mnt.toString());
        assertTrue(inUse.err().contains("in use"), inUse.toString());
        assertFalse(MountTable.isSsefsMount(mnt3));
        Files.delete(mnt3.resolve("x"));
    }

    @Test
    @DisplayName("wrong passphrase: a clear error, and no mount")
    void wrongPassphrase() throws Exception {
        Path other = work.resolve("data-wrong");
        ok(other, "mb", "oss://wrong-pass");
        Path m = Files.createDirectories(work.resolve("busy"));
        Run r = ssefs(other, Map.of("SSEFS_PASSPHRASE", "not the passphrase"), "mount", "oss://wrong-pass", m.toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.err().toLowerCase().contains("passphrase"), r.toString());
        assertFalse(MountTable.isSsefsMount(m));
    }

    @Test
    @DisplayName("a tampered blob reads as EIO, never as wrong bytes, and the log names the object")
    void tamperedBlobIsEio() throws Exception {
        Path d = work.resolve("data-tamper");
        Path m = Files.createDirectories(work.resolve("tamper"));
        ok(d, "mb", "oss://tamper", "--sse-algorithm", "KMS");
        try {
            ok(d, "mount", "oss://tamper", m.toString());
            sh(m, "head -c 3000000 /dev/urandom > victim.bin");
            ok(d, "umount", m.toString());
            // the only large blob is the victim's: flip one byte in its middle
            Path blob;
            try (var s = Files.walk(d.resolve("blobs"))) {
                blob = s.filter(Files::isRegularFile).max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
            }
            try (var f = new java.io.RandomAccessFile(blob.toFile(), "rw")) {
                f.seek(1_500_000);
                int b = f.read();
                f.seek(1_500_000);
                f.write(b ^ 0x01);
            }
            ok(d, "mount", "oss://tamper", m.toString());
            Sh.Result r = Sh.run(m, "bash", "-c", "cat victim.bin > /dev/null");
            assertNotEquals(0, r.exit());
            assertTrue(r.err().contains("Input/output error"), r.err());
            String log = Files.readString(d.resolve("ssefs.log"));
            assertTrue(log.contains("integrity failure") && log.contains("oss://tamper/victim.bin"), log);
            assertTrue(sh(m, "stat -c %s victim.bin").startsWith("3000000"), "metadata still answers");
        } finally {
            ssefs(d, Map.of(), "umount", m.toString());
            Sh.lazyUnmount(m);
        }
    }

    @Test
    @DisplayName("SIGTERM commits a file still open for writing, unmounts cleanly; the data is there after remount")
    void sigterm() throws Exception {
        Path d = work.resolve("data-sig");
        Path m = Files.createDirectories(work.resolve("sig"));
        ok(d, "mb", "oss://sig", "--sse-algorithm", "AES256");
        ok(d, "mount", "oss://sig", m.toString());
        try {
            Process writer = new ProcessBuilder("bash", "-c", "exec 3>" + m + "/open.txt; printf 'written, never closed' >&3; sleep 60")
                    .redirectErrorStream(true).start();
            Thread.sleep(1500);
            String pid = Files.readString(d.resolve("ssefs.pid")).trim();
            new ProcessBuilder("kill", "-TERM", pid).start().waitFor();
            long end = System.currentTimeMillis() + 30_000;
            while (ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false) && System.currentTimeMillis() < end) Thread.sleep(100);
            writer.destroyForcibly();
            assertFalse(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false), "daemon exited");
            Sh.lazyUnmount(m);
            ok(d, "mount", "oss://sig", m.toString());
            assertEquals("written, never closed", sh(m, "cat open.txt"));
        } finally {
            ssefs(d, Map.of(), "umount", m.toString());
            Sh.lazyUnmount(m);
        }
    }
}
