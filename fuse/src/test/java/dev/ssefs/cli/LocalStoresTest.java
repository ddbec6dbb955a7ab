package dev.ssefs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default store provider: the command line opens the data dir itself and closes it after the command. */
@DisplayName("ssefs opening its own data dir")
class LocalStoresTest {
    @TempDir
    Path dir;

    CliRun cli() {
        return new CliRun(dir, null);
    }

    @Test
    @DisplayName("the data dir is created on first use with mode 0700; the store reopens with the same passphrase")
    void createsDataDir() throws Exception {
        Path data = dir.resolve("a/b/data");
        CliRun c = cli().env("SSEFS_DATA_DIR", data.toString()).env("SSEFS_PASSPHRASE", "open sesame 42");
        CliRun.Result r = c.run("key", "create", "--description", "d1");
        assertEquals(0, r.status(), r.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        assertTrue(c.run("key", "list").out().contains("d1"));
    }

    @Test
    @DisplayName("--data-dir is relative to the caller's directory and wins over SSEFS_DATA_DIR")
    void dataDirOption() {
        CliRun c = cli().env("SSEFS_DATA_DIR", dir.resolve("env").toString()).env("SSEFS_PASSPHRASE", "open sesame 42");
        assertEquals(0, c.run("--data-dir", "opt", "key", "list").status());
        assertTrue(Files.isDirectory(dir.resolve("opt")));
        assertFalse(Files.exists(dir.resolve("env")));
    }

    @Test
    @DisplayName("SSEFS_INLINE_LIMIT: small objects in meta.db by default, every object a file with 0, a bad value refused clearly")
    void inlineLimit() throws Exception {
        Files.writeString(dir.resolve("small.txt"), "small object");
        CliRun c = cli().env("SSEFS_PASSPHRASE", "open sesame 42");
        assertEquals(0, c.run("--data-dir", "data", "mb", "oss://bkt").status());
        assertEquals(0, c.run("--data-dir", "data", "cp", "small.txt", "oss://bkt/inline").status());
        assertEquals(0, blobFiles(dir.resolve("data")), "by default a small object has no blob file");
        assertEquals(0, c.env("SSEFS_INLINE_LIMIT", "0").run("--data-dir", "data", "cp", "small.txt", "oss://bkt/file").status());
        assertEquals(1, blobFiles(dir.resolve("data")), "with SSEFS_INLINE_LIMIT=0 it is a file");
        for (String limit : new String[] {"0", "32768"}) {
            for (String k : new String[] {"inline", "file"}) {
                assertEquals("small object", cli().env("SSEFS_PASSPHRASE", "open sesame 42").env("SSEFS_INLINE_LIMIT", limit)
                        .run("--data-dir", "data", "cat", "oss://bkt/" + k).out(), k + " with limit " + limit);
            }
        }
        for (String bad : new String[] {"-1", "lots", "2000000"}) {
            CliRun.Result r = cli().env("SSEFS_PASSPHRASE", "open sesame 42").env("SSEFS_INLINE_LIMIT", bad)
                    .run("--data-dir", "data", "cp", "small.txt", "oss://bkt/x");
            assertEquals(1, r.status(), r.toString());
            assertEquals("ssefs: SSEFS_INLINE_LIMIT must be a number of bytes from 0 to 1048576, not '" + bad + "'\n", r.err());
        }
    }

    static long blobFiles(Path data) throws Exception {
        try (var s = Files.walk(data.resolve("blobs"))) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    @DisplayName("a wrong passphrase: exit 1, one clear line, nothing on disk changed")
    void wrongPassphrase() throws Exception {
        Path data = dir.resolve("data");
        assertEquals(0, cli().env("SSEFS_PASSPHRASE", "right passphrase").run("--data-dir", "data", "key", "create").status());
        Map<String, byte[]> before = snapshot(data);
        CliRun.Result r = cli().env("SSEFS_PASSPHRASE", "the wrong one").run("--data-dir", "data", "key", "list");
        assertEquals(1, r.status(), r.toString());
        assertEquals("ssefs: wrong passphrase or root key for " + data + "; nothing was changed\n", r.err());
        assertFalse(r.err().contains("the wrong one"));
        assertEquals("", r.out());
        Map<String, byte[]> after = snapshot(data);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
    }

    @Test
    @DisplayName("--passphrase-file reads the first line")
    void passphraseFile() throws Exception {
        Files.writeString(dir.resolve("pass"), "right passphrase\n");
        assertEquals(0, cli().env("SSEFS_PASSPHRASE", "right passphrase").run("--data-dir", "data", "key", "create").status());
        CliRun.Result r = cli().run("--data-dir", "data", "--passphrase-file", "pass", "key", "list");
        assertEquals(0, r.status(), r.toString());
        assertEquals(2, r.out().lines().count(), r.out());
    }

    @Test
    @DisplayName("a root key file must be 32 bytes with mode 0600")
    void rootKeyFile() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path kf = Files.write(dir.resolve("root.key"), key);
        Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("rw-r--r--"));
        CliRun.Result r = cli().run("--data-dir", "data", "--root-key-file", "root.key", "key", "list");
        assertEquals(1, r.status(), r.toString());
        assertEquals("ssefs: root key file " + kf + " must have mode 0600 but has mode rw-r--r--; run: chmod 600 " + kf + "\n", r.err());
        assertFalse(Files.exists(dir.resolve("data")), "nothing created for a refused secret");

        Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, cli().run("--data-dir", "data", "--root-key-file", "root.key", "key", "create").status());
        assertEquals(2, cli().run("--data-dir", "data", "--root-key-file", "root.key", "key", "list").out().lines().count());

        Path shortKey = Files.write(dir.resolve("short.key"), new byte[16]);
        Files.setPosixFilePermissions(shortKey, PosixFilePermissions.fromString("rw-------"));
        r = cli().run("--data-dir", "data", "--root-key-file", "short.key", "key", "list");
        assertEquals(1, r.status());
        assertEquals("ssefs: root key file " + shortKey + " must hold exactly 32 bytes but holds 16\n", r.err());
    }

    @Test
    @DisplayName("a data dir path that is a file: exit 1, one clear line")
    void dataDirIsAFile() throws Exception {
        Files.writeString(dir.resolve("data"), "not a directory");
        CliRun.Result r = cli().env("SSEFS_PASSPHRASE", "x").run("--data-dir", "data", "key", "list");
        assertEquals(1, r.status());
        assertEquals("ssefs: data dir " + dir.resolve("data") + " exists but is not a directory\n", r.err());
    }

    @Test
    @DisplayName("an unexpected exception is one line, exit 1; SSEFS_DEBUG=1 adds the stack trace")
    void unexpected() {
        StoreProvider broken = new StoreProvider() {
            @Override
            public dev.ssefs.keys.KeyManagement keys() {
                throw new IllegalStateException("boom");
            }

            @Override
            public dev.ssefs.objectcore.ObjectStore objects() {
                throw new IllegalStateException("boom");
            }

            @Override
            public Path dataDir() {
                return dir;
            }
        };
        CliRun.Result r = new CliRun(dir, broken).run("key", "list");
        assertEquals(1, r.status());
        assertEquals("ssefs: unexpected error: IllegalStateException: boom (set SSEFS_DEBUG=1 for a stack trace)\n", r.err());
        r = new CliRun(dir, broken).env("SSEFS_DEBUG", "1").run("key", "list");
        assertEquals(1, r.status());
        assertTrue(r.err().startsWith("ssefs: unexpected error: IllegalStateException: boom\njava.lang.IllegalStateException: boom\n\tat "), r.err());
    }

    static Map<String, byte[]> snapshot(Path root) throws Exception {
        Map<String, byte[]> m = new HashMap<>();
        try (var s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    m.put(root.relativize(p).toString(), Files.readAllBytes(p));
                }
            }
        }
        return m;
    }
}
