package dev.ssefs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code mount-scripts/ssefs} as a separate process, the way a user does: from another working
 * directory, with the passphrase in the environment, on a data dir of its own.
 */
@DisplayName("the ssefs launcher, run as a user runs it")
class LauncherIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PASSPHRASE = "launcher test passphrase";
    static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    @TempDir
    static Path work;
    static Path launcher;

    @BeforeAll
    static void findLauncher() {
        Path root = Path.of(System.getProperty("ssefs.root", "..")).toAbsolutePath().normalize();
        launcher = root.resolve("mount-scripts/ssefs");
        assertTrue(Files.isExecutable(launcher), "launcher at " + launcher);
        assertTrue(Files.isRegularFile(root.resolve("fuse/target/ssefs.jar")), "run after package: the shaded jar is missing");
    }

    record Result(int status, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }

        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result ssefs(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        pb.environment().remove("SSEFS_PASSPHRASE");
        pb.environment().remove("SSEFS_DATA_DIR");
        pb.environment().remove("SSEFS_DEBUG");
        pb.environment().put("HOME", work.resolve("home").toString());
        pb.environment().putAll(env);
        Path outFile = Files.createTempFile(work, "out", ".txt");
        Path errFile = Files.createTempFile(work, "err", ".txt");
        pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ssefs " + String.join(" ", args) + " did not finish in 60 s");
        }
        Result r = new Result(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
        Files.delete(outFile);
        Files.delete(errFile);
        return r;
    }

    /** Runs with SSEFS_PASSPHRASE and the shared data dir {@code data} (relative: the process's cwd is {@link #work}). */
    /**
     * The data dir commands run on, and its root secret: {@code data} with SSEFS_PASSPHRASE, or {@code kdata} with
     * a root key file (no Argon2 per process, which keeps the many launcher runs of the BYOK, data-key and object
     * tests cheap). Tests run one at a time; each @BeforeEach picks its store.
     */
    static boolean rootKeyStore;

    @BeforeEach
    void passphraseStore() {
        rootKeyStore = false;
    }

    /** Runs on the current store ({@code data}, relative: the process's cwd is {@link #work}). */
    static Result run(String... args) throws Exception {
        List<String> all = new ArrayList<>();
        if (rootKeyStore) {
            Path kf = work.resolve("kdata.key");
            if (!Files.exists(kf)) {
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                Files.write(kf, key);
                Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("rw-------"));
            }
            all.addAll(List.of("--data-dir", "kdata", "--root-key-file", "kdata.key"));
            all.addAll(Arrays.asList(args));
            return ssefs(Map.of(), all.toArray(new String[0]));
        }
        all.addAll(List.of("--data-dir", "data"));
        all.addAll(Arrays.asList(args));
        return ssefs(Map.of("SSEFS_PASSPHRASE", PASSPHRASE), all.toArray(new String[0]));
    }

    static Result ok(String... args) throws Exception {
        Result r = run(args);
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err(), r.toString());
        return r;
    }

    static JsonNode json(String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "--json";
        System.arraycopy(args, 0, all, 1, args.length);
        return ok(all).json();
    }

    static String newKey(String... extra) throws Exception {
        List<String> a = new ArrayList<>(List.of("key", "create"));
        a.addAll(Arrays.asList(extra));
        return json(a.toArray(new String[0])).path("KeyMetadata").path("KeyId").asText();
    }

    static void assertNoStackTrace(Result r) {
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in thread"), "no stack trace:\n" + r);
    }

    @Nested
    @DisplayName("help and usage")
    class Help {
        @Test
        @DisplayName("--help from another working directory, no store needed")
        void help() throws Exception {
            Result r = ssefs(Map.of(), "--help");
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().startsWith("Usage: ssefs [global options] COMMAND"), r.out());
            assertTrue(r.out().contains("\n  key "), r.out());
            r = ssefs(Map.of(), "key", "import-params", "--help");
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().contains("--wrapping-algorithm"), r.out());
        }

        @Test
        @DisplayName("runs on JDK 25 too, without warnings")
        void jdk25() throws Exception {
            assumeTrue(Files.isExecutable(JDK25.resolve("bin/java")), "JDK 25 not installed at " + JDK25);
            Result r = ssefs(Map.of("JAVA_HOME", JDK25.toString()), "--help");
            assertEquals(0, r.status(), r.toString());
            assertEquals("", r.err(), r.toString());
            // opens both stores (keys.db and meta.db, MapDB) and writes an encrypted object
            Files.writeString(work.resolve("jdk25.txt"), "on JDK 25");
            r = ssefs(Map.of("JAVA_HOME", JDK25.toString(), "SSEFS_PASSPHRASE", PASSPHRASE), "--data-dir", "data25",
                    "mb", "oss://jdk25-bucket", "--sse-algorithm", "KMS");
            assertEquals(0, r.status(), r.toString());
            assertEquals("", r.err(), r.toString());
            r = ssefs(Map.of("JAVA_HOME", JDK25.toString(), "SSEFS_PASSPHRASE", PASSPHRASE), "--data-dir", "data25",
                    "cp", "jdk25.txt", "oss://jdk25-bucket/a.txt");
            assertEquals(0, r.status(), r.toString());
            assertEquals("", r.err(), r.toString());
            assertTrue(r.out().endsWith("(KMS)\n"), r.out());
        }

        @Test
        @DisplayName("a JAVA_HOME without java: exit 2 and a clear message")
        void noJava() throws Exception {
            Result r = ssefs(Map.of("JAVA_HOME", work.resolve("no-jdk").toString()), "--help");
            assertEquals(2, r.status(), r.toString());
            assertEquals("ssefs: no java at " + work.resolve("no-jdk/bin/java") + " (JAVA_HOME=" + work.resolve("no-jdk")
                    + "); install JDK 17 or newer or fix JAVA_HOME\n", r.err());
        }

        @Test
        @DisplayName("usage errors exit 2 with a hint, no stack trace")
        void usage() throws Exception {
            Result r = run("key", "describe");
            assertEquals(2, r.status(), r.toString());
            assertEquals("ssefs: key describe: missing argument(s): expected ID\nTry 'ssefs key describe --help'.\n", r.err());
            r = run("frobnicate");
            assertEquals(2, r.status(), r.toString());
            assertEquals("ssefs: unknown command 'frobnicate'\nTry 'ssefs --help'.\n", r.err());
            r = ssefs(Map.of(), "--data-dir", "data", "key", "list");
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: no root secret: give exactly one of --passphrase-file FILE"), r.toString());
            r = ssefs(Map.of("SSEFS_PASSPHRASE", PASSPHRASE), "--data-dir", "data", "--root-key-file", "k", "key", "list");
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: more than one root secret given (SSEFS_PASSPHRASE, --root-key-file)"), r.toString());
            assertFalse(r.err().contains(PASSPHRASE));
        }
    }

    @Nested
    @DisplayName("keys")
    class Keys {
        @Test
        @DisplayName("create, describe, list, aliases, disable, enable, rotate, schedule and cancel deletion")
        void lifecycle() throws Exception {
            JsonNode m = json("key", "create", "--description", "launcher key", "--rotation-interval", "365d").path("KeyMetadata");
            String id = m.path("KeyId").asText();
            assertEquals("Enabled", m.path("KeyState").asText());
            assertEquals("Enabled", m.path("AutomaticRotation").asText());
            assertTrue(Files.isDirectory(work.resolve("data")), "relative --data-dir is resolved against the caller's cwd");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(work.resolve("data"))));

            ok("key", "alias", "create", "alias/launcher", id);
            String described = ok("key", "describe", "alias/launcher").out();
            assertTrue(described.startsWith("KeyId:             " + id + "\n"), described);
            assertTrue(described.contains("KeyState:          Enabled\n"), described);
            assertTrue(described.contains("Description:       launcher key\n"), described);
            assertTrue(ok("key", "list").out().lines().anyMatch(l -> l.startsWith(id + "  Enabled")));

            assertEquals("Disabled", json("key", "disable", "alias/launcher").path("KeyMetadata").path("KeyState").asText());
            Result refused = run("key", "generate-data-key", id);
            assertEquals(1, refused.status());
            assertEquals("ssefs: Rejected.Disabled: The request was rejected because the key state is Disabled.\n", refused.err());
            assertEquals("Enabled", json("key", "enable", id).path("KeyMetadata").path("KeyState").asText());

            JsonNode v = json("key", "rotate", id).path("KeyVersion");
            assertEquals(id, v.path("KeyId").asText());
            assertNotEquals(m.path("PrimaryKeyVersion").asText(), v.path("KeyVersionId").asText());

            JsonNode d = json("key", "schedule-deletion", id, "--pending-window-in-days", "7").path("KeyMetadata");
            assertEquals("PendingDeletion", d.path("KeyState").asText());
            assertFalse(d.path("DeleteDate").asText().isEmpty());
            assertEquals("Enabled", json("key", "cancel-deletion", id).path("KeyMetadata").path("KeyState").asText());

            JsonNode aliases = json("key", "alias", "list", id).path("Aliases").path("Alias");
            assertEquals("alias/launcher", aliases.get(0).path("AliasName").asText());
            ok("key", "alias", "delete", "alias/launcher");
            Result r = run("key", "describe", "alias/launcher");
            assertEquals(1, r.status());
            assertEquals("ssefs: Forbidden.AliasNotFound: The specified Alias is not found.\n", r.err());
        }
    }

    @Nested
    @DisplayName("on a store sealed with a root key file")
    class RootKeyStore {
        @BeforeEach
        void rootKeyStore() {
            LauncherIT.rootKeyStore = true;
        }

        @Test
        @DisplayName("BYOK end to end, material wrapped with openssl pkeyutl")
        void byok() throws Exception {
            String id = newKey("--origin", "EXTERNAL");
            Result params = ok("key", "import-params", id, "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--out", "byok");
            assertTrue(params.out().contains("PublicKeyFile:   " + work.resolve("byok/publickey.pem")), params.out());
            assertTrue(params.out().contains("TokenExpireTime: "), params.out());
            byte[] material = new byte[32];
            new SecureRandom().nextBytes(material);
            Files.write(work.resolve("byok/material.bin"), material);
            Process openssl = new ProcessBuilder("openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", "publickey.pem",
                    "-in", "material.bin", "-out", "material.enc",
                    "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256")
                    .directory(work.resolve("byok").toFile()).redirectErrorStream(true).start();
            String opensslOut = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, openssl.waitFor(), opensslOut);
            assertEquals(256, Files.size(work.resolve("byok/material.enc")));

            JsonNode m = json("key", "import", id, "--material-file", "byok/material.enc", "--token-file", "byok/importtoken.txt")
                    .path("KeyMetadata");
            assertEquals("Enabled", m.path("KeyState").asText());
            assertEquals("PendingImport", json("key", "delete-material", id).path("KeyMetadata").path("KeyState").asText());
        }

        @Test
        @DisplayName("generate-data-key and decrypt round trip with an EncryptionContext")
        void dataKeys() throws Exception {
            String id = newKey();
            JsonNode dk = json("key", "generate-data-key", id, "--context", "{\"purpose\":\"it\"}");
            JsonNode d = json("key", "decrypt", "--blob", dk.path("CiphertextBlob").asText(), "--context", "{\"purpose\":\"it\"}");
            assertEquals(dk.path("Plaintext").asText(), d.path("Plaintext").asText());
            assertEquals(dk.path("KeyVersionId").asText(), d.path("KeyVersionId").asText());
            Result r = run("key", "decrypt", "--blob", dk.path("CiphertextBlob").asText(), "--context", "{\"purpose\":\"other\"}");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: InvalidCiphertext: "), r.toString());
            assertNoStackTrace(r);
        }

        @Test
        @DisplayName("objects: mb, cp up with SSE-KMS, stat headers, cat, reencrypt, verify")
        void objects() throws Exception {
            String id = newKey();
            ok("mb", "oss://launcher-bucket");
            Files.writeString(work.resolve("hello.txt"), "hello from the launcher\n");
            ok("cp", "hello.txt", "oss://launcher-bucket/docs/", "--meta",
                    "x-oss-server-side-encryption:KMS#x-oss-server-side-encryption-key-id:" + id);
            List<String> headers = ok("stat", "oss://launcher-bucket/docs/hello.txt").out().lines().toList();
            assertTrue(headers.containsAll(List.of("Content-Length: 24", "x-oss-server-side-encryption: KMS",
                    "x-oss-server-side-encryption-key-id: " + id)), headers.toString());
            assertEquals("hello from the launcher\n", ok("cat", "oss://launcher-bucket/docs/hello.txt").out());
            assertEquals("Re-encrypted 1 objects in oss://launcher-bucket\n", ok("reencrypt", "oss://launcher-bucket").out());
            assertTrue(ok("stat", "oss://launcher-bucket/docs/hello.txt").out().contains("x-oss-server-side-encryption: AES256\n"));
            assertEquals("Verified 1 objects (24 bytes) in oss://launcher-bucket: all authentic\n", ok("verify", "oss://launcher-bucket").out());
            Result r = run("cat", "oss://launcher-bucket/missing");
            assertEquals(1, r.status(), r.toString());
            assertEquals("ssefs: NoSuchKey: The specified key does not exist. Object: oss://launcher-bucket/missing\n", r.err());
        }
    }

    @Test
    @DisplayName("policy put/get; a principal is denied what the policy does not allow")
    void policies() throws Exception {
        String id = newKey();
        Files.writeString(work.resolve("ro.json"), "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Action\":[\"kms:List*\",\"kms:DescribeKey\"],\"Resource\":[\"acs:kms:*:*:*\"]}]}");
        ok("policy", "put", "reader", "ro.json");
        assertTrue(ok("policy", "get", "reader").out().contains("\"kms:DescribeKey\""));
        ok("--principal", "reader", "key", "describe", id);
        Result r = run("--principal", "reader", "key", "generate-data-key", id);
        assertEquals(1, r.status(), r.toString());
        assertEquals("ssefs: AccessDenied: This request is forbidden by kms.\n", r.err());
    }

    @Nested
    @DisplayName("root secret problems: one clear line, no stack trace")
    class Secrets {
        @Test
        @DisplayName("a wrong passphrase")
        void wrongPassphrase() throws Exception {
            assertEquals(0, ssefs(Map.of("SSEFS_PASSPHRASE", PASSPHRASE), "--data-dir", "wrong-data", "key", "list").status());
            Result r = ssefs(Map.of("SSEFS_PASSPHRASE", "not the passphrase"), "--data-dir", "wrong-data", "key", "list");
            assertEquals(1, r.status(), r.toString());
            assertEquals("ssefs: wrong passphrase or root key for " + work.resolve("wrong-data") + "; nothing was changed\n", r.err());
            assertFalse(r.err().contains("not the passphrase"));
        }

        @Test
        @DisplayName("a root key file with mode 0644 is refused; 0600 works")
        void rootKeyFileMode() throws Exception {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Path kf = Files.write(work.resolve("root.key"), key);
            Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("rw-r--r--"));
            Result r = ssefs(Map.of(), "--data-dir", "keyfile-data", "--root-key-file", "root.key", "key", "list");
            assertEquals(1, r.status(), r.toString());
            assertEquals("ssefs: root key file " + kf + " must have mode 0600 but has mode rw-r--r--; run: chmod 600 " + kf + "\n", r.err());
            Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("rw-------"));
            r = ssefs(Map.of(), "--data-dir", "keyfile-data", "--root-key-file", "root.key", "key", "create");
            assertEquals(0, r.status(), r.toString());
        }

        @Test
        @DisplayName("a passphrase file")
        void passphraseFile() throws Exception {
            Path pf = Files.writeString(work.resolve("pass.txt"), PASSPHRASE + "\n");
            Map<String, String> none = new HashMap<>();
            Result r = ssefs(none, "--data-dir", "data", "--passphrase-file", pf.toString(), "key", "list");
            assertEquals(0, r.status(), r.toString());
        }
    }

    @Nested
    @DisplayName("class data sharing: the launcher's archive of the jar's classes")
    class ClassDataSharing {
        Path tree;
        Path jar;

        /** A copy of the launcher and the jar, so that archives made and damaged here are this test's own. */
        @BeforeEach
        void copyTree() throws IOException {
            tree = Files.createTempDirectory(work, "tree");
            Files.createDirectories(tree.resolve("mount-scripts"));
            Files.createDirectories(tree.resolve("fuse/target"));
            Files.copy(launcher, tree.resolve("mount-scripts/ssefs"));
            jar = tree.resolve("fuse/target/ssefs.jar");
            Files.copy(launcher.getParent().getParent().resolve("fuse/target/ssefs.jar"), jar);
        }

        Result treeSsefs(Map<String, String> env, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(tree.resolve("mount-scripts/ssefs").toString()));
            cmd.addAll(Arrays.asList(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
            pb.environment().remove("SSEFS_CDS");
            pb.environment().remove("SSEFS_JAVA_OPTS");
            pb.environment().remove("JAVA_HOME");
            pb.environment().putAll(env);
            Path outFile = Files.createTempFile(work, "out", ".txt");
            Path errFile = Files.createTempFile(work, "err", ".txt");
            pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("ssefs " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Result(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
        }

        List<Path> archives() throws IOException {
            try (var s = Files.list(jar.getParent())) {
                return s.filter(p -> p.getFileName().toString().endsWith(".jsa")).sorted().toList();
            }
        }

        Path onlyArchive() throws IOException {
            List<Path> a = archives();
            assertEquals(1, a.size(), a.toString());
            return a.get(0);
        }

        void assertHelp(Result r) {
            assertEquals(0, r.status(), r.toString());
            assertEquals("", r.err(), r.toString());
            assertTrue(r.out().startsWith("Usage: ssefs [global options] COMMAND"), r.toString());
        }

        /** With -Xshare:on the JVM fails unless it can map the archive the launcher passes. */
        static final Map<String, String> SHARING_REQUIRED = Map.of("SSEFS_JAVA_OPTS", "-Xshare:on -XX:+UseSerialGC -XX:TieredStopAtLevel=1");

        @Test
        @DisplayName("the first run makes it for this jar and JDK, quietly; the next runs map it")
        void made() throws Exception {
            assertTrue(archives().isEmpty());
            assertHelp(treeSsefs(Map.of(), "--help"));
            Path a = onlyArchive();
            assertTrue(Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(jar)) > 0, "newer than the jar");
            assertHelp(treeSsefs(SHARING_REQUIRED, "--help"));
            assertEquals(List.of(a), archives(), "made once, no temporary files left");
        }

        @Test
        @DisplayName("an archive older than the jar (a rebuild) is made again")
        void stale() throws Exception {
            assertHelp(treeSsefs(Map.of(), "--help"));
            Path a = onlyArchive();
            Files.setLastModifiedTime(a, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
            assertHelp(treeSsefs(SHARING_REQUIRED, "--help"));
            assertTrue(Files.getLastModifiedTime(onlyArchive()).compareTo(Files.getLastModifiedTime(jar)) > 0, "made again");
        }

        @Test
        @DisplayName("an archive of another jar build or a damaged one is ignored by the JVM: same output, no warning")
        void foreign() throws Exception {
            assertHelp(treeSsefs(Map.of(), "--help"));
            Path a = onlyArchive();
            // the jar changes after the archive was made, but the archive looks newer: the JVM checks and ignores it
            long now = System.currentTimeMillis();
            Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(now - 3_600_000));
            Files.setLastModifiedTime(a, java.nio.file.attribute.FileTime.fromMillis(now));
            assertHelp(treeSsefs(Map.of(), "--help"));
            byte[] junk = new byte[1 << 20];
            new SecureRandom().nextBytes(junk);
            Files.write(a, junk);
            assertHelp(treeSsefs(Map.of(), "--help"));
            assertEquals(List.of(a), archives());
        }

        @Test
        @DisplayName("on JDK 22+ (--enable-native-access, which JDK 25's own archive lacks) none is made or passed")
        void jdk25() throws Exception {
            assumeTrue(Files.isExecutable(JDK25.resolve("bin/java")), "JDK 25 not installed at " + JDK25);
            assertHelp(treeSsefs(Map.of("JAVA_HOME", JDK25.toString()), "--help"));
            assertTrue(archives().isEmpty(), archives().toString());
        }

        @Test
        @DisplayName("SSEFS_JAVA_OPTS with its own CDS settings: the launcher adds none (a dump cannot stack on it)")
        void ownSettings() throws Exception {
            Path own = tree.resolve("own.jsa");
            assertHelp(treeSsefs(Map.of("SSEFS_JAVA_OPTS", "-XX:+UseSerialGC -XX:ArchiveClassesAtExit=" + own), "--help"));
            assertTrue(archives().isEmpty(), archives().toString());
            assertTrue(Files.isRegularFile(own), "the caller's archive was dumped");
            assertHelp(treeSsefs(Map.of("SSEFS_JAVA_OPTS", "-XX:+UseSerialGC -Xshare:on -XX:SharedArchiveFile=" + own), "--help"));
            assertTrue(archives().isEmpty(), archives().toString());
        }

        @Test
        @DisplayName("SSEFS_CDS=0 makes and passes none")
        void off() throws Exception {
            assertHelp(treeSsefs(Map.of("SSEFS_CDS", "0"), "--help"));
            assertTrue(archives().isEmpty(), archives().toString());
        }
    }
}
