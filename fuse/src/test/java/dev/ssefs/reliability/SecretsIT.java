package dev.ssefs.reliability;

import dev.ssefs.fuse.Sh;
import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.blob.FileBlobStore;
import dev.ssefs.objectcore.format.ObjectFormats;
import dev.ssefs.objectcore.format.ObjectHeader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Category 4: after a workload through the mount and the command line (small files, a file spilled to the spool
 * and still open, cp, cat, reencrypt, generate-data-key), no known plaintext and no data key is anywhere under
 * the data dir, the spool, the logs, /tmp or /dev/shm (raw bytes of every file); the data dir is 0700/0600; the
 * passphrase is in no log, no process command line and no error message; and a command forwarded to a running
 * daemon is refused a wrong passphrase.
 */
@DisplayName("secrets: no plaintext or key at rest, private modes, passphrases never shown")
class SecretsIT {
    final String marker = "SSEFS-PLAINTEXT-" + UUID.randomUUID();
    final String passphrase = "rel-passphrase-" + UUID.randomUUID();
    int scanned;

    /** Files to scan: under each root, skipping the test's own scratch directory (it holds the plaintext sources). */
    List<Path> files(List<Path> roots, Path skip, long since) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
                    if (dir.equals(skip) || dir.startsWith("/proc") || dir.startsWith("/sys")) return FileVisitResult.SKIP_SUBTREE;
                    // other people's FUSE mounts and our own are not "at rest"
                    if (!dir.equals(root) && isMountPoint(dir)) return FileVisitResult.SKIP_SUBTREE;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    if (a.isRegularFile() && a.size() < 512L << 20 && a.lastModifiedTime().toMillis() >= since) out.add(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE; // vanished (other builds) or unreadable
                }
            });
        }
        return out;
    }

    static boolean isMountPoint(Path dir) {
        try {
            return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.split(" ")[1].equals(dir.toString()));
        } catch (IOException e) {
            return false;
        }
    }

    /** Asserts that none of {@code needles} (name -> bytes, 4 bytes or more) occurs in any of {@code files}. */
    void assertNowhere(List<Path> files, Map<String, byte[]> needles) {
        // one pass per file: candidates by their first four bytes, then a full comparison
        Map<Integer, List<Map.Entry<String, byte[]>>> byPrefix = new java.util.HashMap<>();
        for (var n : needles.entrySet()) {
            assertTrue(n.getValue().length >= 4, n.getKey());
            byPrefix.computeIfAbsent(java.nio.ByteBuffer.wrap(n.getValue(), 0, 4).getInt(), k -> new ArrayList<>()).add(n);
        }
        List<String> found = new ArrayList<>();
        for (Path f : files) {
            byte[] b;
            try {
                b = Files.readAllBytes(f);
            } catch (IOException | OutOfMemoryError e) {
                continue;
            }
            scanned++;
            for (int i = 0; i + 4 <= b.length; i++) {
                int head = ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
                List<Map.Entry<String, byte[]>> c = byPrefix.get(head);
                if (c == null) continue;
                for (var n : c) {
                    byte[] v = n.getValue();
                    if (i + v.length <= b.length && java.util.Arrays.equals(b, i, i + v.length, v, 0, v.length)) {
                        found.add(n.getKey() + " in " + f + " at " + i);
                    }
                }
            }
        }
        assertEquals(List.of(), found, "secrets at rest");
    }

    @Test
    @DisplayName("a workload leaves no plaintext, no data key and no passphrase on disk; 0700/0600; no passphrase in ps or errors")
    void noSecretsAtRest() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        long since = System.currentTimeMillis() - 2000;
        try (Store store = Store.withPassphrase("secrets", passphrase)) {
            Path scratch = Files.createDirectories(store.work.resolve("scratch"));
            Matcher km = Pattern.compile("\"KeyId\"\\s*:\\s*\"([^\"]+)\"").matcher(store.ok("--json", "key", "create").out());
            assertTrue(km.find());
            String cmk = km.group(1);
            store.ok("mb", "oss://secrets", "--sse-algorithm", "KMS", "--kms-masterkey-id", cmk);
            Path mnt = store.mountPoint("mnt");
            store.mount("secrets", mnt, "stage_mem=64K");
            List<Path> roots = List.of(store.data, Path.of("/tmp"), Path.of("/dev/shm"), Path.of("/var/tmp"));
            Map<String, byte[]> plain = new LinkedHashMap<>();
            plain.put("plaintext marker", marker.getBytes(StandardCharsets.UTF_8));
            Process open = null;
            try {
                String m = marker;
                Files.writeString(scratch.resolve("src.txt"), (m + "\n").repeat(2000));
                Sh.ok(scratch, "set -e; for i in 1 2 3; do cp src.txt '" + mnt + "/f'$i; done; mkdir '" + mnt + "/d'; echo '" + m
                        + "' > '" + mnt + "/d/small'; cat '" + mnt + "/f1' > /dev/null; mv '" + mnt + "/f3' '" + mnt + "/d/f3'");
                Sh.ok(mnt, "setfattr -n user.x-oss-server-side-encryption -v SM4 f2 && setfattr -n user.note -v " + m.substring(0, 20) + "x f1");
                store.ok("cp", scratch.resolve("src.txt").toString(), "oss://secrets/cli.txt");
                Sh.Result cat = Sh.run(store.work, store.env(), "bash", "-c", "'" + Sh.launcher() + "' --data-dir '" + store.data
                        + "' cat oss://secrets/cli.txt > /dev/null");
                assertEquals(0, cat.exit(), cat.toString());
                store.ok("reencrypt", "oss://secrets", "--sse-algorithm", "AES256", "--no-progress");
                // a file being written, spilled past stage_mem to the spool, still open while everything is scanned
                open = new ProcessBuilder("bash", "-c", "exec 3>'" + mnt + "/open.txt'; for i in $(seq 60); do cat '" + scratch
                        + "/src.txt' >&3; done; echo written; sleep 60").redirectErrorStream(true).start();
                long end = System.currentTimeMillis() + 30_000;
                while (!new String(open.getInputStream().readNBytes(8)).startsWith("written") && System.currentTimeMillis() < end) {
                    Thread.sleep(50);
                }
                // the scanner finds what it looks for (the plaintext source in the skipped scratch dir)
                assertThrows(AssertionError.class, () -> assertNowhere(List.of(scratch.resolve("src.txt")), plain));
                assertNowhere(files(roots, scratch, since), plain);
            } finally {
                if (open != null) open.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            // the data key of generate-data-key, as the command line prints it
            String dk = store.ok("--json", "key", "generate-data-key", cmk).out();
            Matcher pm = Pattern.compile("\"Plaintext\"\\s*:\\s*\"([^\"]+)\"").matcher(dk);
            assertTrue(pm.find(), dk);
            Map<String, byte[]> keys = new LinkedHashMap<>(plain);
            byte[] generated = Base64.getDecoder().decode(pm.group(1));
            keys.put("generated data key", generated);
            keys.put("generated data key (base64)", pm.group(1).getBytes(StandardCharsets.US_ASCII));
            keys.put("passphrase", passphrase.getBytes(StandardCharsets.UTF_8));

            // nothing shows the passphrase: command lines of every process (the daemon's and the launcher's too)
            List<String> cmdlines = new ArrayList<>();
            try (var ps = Files.list(Path.of("/proc"))) {
                for (Path p : ps.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String c = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                        if (c.contains(passphrase)) cmdlines.add(p + ": " + c.replace('\0', ' '));
                    } catch (IOException ignored) {
                        // gone
                    }
                }
            }
            assertEquals(List.of(), cmdlines, "the passphrase in a process command line");
            // ... nor error messages: a wrong passphrase (refused by the running daemon), a bad command
            String wrong = "wrong-" + passphrase;
            Sh.Result refused = store.runWith(Map.of("SSEFS_PASSPHRASE", wrong), "key", "list");
            assertEquals(1, refused.exit(), "a forwarded command with a wrong passphrase is refused\n" + refused);
            assertTrue(refused.err().contains("wrong passphrase"), refused.toString());
            assertFalse(refused.err().contains(wrong) || refused.err().contains(passphrase), refused.toString());
            Sh.Result cat = store.runWith(Map.of("SSEFS_PASSPHRASE", wrong), "cat", "oss://secrets/cli.txt");
            assertEquals(1, cat.exit(), cat.toString());
            assertFalse(cat.out().contains(marker), "no plaintext for a wrong passphrase");
            Sh.Result none = store.runWith(Map.of("SSEFS_PASSPHRASE", ""), "key", "list");
            assertEquals(2, none.exit(), "no secret at all: a usage error, as without a daemon\n" + none);
            Path pf = store.work.resolve("pass.txt");
            Files.writeString(pf, wrong + "\n");
            Sh.Result viaFile = store.runWith(Map.of("SSEFS_PASSPHRASE", ""), "--passphrase-file", pf.toString(), "ls");
            assertEquals(1, viaFile.exit(), viaFile.toString());
            assertFalse(viaFile.err().contains(wrong), viaFile.toString());
            Files.delete(pf);
            store.ok("key", "list"); // the right one still works
            Sh.Result bad = store.run("cp", "/nonexistent", "oss://secrets/x");
            assertFalse(bad.err().contains(passphrase), bad.toString());

            long pid = store.daemonPid();
            store.unmount(mnt);
            // the data keys of every stored object (unwrapped here, once the daemon has closed the store and exited)
            assertTrue(Store.awaitExit(pid, 30_000), "the daemon exits after its last mount");
            try (Store.Opened s = store.open()) {
                FileBlobStore blobs = new FileBlobStore(store.data.resolve("blobs"));
                int n = 0;
                for (Path f : store.blobFiles()) {
                    String id = f.getFileName().toString();
                    try (BlobReader r = blobs.open(id)) {
                        ObjectHeader h = ObjectFormats.readHeader(r, id);
                        if (!h.keySource().equals("KMS")) continue;
                        byte[] key = s.kms().as("root").decrypt(h.wrappedKey(), Map.of("ssefs:version", id)).plaintext();
                        keys.put("data key of blob " + id, key);
                        keys.put("data key of blob " + id + " (hex)", HexFormat.of().formatHex(key).getBytes(StandardCharsets.US_ASCII));
                        n++;
                    }
                }
                assertTrue(n >= 1, "KMS objects to take data keys from");
            }
            assertNowhere(files(roots, scratch, since), keys);
            // modes: 0700 directories, 0600 files under the data dir
            List<String> wide = new ArrayList<>();
            try (var w = Files.walk(store.data)) {
                for (Path p : w.toList()) {
                    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
                    String want = Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "rwx------" : "rw-------";
                    if (!mode.equals(want)) wide.add(mode + " " + p);
                }
            }
            assertEquals(List.of(), wide, "modes under the data dir");
        }
        System.out.println("SecretsIT: " + scanned + " file scans");
    }
}
