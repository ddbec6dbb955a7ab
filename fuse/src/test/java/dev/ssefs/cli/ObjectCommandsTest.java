package dev.ssefs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ossutil-style object commands through {@link Main#run}, against real stores held open like the daemon does. */
@DisplayName("ssefs object commands (in-process)")
class ObjectCommandsTest {
    @TempDir
    Path dir;
    Path data;
    TestStores stores;
    CliRun cli;

    @BeforeEach
    void open() {
        data = dir.resolve("data");
        stores = new TestStores(data, true);
        cli = new CliRun(dir, stores);
    }

    @AfterEach
    void close() {
        stores.close();
    }

    CliRun.Result ok(String... args) {
        CliRun.Result r = cli.run(args);
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err(), r.toString());
        return r;
    }

    JsonNode json(String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "--json";
        System.arraycopy(args, 0, all, 1, args.length);
        return Output.mapper().readTree(ok(all).out());
    }

    void assertServiceError(String code, String message, String... args) {
        CliRun.Result r = cli.run(args);
        assertEquals(1, r.status(), r.toString());
        assertEquals("ssefs: " + code + ": " + message + "\n", r.err(), r.toString());
    }

    /** The stat output as lines. */
    List<String> stat(String url) {
        return ok("stat", url).out().lines().toList();
    }

    String keyId() throws Exception {
        return json("key", "create").path("KeyMetadata").path("KeyId").asText();
    }

    Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    @Nested
    @DisplayName("buckets")
    class Buckets {
        @Test
        @DisplayName("mb gives AES256 unless told; none makes a bucket without a rule; ls lists them")
        void mb() throws Exception {
            assertEquals("Created oss://photos with default encryption AES256\n", ok("mb", "oss://photos").out());
            ok("mb", "oss://plain", "--sse-algorithm", "none");
            String id = keyId();
            ok("mb", "oss://secret", "--kms-masterkey-id", id);
            assertTrue(stat("oss://photos").contains("SSEAlgorithm: AES256"));
            assertFalse(stat("oss://plain").stream().anyMatch(l -> l.startsWith("SSEAlgorithm")));
            assertTrue(stat("oss://secret").containsAll(List.of("SSEAlgorithm: KMS", "KMSMasterKeyID: " + id)));
            JsonNode buckets = json("ls").path("Buckets");
            assertEquals(3, buckets.size());
            assertEquals("photos", buckets.get(0).path("Name").asText());
            assertTrue(ok("ls").out().endsWith("Bucket Number is: 3\n"));
            assertServiceError("NoSuchServerSideEncryptionRule", "The server side encryption configuration was not found.",
                    "bucket-encryption", "--method", "get", "oss://plain");
        }

        @Test
        @DisplayName("rb refuses a bucket with objects (BucketNotEmpty), removes an empty one")
        void rb() throws Exception {
            ok("mb", "oss://bkt1");
            ok("cp", file("a.txt", "a").toString(), "oss://bkt1/a.txt");
            assertServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty. Bucket: bkt1", "rb", "oss://bkt1");
            ok("rm", "oss://bkt1/a.txt");
            ok("rb", "oss://bkt1");
            assertEquals(0, json("ls").path("Buckets").size());
        }

        @Test
        @DisplayName("bucket-encryption put/get/delete, with OSS's errors")
        void bucketEncryption() throws Exception {
            ok("mb", "oss://bkt2");
            String id = keyId();
            String xml = ok("bucket-encryption", "--method", "put", "oss://bkt2", "--sse-algorithm", "KMS",
                    "--kms-masterkey-id", id, "--kms-data-encryption", "SM4").out();
            assertTrue(xml.contains("<SSEAlgorithm>KMS</SSEAlgorithm>") && xml.contains("<KMSMasterKeyID>" + id + "</KMSMasterKeyID>")
                    && xml.contains("<KMSDataEncryption>SM4</KMSDataEncryption>"), xml);
            JsonNode rule = json("bucket-encryption", "--method", "get", "oss://bkt2")
                    .path("ServerSideEncryptionRule").path("ApplyServerSideEncryptionByDefault");
            assertEquals("KMS", rule.path("SSEAlgorithm").asText());
            assertEquals(id, rule.path("KMSMasterKeyID").asText());
            assertServiceError("InvalidArgument", "KMSMasterKeyID is not applicable if the default sse algorithm is not KMS",
                    "bucket-encryption", "--method", "put", "oss://bkt2", "--sse-algorithm", "AES256", "--kms-masterkey-id", id);
            CliRun.Result bad = cli.run("bucket-encryption", "--method", "put", "oss://bkt2", "--sse-algorithm", "DES");
            assertEquals(1, bad.status(), bad.toString());
            assertTrue(bad.err().startsWith("ssefs: InvalidEncryptionAlgorithmError: "), bad.toString());
            ok("bucket-encryption", "--method", "delete", "oss://bkt2");
            assertServiceError("NoSuchServerSideEncryptionRule", "The server side encryption configuration was not found.",
                    "bucket-encryption", "--method", "get", "oss://bkt2");
        }

        @Test
        @DisplayName("usage errors: bad URLs and methods exit 2")
        void usage() {
            for (String[] args : List.of(new String[] {"mb", "photos"}, new String[] {"mb", "oss://"},
                    new String[] {"mb", "oss://bkt/key"}, new String[] {"bucket-encryption", "oss://bkt"},
                    new String[] {"bucket-encryption", "--method", "post", "oss://bkt"}, new String[] {"cat", "oss://bkt"},
                    new String[] {"cp", "a", "b"}, new String[] {"cp", "oss://bkt/k", "x", "--meta", "Content-Type:text/plain"},
                    new String[] {"cp", "a", "oss://bkt/k", "--meta", "novalue"})) {
                CliRun.Result r = cli.run(args);
                assertEquals(2, r.status(), String.join(" ", args) + "\n" + r);
            }
        }
    }

    @Nested
    @DisplayName("objects")
    class Objects {
        @Test
        @DisplayName("cp up and down, cat, stat with the SSE headers exactly as OSS returns them")
        void roundTrip() throws Exception {
            ok("mb", "oss://bkt");
            byte[] content = new byte[300_000];
            new Random(7).nextBytes(content);
            Path src = Files.write(dir.resolve("blob.bin"), content);
            ok("cp", "blob.bin", "oss://bkt/dir/");
            List<String> st = stat("oss://bkt/dir/blob.bin");
            assertEquals("Content-Length: 300000", st.get(0));
            assertTrue(st.contains("x-oss-server-side-encryption: AES256"), st.toString());
            assertFalse(st.stream().anyMatch(l -> l.startsWith("x-oss-server-side-encryption-key-id")), st.toString());

            assertArrayEquals(content, catBytes("oss://bkt/dir/blob.bin"), "cat writes the exact bytes");
            ok("cp", "oss://bkt/dir/blob.bin", "down.bin");
            assertArrayEquals(content, Files.readAllBytes(dir.resolve("down.bin")));
            Files.createDirectory(dir.resolve("into"));
            ok("cp", "oss://bkt/dir/blob.bin", "into");
            assertArrayEquals(content, Files.readAllBytes(dir.resolve("into/blob.bin")));
            try (Stream<Path> s = Files.list(dir.resolve("into"))) {
                assertEquals(1, s.count(), "no temporary file left behind");
            }
            assertTrue(Files.exists(src));
        }

        byte[] catBytes(String url) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            int status = Main.run(new String[] {"cat", url}, dir, java.io.InputStream.nullInputStream(),
                    new java.io.PrintStream(b), System.err, java.util.Map.of(), stores);
            assertEquals(0, status);
            return b.toByteArray();
        }

        @Test
        @DisplayName("--meta sets SSE-KMS with a named CMK, and user metadata")
        void metaKms() throws Exception {
            ok("mb", "oss://bkt");
            String id = keyId();
            ok("key", "alias", "create", "alias/docs", id);
            file("a.txt", "kms data");
            ok("cp", "a.txt", "oss://bkt/a.txt", "--meta",
                    "x-oss-server-side-encryption:KMS#x-oss-server-side-encryption-key-id:" + id + "#X-Oss-Meta-Owner:alice");
            List<String> st = stat("oss://bkt/a.txt");
            assertTrue(st.containsAll(List.of("x-oss-server-side-encryption: KMS", "x-oss-server-side-encryption-key-id: " + id,
                    "x-oss-meta-owner: alice")), st.toString());
            ok("cp", "a.txt", "oss://bkt/sm4.txt", "--meta", "x-oss-server-side-encryption:KMS#x-oss-server-side-data-encryption:SM4");
            List<String> sm4 = stat("oss://bkt/sm4.txt");
            assertTrue(sm4.contains("x-oss-server-side-data-encryption: SM4"), sm4.toString());
            assertTrue(sm4.stream().anyMatch(l -> l.startsWith("x-oss-server-side-encryption-key-id: ")), "the default CMK is named: " + sm4);
            CliRun.Result bad = cli.run("cp", "a.txt", "oss://bkt/x.txt", "--meta", "x-oss-server-side-encryption:DES");
            assertEquals(1, bad.status());
            assertEquals("ssefs: InvalidEncryptionAlgorithmError: The Encryption request you specified is not valid. "
                    + "Supported value: AES256/SM4/KMS\n", bad.err());
            ok("key", "disable", id);
            CliRun.Result disabled = cli.run("cat", "oss://bkt/a.txt");
            assertEquals(1, disabled.status());
            assertEquals("ssefs: KeyDisabled: The request was rejected because the key state is Disabled.\n", disabled.err());
        }

        @Test
        @DisplayName("object to object is CopyObject: SSE is not inherited, the destination bucket's rule applies")
        void copyObject() throws Exception {
            ok("mb", "oss://src");
            ok("mb", "oss://dst", "--sse-algorithm", "none");
            file("a.txt", "x");
            ok("cp", "a.txt", "oss://src/a.txt", "--meta", "x-oss-server-side-encryption:KMS#x-oss-meta-k:v");
            ok("cp", "oss://src/a.txt", "oss://dst/");
            List<String> st = stat("oss://dst/a.txt");
            assertFalse(st.stream().anyMatch(l -> l.startsWith("x-oss-server-side-encryption")), st.toString());
            assertTrue(st.contains("x-oss-meta-k: v"), "metadata is copied: " + st);
            ok("cp", "oss://src/a.txt", "oss://dst/b.txt", "--meta", "x-oss-server-side-encryption:SM4");
            assertTrue(stat("oss://dst/b.txt").contains("x-oss-server-side-encryption: SM4"));
            assertServiceError("NoSuchKey", "The specified key does not exist. Object: oss://src/none", "cp", "oss://src/none", "oss://dst/none");
        }

        @Test
        @DisplayName("cp from stdin and to stdout")
        void stdio() throws Exception {
            ok("mb", "oss://bkt");
            CliRun.Result up = new CliRun(dir, stores).stdin("piped".getBytes()).run("cp", "-", "oss://bkt/p.txt");
            assertEquals(0, up.status(), up.toString());
            assertEquals("piped", ok("cp", "oss://bkt/p.txt", "-").out());
        }

        @Test
        @DisplayName("ls recursive and -d, with the SSE of each object")
        void ls() throws Exception {
            ok("mb", "oss://bkt");
            file("a.txt", "a");
            for (String k : List.of("x/1", "x/2", "x/y/3", "top")) {
                ok("cp", "a.txt", "oss://bkt/" + k);
            }
            JsonNode all = json("ls", "oss://bkt");
            assertEquals(4, all.path("Contents").size());
            assertEquals("AES256", all.path("Contents").get(0).path("x-oss-server-side-encryption").asText());
            JsonNode level = json("ls", "-d", "oss://bkt/x/");
            assertEquals(2, level.path("Contents").size());
            assertEquals("x/y/", level.path("CommonPrefixes").get(0).asText());
            String table = ok("ls", "-d", "oss://bkt/x/").out();
            assertTrue(table.contains("oss://bkt/x/y/") && table.endsWith("Object Number is: 2, Dir Number is: 1\n"), table);
        }

        @Test
        @DisplayName("cp -r: a local tree up, a prefix down, a prefix to another bucket")
        void recursive() throws Exception {
            ok("mb", "oss://bkt");
            ok("mb", "oss://other", "--sse-algorithm", "none");
            Path tree = Files.createDirectories(dir.resolve("tree/sub/deeper"));
            Files.writeString(dir.resolve("tree/a.txt"), "A");
            Files.writeString(dir.resolve("tree/sub/b.txt"), "BB");
            Files.writeString(tree.resolve("c.txt"), "CCC");
            assertEquals("Copied 3 objects (6 bytes): tree -> oss://bkt/up\n", ok("cp", "-r", "tree", "oss://bkt/up").out());
            JsonNode listed = json("ls", "oss://bkt/up/").path("Contents");
            assertEquals(List.of("up/a.txt", "up/sub/b.txt", "up/sub/deeper/c.txt"),
                    List.of(listed.get(0).path("Key").asText(), listed.get(1).path("Key").asText(), listed.get(2).path("Key").asText()));

            ok("cp", "-r", "oss://bkt/up", "down");
            assertEquals("CCC", Files.readString(dir.resolve("down/sub/deeper/c.txt")));
            assertEquals("A", Files.readString(dir.resolve("down/a.txt")));

            assertEquals("Copied 3 objects (6 bytes): oss://bkt/up/ -> oss://other/copy\n",
                    ok("cp", "-r", "oss://bkt/up/", "oss://other/copy", "--meta", "x-oss-server-side-encryption:SM4").out());
            assertTrue(stat("oss://other/copy/sub/b.txt").contains("x-oss-server-side-encryption: SM4"));
        }

        @Test
        @DisplayName("cp -r down never writes outside the destination, whatever the keys say")
        void traversal() throws Exception {
            ok("mb", "oss://bkt");
            file("x.txt", "evil");
            ok("cp", "x.txt", "oss://bkt/t/../../escape.txt");
            ok("cp", "x.txt", "oss://bkt/t/ok.txt");
            CliRun.Result r = cli.run("cp", "-r", "oss://bkt/t", "dest");
            assertEquals(0, r.status(), r.toString());
            assertEquals("ssefs: cp: skipping oss://bkt/t/../../escape.txt: not a path inside " + dir.resolve("dest") + "\n", r.err());
            assertEquals("Copied 1 objects (4 bytes): oss://bkt/t -> dest\n", r.out());
            assertFalse(Files.exists(dir.resolve("escape.txt")));
            assertFalse(Files.exists(dir.getParent().resolve("escape.txt")));
            assertEquals("evil", Files.readString(dir.resolve("dest/ok.txt")));
        }

        @Test
        @DisplayName("ls, cp -r and reencrypt walk every page of a listing")
        void everyPage() throws Exception {
            ok("mb", "oss://bkt");
            file("a.txt", "a");
            for (int i = 0; i < 7; i++) {
                ok("cp", "a.txt", "oss://bkt/d/k" + i);
            }
            // the same stores, but ListObjects answers at most 2 keys a page
            CliRun paged = new CliRun(dir, smallPages(stores, 2));
            CliRun.Result r = paged.run("--json", "ls", "oss://bkt");
            assertEquals(0, r.status(), r.toString());
            JsonNode contents = Output.mapper().readTree(r.out()).path("Contents");
            assertEquals(7, contents.size());
            assertEquals("d/k6", contents.get(6).path("Key").asText());
            String table = paged.run("ls", "oss://bkt/d/").out();
            assertEquals(9, table.lines().count(), "header, 7 rows, count: " + table);
            assertTrue(table.endsWith("Object Number is: 7\n"));
            assertEquals("Copied 7 objects (7 bytes): oss://bkt/d -> down\n", paged.run("cp", "-r", "oss://bkt/d", "down").out());
            assertEquals("Re-encrypted 7 objects in oss://bkt\n", paged.run("reencrypt", "oss://bkt", "--sse-algorithm", "SM4").out());
            assertTrue(stat("oss://bkt/d/k6").contains("x-oss-server-side-encryption: SM4"));
        }

        @Test
        @DisplayName("a principal without oss permissions gets AccessDenied")
        void denied() throws Exception {
            ok("mb", "oss://bkt");
            CliRun.Result r = cli.run("--principal", "mallory", "ls", "oss://bkt");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: AccessDenied: "), r.toString());
        }
    }

    @Nested
    @DisplayName("reencrypt")
    class Reencrypting {
        @Test
        @DisplayName("applies the bucket rule to existing objects; refuses when there is no rule and none given")
        void byRule() throws Exception {
            ok("mb", "oss://bkt", "--sse-algorithm", "none");
            file("a.txt", "a");
            ok("cp", "a.txt", "oss://bkt/1");
            ok("cp", "a.txt", "oss://bkt/2", "--meta", "x-oss-meta-keep:yes");
            CliRun.Result none = cli.run("reencrypt", "oss://bkt");
            assertEquals(1, none.status());
            assertTrue(none.err().startsWith("ssefs: bkt has no default encryption rule"), none.toString());
            ok("bucket-encryption", "--method", "put", "oss://bkt", "--sse-algorithm", "SM4");
            assertEquals("Re-encrypted 2 objects in oss://bkt\n", ok("reencrypt", "oss://bkt").out());
            assertTrue(stat("oss://bkt/1").contains("x-oss-server-side-encryption: SM4"));
            assertTrue(stat("oss://bkt/2").containsAll(List.of("x-oss-server-side-encryption: SM4", "x-oss-meta-keep: yes")));
            assertEquals("a", ok("cat", "oss://bkt/2").out());
        }

        @Test
        @DisplayName("a prefix and an explicit CMK; a failing object is listed, kept in the checkpoint, and retried on resume")
        void resumable() throws Exception {
            ok("mb", "oss://bkt");
            String blocked = keyId();
            String target = keyId();
            file("a.txt", "a");
            for (String k : List.of("p/1", "p/2", "p/3", "q/1")) {
                ok("cp", "a.txt", "oss://bkt/" + k);
            }
            ok("cp", "a.txt", "oss://bkt/p/2", "--meta", "x-oss-server-side-encryption:KMS#x-oss-server-side-encryption-key-id:" + blocked);
            ok("key", "disable", blocked);
            CliRun.Result r = cli.run("reencrypt", "oss://bkt/p/", "--kms-masterkey-id", target);
            assertEquals(1, r.status(), r.toString());
            assertEquals("Re-encrypted 2 objects in oss://bkt/p/; 1 failed\n", r.out());
            assertTrue(r.err().contains("ssefs: reencrypt oss://bkt/p/2: KeyDisabled: "), r.err());
            assertTrue(r.err().endsWith("ssefs: reencrypt: 1 objects failed; run the same command again to retry them\n"), r.err());
            List<Path> checkpoints;
            try (Stream<Path> s = Files.list(data.resolve("checkpoints"))) {
                checkpoints = s.toList();
            }
            assertEquals(1, checkpoints.size());
            assertTrue(Files.readString(checkpoints.get(0)).contains("\"p/2\""));

            ok("key", "enable", blocked);
            CliRun.Result again = cli.run("reencrypt", "oss://bkt/p/", "--kms-masterkey-id", target);
            assertEquals(0, again.status(), again.toString());
            assertEquals("ssefs: reencrypt: resuming oss://bkt/p/ after 3 objects, retrying 1 that failed\n", again.err());
            assertEquals("Re-encrypted 1 objects in oss://bkt/p/\n", again.out());
            assertFalse(Files.exists(checkpoints.get(0)), "the checkpoint is removed when all is done");
            for (String k : List.of("p/1", "p/2", "p/3")) {
                assertTrue(stat("oss://bkt/" + k).contains("x-oss-server-side-encryption-key-id: " + target), k);
            }
            assertTrue(stat("oss://bkt/q/1").contains("x-oss-server-side-encryption: AES256"), "outside the prefix: unchanged");
        }
    }

    @Nested
    @DisplayName("verify")
    class Verifying {
        @Test
        @DisplayName("all authentic: exit 0; a flipped byte on disk: the object is listed, exit 1")
        void tamper() throws Exception {
            ok("mb", "oss://bkt");
            file("a.txt", "first object");
            ok("cp", "a.txt", "oss://bkt/good.txt");
            assertEquals("Verified 1 objects (12 bytes) in oss://bkt: all authentic\n", ok("verify", "oss://bkt").out());
            Set<Path> before = blobs();
            file("big.txt", "x".repeat(40_000)); // a blob file (small objects live in meta.db; TamperTest covers those)
            ok("cp", "big.txt", "oss://bkt/bad.txt");
            Set<Path> added = blobs();
            added.removeAll(before);
            assertEquals(1, added.size());
            Path blob = added.iterator().next();
            byte[] b = Files.readAllBytes(blob);
            b[b.length - 20] ^= 1;
            Files.write(blob, b);
            CliRun.Result r = cli.run("verify", "oss://bkt");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.out().startsWith("FAILED oss://bkt/bad.txt: "), r.out());
            assertFalse(r.out().contains("good.txt"), r.out());
            assertTrue(r.out().endsWith("1 of 2 objects in oss://bkt failed verification\n"), r.out());
            assertEquals("ssefs: verify: 1 of 2 objects failed verification\n", r.err());
            JsonNode j = Output.mapper().readTree(cli.run("--json", "verify", "oss://bkt").out());
            assertEquals("oss://bkt/bad.txt", j.path("Failures").get(0).path("Url").asText());
            CliRun.Result cat = cli.run("cat", "oss://bkt/bad.txt");
            assertEquals(1, cat.status());
            assertEquals("", cat.out(), "no wrong bytes");
            assertTrue(cat.err().startsWith("ssefs: integrity check failed for "), cat.err());
            assertTrue(cat.err().contains("bad.txt"), cat.err());
            assertFalse(cat.err().contains("\tat "), cat.err());
            CliRun.Result down = cli.run("cp", "oss://bkt/bad.txt", "bad-copy.txt");
            assertEquals(1, down.status());
            assertFalse(Files.exists(dir.resolve("bad-copy.txt")), "a failed download leaves no file");
            try (Stream<Path> s = Files.list(dir)) {
                assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".ssefs-part")), "nor a temporary file");
            }
        }

        Set<Path> blobs() throws Exception {
            try (Stream<Path> s = Files.walk(data.resolve("blobs"))) {
                return new HashSet<>(s.filter(Files::isRegularFile).toList());
            }
        }
    }

    /** A provider over the same stores whose ListObjects returns at most {@code pageSize} entries a page. */
    static StoreProvider smallPages(TestStores real, int pageSize) {
        return new StoreProvider() {
            @Override
            public dev.ssefs.keys.KeyManagement keys() {
                return real.keys();
            }

            @Override
            public dev.ssefs.objectcore.ObjectStore objects() {
                dev.ssefs.objectcore.ObjectStore store = real.objects();
                return new dev.ssefs.objectcore.ObjectStore() {
                    @Override
                    public dev.ssefs.objectcore.Oss as(String principal) {
                        dev.ssefs.objectcore.Oss oss = store.as(principal);
                        return (dev.ssefs.objectcore.Oss) java.lang.reflect.Proxy.newProxyInstance(
                                dev.ssefs.objectcore.Oss.class.getClassLoader(), new Class<?>[] {dev.ssefs.objectcore.Oss.class},
                                (proxy, method, args) -> {
                                    if (method.getName().equals("listObjects")) {
                                        args[4] = Math.min((Integer) args[4], pageSize);
                                    }
                                    try {
                                        return method.invoke(oss, args);
                                    } catch (java.lang.reflect.InvocationTargetException e) {
                                        throw e.getCause();
                                    }
                                });
                    }

                    @Override
                    public void close() {
                        // the real stores are closed by the test
                    }
                };
            }

            @Override
            public Path dataDir() {
                return real.dataDir();
            }
        };
    }

    @Test
    @DisplayName("bucket-origin put/get/delete; a miss is fetched from the origin, unencrypted")
    void origin() throws Exception {
        ok("mb", "oss://bkt");
        Files.createDirectory(dir.resolve("origin"));
        Files.writeString(dir.resolve("origin/o.txt"), "from origin");
        assertEquals(dir.resolve("origin") + "\n", ok("bucket-origin", "--method", "put", "oss://bkt", "--origin", "origin").out());
        assertEquals(dir.resolve("origin") + "\n", ok("bucket-origin", "--method", "get", "oss://bkt").out());
        assertEquals("from origin", ok("cat", "oss://bkt/o.txt").out());
        assertFalse(stat("oss://bkt/o.txt").stream().anyMatch(l -> l.startsWith("x-oss-server-side-encryption")));
        ok("bucket-origin", "--method", "delete", "oss://bkt");
        assertServiceError("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration.",
                "bucket-origin", "--method", "get", "oss://bkt");
    }
}
