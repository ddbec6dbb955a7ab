package dev.ssefs.reliability;

import dev.ssefs.fuse.Sh;
import dev.ssefs.objectcore.BucketEncryptionXml;
import dev.ssefs.objectcore.OssException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Category 5: bad input to every command (through the launcher, forwarded to a running daemon as users run them
 * while mounted), bad bucket XML, bad xattrs and awkward paths on the mount. Each gets a clear message (no stack
 * trace) and a non-zero status, or the right errno, and nothing changes: the blob files and what the store shows
 * (buckets, rules, objects, keys, policies) are the same before and after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("bad input: every command, bucket XML, xattrs, names")
class BadInputIT {
    Store store;
    Path mnt;
    String key;
    Path empty;
    Path file;
    int cases;

    @BeforeAll
    void setUp() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        store = Store.withRootKey("bad");
        Matcher m = Pattern.compile("\"KeyId\"\\s*:\\s*\"([^\"]+)\"").matcher(store.ok("--json", "key", "create").out());
        assertTrue(m.find());
        key = m.group(1);
        store.ok("mb", "oss://good", "--sse-algorithm", "KMS");
        empty = Files.createFile(store.work.resolve("empty"));
        file = Files.writeString(store.work.resolve("file.txt"), "some content\n");
        store.ok("cp", file.toString(), "oss://good/a.txt");
        mnt = store.mountPoint("mnt");
        store.mount("good", mnt);
        Files.writeString(mnt.resolve("f"), "file on the mount");
    }

    @AfterAll
    void tearDown() throws Exception {
        if (store != null) store.close();
        System.out.println("BadInputIT: " + cases + " bad-input cases checked");
    }

    /** What the store shows: blob files, buckets and their rules, objects, keys, aliases, policies. */
    String snapshot() throws Exception {
        StringBuilder b = new StringBuilder();
        for (Path p : store.blobFiles()) b.append(p.getFileName()).append('\n');
        for (String[] c : new String[][] {{"ls"}, {"ls", "oss://good"}, {"--json", "key", "list"}, {"key", "alias", "list"},
                {"policy", "list"}, {"bucket-encryption", "--method", "get", "oss://good"}, {"bucket-origin", "--method", "get", "oss://good"},
                {"key", "describe", key}}) {
            b.append(String.join(" ", c)).append(": ").append(store.run(c).out().replaceAll("LastModified[^\\n]*", "")).append('\n');
        }
        return b.toString();
    }

    void assertClearFailure(Sh.Result r, String what, String expect) {
        cases++;
        assertNotEquals(0, r.exit(), what + " must fail\n" + r);
        assertTrue(r.exit() == 1 || r.exit() == 2, what + ": exit 1 or 2\n" + r);
        assertTrue(r.err().startsWith("ssefs: "), what + ": a message on stderr\n" + r);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in") || r.err().contains("unexpected error"),
                what + ": no stack trace, no unexpected error\n" + r);
        if (expect != null) assertTrue(r.err().contains(expect), what + ": says '" + expect + "'\n" + r);
    }

    @Test
    @DisplayName("every command with malformed arguments, unknown keys or buckets, bad URLs, SSE values, policy JSON, oversize names")
    void badCommands() throws Exception {
        Path badJson = Files.writeString(store.work.resolve("bad.json"), "{\"Version\": \"1\", \"Statement\": [");
        Path wrongShape = Files.writeString(store.work.resolve("shape.json"), "{\"Version\":\"1\",\"Statement\":\"everything\"}");
        Path badEffect = Files.writeString(store.work.resolve("effect.json"),
                "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Maybe\",\"Action\":[\"kms:*\"],\"Resource\":[\"*\"]}]}");
        Path mnt2 = Files.createDirectories(store.work.resolve("mnt2"));
        String longKey = "k".repeat(1024);
        Object[][] cases = {
                {null, new String[] {}},
                {"unknown command", new String[] {"frobnicate"}},
                {null, new String[] {"mb"}},
                {null, new String[] {"mb", "oss://"}},
                {"InvalidBucketName", new String[] {"mb", "oss://Upper_Case"}},
                {"InvalidBucketName", new String[] {"mb", "oss://ab"}},
                {"InvalidBucketName", new String[] {"mb", "oss://" + "a".repeat(64)}},
                {null, new String[] {"mb", "s3://bucket"}},
                {null, new String[] {"mb", "http://example.com/bucket"}},
                {"BucketAlreadyExists", new String[] {"mb", "oss://good"}},
                {null, new String[] {"mb", "oss://newb", "--sse-algorithm", "ROT13"}},
                {null, new String[] {"mb", "oss://newb", "--sse-algorithm", "AES256", "--kms-masterkey-id", key}},
                {null, new String[] {"mb", "oss://newb", "--sse-algorithm", "KMS", "--kms-masterkey-id", "no-such-key"}},
                {null, new String[] {"mb", "oss://newb", "--sse-algorithm", "KMS", "--kms-data-encryption", "AES"}},
                {null, new String[] {"mb", "oss://newb", "--bogus-option"}},
                {"NoSuchBucket", new String[] {"rb", "oss://nosuch"}},
                {"BucketNotEmpty", new String[] {"rb", "oss://good"}},
                {"NoSuchBucket", new String[] {"ls", "oss://nosuch"}},
                {null, new String[] {"ls", "not-a-url"}},
                {null, new String[] {"cp"}},
                {null, new String[] {"cp", "/nonexistent/file", "oss://good/x"}},
                {"NoSuchBucket", new String[] {"cp", empty.toString(), "oss://nosuch/x"}},
                {null, new String[] {"cp", file.toString(), "oss://good/" + longKey}},
                {null, new String[] {"cp", file.toString(), "oss://good/x", "--meta", "x-oss-server-side-encryption:ROT13"}},
                {null, new String[] {"cp", file.toString(), "oss://good/x", "--meta", "no colon here"}},
                {null, new String[] {"cp", file.toString(), "oss://good/x", "--meta",
                        "x-oss-server-side-encryption:KMS#x-oss-server-side-encryption-key-id:no-such-key"}},
                {"NoSuchKey", new String[] {"cp", "oss://good/missing", store.work.resolve("down").toString()}},
                {null, new String[] {"cp", file.toString(), "ftp://host/x"}},
                {"NoSuchKey", new String[] {"cat", "oss://good/missing"}},
                {null, new String[] {"cat", "oss://good"}},
                {"NoSuchBucket", new String[] {"cat", "oss://nosuch/k"}},
                {"NoSuchBucket", new String[] {"rm", "oss://nosuch/k"}},
                {"NoSuchKey", new String[] {"stat", "oss://good/missing"}},
                {null, new String[] {"bucket-encryption", "oss://good"}},
                {null, new String[] {"bucket-encryption", "--method", "frob", "oss://good"}},
                {null, new String[] {"bucket-encryption", "--method", "put", "oss://good"}},
                {null, new String[] {"bucket-encryption", "--method", "put", "oss://good", "--sse-algorithm", "DES"}},
                {null, new String[] {"bucket-encryption", "--method", "put", "oss://good", "--sse-algorithm", "KMS", "--kms-masterkey-id", "no-such-key"}},
                {"NoSuchBucket", new String[] {"bucket-encryption", "--method", "get", "oss://nosuch"}},
                {"NoSuchBucket", new String[] {"reencrypt", "oss://nosuch"}},
                {null, new String[] {"reencrypt", "oss://good", "--sse-algorithm", "NOPE", "--no-progress"}},
                {"NoSuchBucket", new String[] {"verify", "oss://nosuch"}},
                {null, new String[] {"bucket-origin", "--method", "put", "oss://good", "--origin", "ftp://example.com/x"}},
                {null, new String[] {"bucket-origin", "--method", "put", "oss://good"}},
                {null, new String[] {"bucket-origin", "--method", "put", "oss://good", "--origin", "http://"}},
                {null, new String[] {"key", "describe", "no-such-key"}},
                {null, new String[] {"key", "disable", "alias/none"}},
                {null, new String[] {"key", "create", "--spec", "RSA_9"}},
                {null, new String[] {"key", "create", "--rotation-interval", "banana"}},
                {null, new String[] {"key", "schedule-deletion", key, "--pending-window-in-days", "3"}},
                {null, new String[] {"key", "schedule-deletion", key, "--pending-window-in-days", "seven"}},
                {null, new String[] {"key", "generate-data-key", key, "--context", "{not json"}},
                {null, new String[] {"key", "generate-data-key", "no-such-key"}},
                {null, new String[] {"key", "decrypt", "--blob", "!!!not base64"}},
                {null, new String[] {"key", "decrypt", "--blob", "AAAA"}},
                {null, new String[] {"key", "import", key, "--material-file", "/nonexistent", "--token-file", "/nonexistent"}},
                {null, new String[] {"key", "alias", "create", "bad alias", key}},
                {null, new String[] {"key", "alias", "create", "alias/x", "no-such-key"}},
                {null, new String[] {"key", "alias", "delete", "alias/none"}},
                {null, new String[] {"policy", "put", "alice", badJson.toString()}},
                {null, new String[] {"policy", "put", "alice", wrongShape.toString()}},
                {null, new String[] {"policy", "put", "alice", badEffect.toString()}},
                {null, new String[] {"policy", "put", "alice", "/nonexistent.json"}},
                {null, new String[] {"policy", "put", "alice", empty.toString()}},
                {"NoSuchBucket", new String[] {"mount", "oss://nosuch", mnt2.toString()}},
                {null, new String[] {"mount", "oss://good", store.work.resolve("no-such-dir").toString()}},
                {null, new String[] {"mount", "oss://good", mnt2.toString(), "-o", "uid=abc"}},
                {null, new String[] {"mount", "oss://good", mnt2.toString(), "-o", "no_such_option"}},
                {null, new String[] {"mount", "oss://good/prefix", mnt2.toString()}},
                {null, new String[] {"umount", mnt2.toString()}},
                {null, new String[] {"--principal"}},
                {null, new String[] {"--data-dir"}},
        };
        String before = snapshot();
        List<String> blobs = store.blobFiles().stream().map(Path::toString).toList();
        for (Object[] c : cases) {
            String[] args = (String[]) c[1];
            String what = "ssefs " + String.join(" ", args);
            if (what.length() > 200) what = what.substring(0, 200) + "...";
            assertClearFailure(store.run(args), what, (String) c[0]);
            assertEquals(blobs, store.blobFiles().stream().map(Path::toString).toList(), what + ": no blob changed");
        }
        assertFalse(dev.ssefs.fuse.MountTable.isSsefsMount(mnt2));
        assertEquals(before, snapshot(), "nothing the store shows changed");
    }

    @Test
    @DisplayName("bad bucket encryption XML: MalformedXML or the rule's error, never a rule")
    void badBucketXml() {
        // (parse is syntactic: a well-formed rule with a bad algorithm is refused by PutBucketEncryption, see the CLI cases)
        String[] bad = {"", "not xml", "<ServerSideEncryptionRule>",
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ServerSideEncryptionRule>"
                        + "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>&e;</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>",
                "<Other/>"};
        for (String x : bad) {
            cases++;
            OssException e = assertThrows(OssException.class, () -> BucketEncryptionXml.parse(x.getBytes(StandardCharsets.UTF_8)),
                    "parsing " + x);
            assertTrue(e.code().equals("MalformedXML") || e.code().startsWith("Invalid"), e.code() + ": " + e.getMessage());
        }
    }

    Sh.Result setfattr(String name, String value, String path) throws Exception {
        return Sh.run(mnt, "setfattr", "-n", name, "-v", value, path);
    }

    @Test
    @DisplayName("bad xattr values and names: EINVAL (or ENOTSUP/ERANGE/E2BIG), and nothing changes")
    void badXattrs() throws Exception {
        String before = snapshot();
        String attrs = Sh.ok(mnt, "getfattr -d -m - f .");
        String longValue = "v".repeat(70_000);
        Object[][] bad = {
                {"user.x-oss-server-side-encryption", "ROT13", "f", "Invalid argument"},
                {"user.x-oss-server-side-encryption", "", "f", "Invalid argument"},
                {"user.x-oss-server-side-encryption", "aes256", "f", "Invalid argument"},
                {"user.x-oss-server-side-data-encryption", "AES", "f", "Invalid argument"},
                {"user.x-oss-server-side-encryption", "ROT13", ".", "Invalid argument"},
                {"user.x-oss-server-side-data-encryption", "DES", ".", "Invalid argument"},
                {"trusted.anything", "1", "f", null},
                {"security.anything", "1", "f", null},
                {"system.anything", "1", "f", null},
                {"user.", "1", "f", null},
                {"user." + "n".repeat(251), "1", "f", null}, // 256 bytes: past XATTR_NAME_MAX
                {"user.big", longValue, "f", null},
        };
        for (Object[] b : bad) {
            cases++;
            String v = (String) b[1];
            Sh.Result r = setfattr((String) b[0], v, (String) b[2]);
            String what = "setfattr -n " + b[0] + " -v " + (v.length() > 20 ? v.substring(0, 20) + "..." : v) + " " + b[2];
            assertNotEquals(0, r.exit(), what + "\n" + r);
            if (b[3] != null) assertTrue(r.err().contains((String) b[3]), what + "\n" + r);
            assertFalse(r.err().isBlank(), what);
        }
        cases++;
        Sh.Result noKey = setfattr("user.x-oss-server-side-encryption-key-id", "no-such-key", "f");
        assertNotEquals(0, noKey.exit(), noKey.toString());
        assertEquals(attrs, Sh.ok(mnt, "getfattr -d -m - f ."), "xattrs unchanged");
        assertEquals("file on the mount", Files.readString(mnt.resolve("f")));
        assertEquals(before, snapshot(), "nothing the store shows changed");
    }

    @Test
    @DisplayName("names: spaces, newlines, UTF-8, 255 bytes work; 256 bytes is ENAMETOOLONG and changes nothing; empty files")
    void names() throws Exception {
        Path d = Files.createDirectories(mnt.resolve("names"));
        String utf = "é".repeat(127) + "x"; // 255 bytes in UTF-8
        assertEquals(255, utf.getBytes(StandardCharsets.UTF_8).length);
        List<String> ok = List.of("a b c", "new\nline", "tab\there", "ünïcödé ✓ 漢字", "n".repeat(255), utf, "-dash", " lead", "trail ", "%41", "q?x=1&y", "back\\slash");
        for (String n : ok) {
            cases++;
            Path p = d.resolve(n);
            Files.writeString(p, "content of " + n);
            assertEquals("content of " + n, Files.readString(p), n);
            assertTrue(Files.list(d).anyMatch(x -> x.getFileName().toString().equals(n)), "listed: " + n);
        }
        // the command line sees them as keys
        String ls = store.ok("ls", "oss://good/names/").out();
        assertTrue(ls.contains("ünïcödé ✓ 漢字"), ls);
        String before = snapshot();
        for (String n : List.of("n".repeat(256), "é".repeat(128), "x".repeat(300))) {
            cases++;
            Sh.Result r = Sh.run(d, "touch", n);
            assertTrue(r.err().contains("File name too long"), r.toString());
            Sh.Result mk = Sh.run(d, "mkdir", n);
            assertTrue(mk.err().contains("File name too long"), mk.toString());
            Sh.Result mv = Sh.run(d, "mv", "a b c", n);
            assertTrue(mv.err().contains("File name too long"), mv.toString());
        }
        assertEquals(before, snapshot(), "nothing changed");
        // empty files: through the mount and through cp, both ways
        cases += 2;
        Files.write(d.resolve("empty"), new byte[0]);
        assertEquals(0, Files.size(d.resolve("empty")));
        assertArrayEquals(new byte[0], Files.readAllBytes(d.resolve("empty")));
        store.ok("cp", empty.toString(), "oss://good/names/empty-cp");
        assertEquals(0, Files.size(d.resolve("empty-cp")));
        Path down = store.work.resolve("down-empty");
        store.ok("cp", "oss://good/names/empty", down.toString());
        assertEquals(0, Files.size(down));
        Sh.Result v = store.run("verify", "oss://good", "--no-progress");
        assertEquals(0, v.exit(), v.toString());
    }
}
