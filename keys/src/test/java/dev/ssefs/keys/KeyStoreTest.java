package dev.ssefs.keys;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("The sealed key store (keys.db)")
class KeyStoreTest {
    @TempDir Path tmp;
    TestClock clock = new TestClock();

    /** Relative path -> mode and SHA-256 of every file and directory under {@code dir}. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                String hash = Files.isRegularFile(p)
                        ? HexFormat.of().formatHex(sha256(Files.readAllBytes(p))) : "dir";
                out.put(dir.relativize(p).toString(), mode + " " + hash);
            }
        }
        return out;
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static RootSecret pass(String p) {
        return RootSecret.fromPassphrase(p.toCharArray());
    }

    EmbeddedKms open(Path dir, RootSecret s) {
        return EmbeddedKms.open(dir, s, clock, KmsFixture.FAST);
    }

    Path populatedStore() {
        Path dir = tmp.resolve("data");
        try (EmbeddedKms kms = open(dir, pass("right"))) {
            kms.as("root").createKey(Kms.CreateKeyRequest.defaults());
        }
        return dir;
    }

    void assertRefusedUnchanged(Path dir, RootSecret secret, String expectedMessage) throws IOException {
        Map<String, String> before = snapshot(dir);
        KeyStoreException e = assertThrows(KeyStoreException.class, () -> open(dir, secret));
        if (expectedMessage != null) assertEquals(expectedMessage, e.getMessage());
        assertEquals(before, snapshot(dir), "nothing on disk may change");
    }

    @Nested
    @DisplayName("creation")
    class Creation {
        @Test
        @DisplayName("creates a missing data dir with mode 0700 and keys.db with mode 0600, and nothing else")
        void modes() throws IOException {
            Path dir = tmp.resolve("a/b/data");
            try (EmbeddedKms kms = open(dir, pass("pw"))) {
                kms.as("root").createKey(Kms.CreateKeyRequest.defaults());
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
                assertAllKeysDbFilesPrivate(dir);
            }
            assertAllKeysDbFilesPrivate(dir);
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of("keys.db"), s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("keys.db.wal")).toList());
            }
        }

        @Test
        @DisplayName("leaves other files of an existing data dir (meta.db, blobs/) alone")
        void sharesDataDir() throws IOException {
            Path dir = tmp.resolve("data");
            Files.createDirectories(dir.resolve("blobs"));
            Files.writeString(dir.resolve("meta.db"), "objectcore");
            open(dir, pass("pw")).close();
            assertEquals("objectcore", Files.readString(dir.resolve("meta.db")));
            assertTrue(Files.isDirectory(dir.resolve("blobs")));
        }

        @Test
        @DisplayName("keeps the Argon2id salt and parameters in the store: reopening ignores the Options' cost")
        void storedKdfParameters() {
            Path dir = populatedStore();
            try (EmbeddedKms kms = EmbeddedKms.open(dir, pass("right"), clock,
                    EmbeddedKms.Options.defaults().withArgon2(new EmbeddedKms.Argon2Params(1 << 20, 10, 4)))) {
                assertEquals(1, kms.as("root").listKeys(1, 10).totalCount());
            }
        }

        @Test
        @DisplayName("defaults to region cn-hangzhou; another region is fixed at creation and used in ARNs")
        void region() {
            Path dir = tmp.resolve("data");
            try (EmbeddedKms kms = EmbeddedKms.open(dir, pass("pw"), clock, KmsFixture.FAST.withRegion("cn-shanghai"))) {
                assertEquals("cn-shanghai", kms.region());
                assertTrue(kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).arn().startsWith("acs:kms:cn-shanghai:"));
            }
            try (EmbeddedKms kms = open(dir, pass("pw"))) {
                assertEquals("cn-shanghai", kms.region());
            }
        }
    }

    static void assertAllKeysDbFilesPrivate(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("keys.db")).toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
            }
        }
    }

    @Nested
    @DisplayName("persistence")
    class Persistence {
        @Test
        @DisplayName("keys in every state, versions, aliases, policies and rings survive close and reopen")
        void reopen() {
            Path dir = tmp.resolve("data");
            List<Kms.KeyMetadata> metas = new ArrayList<>();
            byte[] blob;
            byte[] plain;
            byte[] ringBlob;
            byte[] ringPlain;
            String policy = "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";
            try (EmbeddedKms kms = open(dir, pass("pw"))) {
                Kms root = kms.as("root");
                String a = root.createKey(new Kms.CreateKeyRequest("Aliyun_SM4", null, "sm4", true, Duration.ofDays(100))).keyId();
                root.createKeyVersion(a);
                String b = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
                root.disableKey(b);
                String c = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
                root.scheduleKeyDeletion(c, 9);
                String d = root.createKey(new Kms.CreateKeyRequest(null, "EXTERNAL", null, false, null)).keyId();
                root.createAlias("alias/a", a);
                kms.policies().putPolicy("alice", policy);
                Kms.DataKey dk = root.generateDataKey("alias/a", null, null, Map.of("x", "y"));
                blob = dk.ciphertextBlob();
                plain = dk.plaintext();
                Kms.DataKey rk = kms.oss().generateServiceDataKey("SM4", 16, null);
                ringBlob = rk.ciphertextBlob();
                ringPlain = rk.plaintext();
                for (String id : List.of(a, b, c, d)) metas.add(root.describeKey(id));
                metas.add(root.describeKey(kms.oss().defaultOssCmkId()));
            }
            try (EmbeddedKms kms = open(dir, pass("pw"))) {
                Kms root = kms.as("root");
                for (Kms.KeyMetadata m : metas) assertEquals(m, root.describeKey(m.keyId()));
                assertEquals(2, root.listKeyVersions(metas.get(0).keyId()).size());
                assertEquals(metas.get(0).keyId(), root.describeKey("alias/a").keyId());
                assertEquals(metas.get(4).keyId(), kms.oss().defaultOssCmkId());
                assertArrayEquals(plain, root.decrypt(blob, Map.of("x", "y")).plaintext());
                assertArrayEquals(ringPlain, kms.oss().decryptServiceDataKey(ringBlob, null).plaintext());
                assertEquals(policy, kms.policies().getPolicy("alice").orElseThrow());
                assertEquals(4, root.listKeys(1, 10).totalCount());
            }
        }

        @Test
        @DisplayName("GenerateDataKey, Encrypt, Decrypt, DescribeKey, service data keys and policy checks never write to disk")
        void hotPathWritesNothing() throws IOException {
            Path dir = tmp.resolve("data");
            try (EmbeddedKms kms = open(dir, pass("pw"))) {
                Kms root = kms.as("root");
                String id = root.createKey(new Kms.CreateKeyRequest(null, null, null, true, Duration.ofDays(7))).keyId();
                kms.policies().putPolicy("app", "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}");
                kms.oss().generateServiceDataKey("AES256", 32, null);
                kms.oss().generateServiceDataKey("SM4", 16, null);
                Map<String, String> before = snapshot(dir);
                for (int i = 0; i < 200; i++) {
                    Kms k = kms.as(i % 2 == 0 ? "root" : "app");
                    Kms.DataKey dk = k.generateDataKey(id, null, null, Map.of("i", "" + i));
                    k.decrypt(dk.ciphertextBlob(), Map.of("i", "" + i));
                    k.decrypt(k.encrypt(id, new byte[]{1, 2}, null).ciphertextBlob(), null);
                    k.describeKey(id);
                    kms.oss().decryptServiceDataKey(kms.oss().generateServiceDataKey("SM4", 16, null).ciphertextBlob(), null);
                    kms.policies().isAllowed("app", "oss:GetObject", "acs:oss:*:1:b/k");
                    clock.advance(Duration.ofMinutes(1));
                }
                assertEquals(before, snapshot(dir));
            }
        }

        @Test
        @DisplayName("a closed KMS refuses further calls")
        void closed() {
            EmbeddedKms kms = open(tmp.resolve("data"), pass("pw"));
            Kms root = kms.as("root");
            kms.close();
            kms.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> root.listKeys(1, 10));
            assertEquals("the KMS is closed", e.getMessage());
        }
    }

    @Nested
    @DisplayName("refusals: KeyStoreException, nothing on disk changes")
    class Refusals {
        @Test
        @DisplayName("a wrong passphrase")
        void wrongPassphrase() throws IOException {
            Path dir = populatedStore();
            assertRefusedUnchanged(dir, pass("wrong"), "wrong passphrase or root key for " + dir.toAbsolutePath() + "; nothing was changed");
        }

        @Test
        @DisplayName("a root key file for a passphrase store, and a passphrase for a root-key-file store")
        void wrongKind() throws IOException {
            Path dir = populatedStore();
            Path keyFile = keyFile(tmp.resolve("root.key"), 32);
            assertRefusedUnchanged(dir, RootSecret.fromKeyFile(keyFile), "wrong passphrase or root key for "
                    + dir.toAbsolutePath() + ": this key store is sealed with a passphrase, not a root key file");
            Path dir2 = tmp.resolve("data2");
            open(dir2, RootSecret.fromKeyFile(keyFile)).close();
            assertRefusedUnchanged(dir2, pass("pw"), "wrong passphrase or root key for "
                    + dir2.toAbsolutePath() + ": this key store is sealed with a root key file, not a passphrase");
        }

        @Test
        @DisplayName("a header with flipped bytes")
        void corruptHeader() throws IOException {
            Path dir = populatedStore();
            byte[] b = Files.readAllBytes(dir.resolve("keys.db"));
            for (int i = 0; i < 16; i++) b[i] ^= 0x5a;
            Files.write(dir.resolve("keys.db"), b);
            KeyStoreException e = refuse(dir);
            assertTrue(e.getMessage().startsWith(dir.toAbsolutePath().resolve("keys.db") + " is corrupted or not an ssefs key store ("), e.getMessage());
            assertTrue(e.getMessage().endsWith("); nothing was changed"), e.getMessage());
        }

        @Test
        @DisplayName("a truncated file, an empty file, random bytes and a text file")
        void garbage() throws IOException {
            Path dir = populatedStore();
            Path f = dir.resolve("keys.db");
            byte[] orig = Files.readAllBytes(f);
            Files.write(f, java.util.Arrays.copyOf(orig, 1000));
            refuse(dir);
            Files.write(f, new byte[0]);
            refuse(dir);
            byte[] random = new byte[70000];
            new java.util.Random(7).nextBytes(random);
            Files.write(f, random);
            refuse(dir);
            Files.writeString(f, "hello, I am not a key store\n");
            refuse(dir);
        }

        @Test
        @DisplayName("a sealed record that was tampered with")
        void tamperedRecord() throws IOException {
            Path dir = populatedStore();
            String name;
            try (DB db = DBMaker.fileDB(dir.resolve("keys.db").toFile()).transactionEnable().make()) {
                var records = db.hashMap("ssefs.records", Serializer.STRING, Serializer.BYTE_ARRAY).open();
                name = records.keySet().iterator().next();
                byte[] v = records.get(name);
                v[v.length / 2] ^= 1;
                records.put(name, v);
                db.commit();
            }
            Map<String, String> before = snapshot(dir);
            KeyStoreException e = assertThrows(KeyStoreException.class, () -> open(dir, pass("right")));
            assertEquals(dir.toAbsolutePath().resolve("keys.db") + " is corrupted: record '" + name
                    + "' fails authentication; nothing was changed", e.getMessage());
            assertEquals(before, snapshot(dir));
        }

        @Test
        @DisplayName("tampered Argon2id parameters (which could otherwise make us allocate without bound)")
        void tamperedKdfParameters() throws IOException {
            Path dir = populatedStore();
            try (DB db = DBMaker.fileDB(dir.resolve("keys.db").toFile()).transactionEnable().make()) {
                db.hashMap("ssefs.meta", Serializer.STRING, Serializer.BYTE_ARRAY).open()
                        .put("kdf.params", java.nio.ByteBuffer.allocate(12).putInt(1 << 30).putInt(1).putInt(1).array());
                db.commit();
            }
            assertRefusedUnchanged(dir, pass("right"), dir.toAbsolutePath().resolve("keys.db")
                    + " is corrupted: implausible Argon2id parameters m=1073741824KiB t=1 p=1; nothing was changed");
        }

        @Test
        @DisplayName("a foreign MapDB file (e.g. another program's store named keys.db)")
        void foreign() throws IOException {
            Path dir = tmp.resolve("data");
            Files.createDirectories(dir);
            try (DB db = DBMaker.fileDB(dir.resolve("keys.db").toFile()).transactionEnable().make()) {
                db.hashMap("objects", Serializer.STRING, Serializer.STRING).create().put("a", "b");
                db.commit();
            }
            assertRefusedUnchanged(dir, pass("pw"), dir.toAbsolutePath().resolve("keys.db")
                    + " is not an ssefs key store (no ssefs key store metadata); nothing was changed");
        }

        @Test
        @DisplayName("keys.db is a directory")
        void directory() throws IOException {
            Path dir = tmp.resolve("data");
            Files.createDirectories(dir.resolve("keys.db"));
            assertRefusedUnchanged(dir, pass("pw"), dir.toAbsolutePath().resolve("keys.db") + " is not a regular file");
        }

        @Test
        @DisplayName("the data dir is a file")
        void dataDirIsFile() throws IOException {
            Path dir = tmp.resolve("data");
            Files.writeString(dir, "x");
            KeyStoreException e = assertThrows(KeyStoreException.class, () -> open(dir, pass("pw")));
            assertEquals("data dir " + dir.toAbsolutePath() + " exists but is not a directory", e.getMessage());
        }

        @Test
        @DisplayName("a store that is already open (locked)")
        void locked() throws IOException {
            Path dir = populatedStore();
            try (EmbeddedKms first = open(dir, pass("right"))) {
                KeyStoreException e = assertThrows(KeyStoreException.class, () -> open(dir, pass("right")));
                assertEquals(dir.toAbsolutePath().resolve("keys.db")
                        + " is in use by another ssefs process (or is already open in this one)", e.getMessage());
                assertEquals(1, first.as("root").listKeys(1, 10).totalCount());
            }
        }

        KeyStoreException refuse(Path dir) throws IOException {
            Map<String, String> before = snapshot(dir);
            KeyStoreException e = assertThrows(KeyStoreException.class, () -> open(dir, pass("right")));
            assertEquals(before, snapshot(dir), "nothing on disk may change");
            return e;
        }
    }

    static Path keyFile(Path p, int size) throws IOException {
        byte[] k = new byte[size];
        for (int i = 0; i < size; i++) k[i] = (byte) (i * 31 + 5);
        Files.write(p, k);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    @Nested
    @DisplayName("root secrets")
    class Secrets {
        @Test
        @DisplayName("a 32-byte root key file with mode 0600 seals and reopens the store; another key file is refused")
        void keyFileWorks() throws IOException {
            Path dir = tmp.resolve("data");
            Path kf = keyFile(tmp.resolve("root.key"), 32);
            String id;
            try (EmbeddedKms kms = open(dir, RootSecret.fromKeyFile(kf))) {
                id = kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId();
            }
            try (EmbeddedKms kms = open(dir, RootSecret.fromKeyFile(kf))) {
                assertEquals("Enabled", kms.as("root").describeKey(id).keyState());
            }
            byte[] other = new byte[32];
            Path kf2 = tmp.resolve("other.key");
            Files.write(kf2, other);
            Files.setPosixFilePermissions(kf2, PosixFilePermissions.fromString("rw-------"));
            assertRefusedUnchanged(dir, RootSecret.fromKeyFile(kf2), "wrong passphrase or root key for " + dir.toAbsolutePath() + "; nothing was changed");
        }

        @Test
        @DisplayName("a key file with another mode, another size, or missing is refused with a clear message")
        void badKeyFiles() throws IOException {
            Path kf = keyFile(tmp.resolve("root.key"), 32);
            Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("rw-r--r--"));
            assertEquals("root key file " + kf + " must have mode 0600 but has mode rw-r--r--; run: chmod 600 " + kf,
                    assertThrows(KeyStoreException.class, () -> RootSecret.fromKeyFile(kf)).getMessage());
            Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("r--------"));
            assertThrows(KeyStoreException.class, () -> RootSecret.fromKeyFile(kf));
            Path small = keyFile(tmp.resolve("small.key"), 31);
            assertEquals("root key file " + small + " must hold exactly 32 bytes but holds 31",
                    assertThrows(KeyStoreException.class, () -> RootSecret.fromKeyFile(small)).getMessage());
            Path big = keyFile(tmp.resolve("big.key"), 33);
            assertEquals("root key file " + big + " must hold exactly 32 bytes but holds 33",
                    assertThrows(KeyStoreException.class, () -> RootSecret.fromKeyFile(big)).getMessage());
            Path missing = tmp.resolve("missing.key");
            assertEquals("root key file " + missing + " does not exist or is not a regular file",
                    assertThrows(KeyStoreException.class, () -> RootSecret.fromKeyFile(missing)).getMessage());
        }

        @Test
        @DisplayName("an empty passphrase is refused")
        void emptyPassphrase() {
            assertEquals("the passphrase is empty",
                    assertThrows(KeyStoreException.class, () -> RootSecret.fromPassphrase(new char[0])).getMessage());
        }

        @Test
        @DisplayName("toString never shows the secret")
        void toStringHidesSecret() {
            assertEquals("RootSecret[passphrase]", pass("hunter2").toString());
        }
    }

    @Nested
    @DisplayName("no plaintext key material on disk")
    class NoPlaintext {
        @Test
        @DisplayName("no file under the data dir holds CMK material, imported material, ring keys, data keys, Encrypt plaintext, RSA private keys or the passphrase")
        void scan() throws Exception {
            Path dir = tmp.resolve("data");
            List<byte[]> secrets = new ArrayList<>();
            String passphrase = "a passphrase nobody may see";
            secrets.add(passphrase.getBytes(StandardCharsets.UTF_8));
            byte[] imported = new byte[32];
            for (int i = 0; i < 32; i++) imported[i] = (byte) (0xA0 + i);
            secrets.add(imported);
            byte[] message = "TOP-SECRET-PAYLOAD-0123456789-TOP-SECRET-PAYLOAD".getBytes(StandardCharsets.UTF_8);
            secrets.add(message);
            try (EmbeddedKms kms = open(dir, pass(passphrase))) {
                Kms root = kms.as("root");
                String aes = root.createKey(new Kms.CreateKeyRequest(null, null, null, true, Duration.ofDays(7))).keyId();
                String sm4 = root.createKey(new Kms.CreateKeyRequest("Aliyun_SM4", null, null, false, null)).keyId();
                root.createKeyVersion(sm4);
                String ext = root.createKey(new Kms.CreateKeyRequest(null, "EXTERNAL", null, false, null)).keyId();
                Kms.ImportParameters p = root.getParametersForImport(ext, "RSAES_OAEP_SHA_256", "RSA_2048");
                Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                c.init(Cipher.ENCRYPT_MODE, KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(p.publicKeyDer())),
                        new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
                root.importKeyMaterial(ext, c.doFinal(imported), p.importToken(), 0);
                root.getParametersForImport(ext, "RSAES_OAEP_SHA_1", "RSA_2048"); // a pending session
                for (String k : List.of(aes, sm4, ext)) {
                    secrets.add(root.generateDataKey(k, null, null, Map.of("c", "1")).plaintext());
                    root.encrypt(k, message, null);
                }
                secrets.add(kms.oss().generateServiceDataKey("AES256", 32, null).plaintext());
                secrets.add(kms.oss().generateServiceDataKey("SM4", 16, null).plaintext());
                clock.advance(Duration.ofDays(8));
                secrets.add(root.generateDataKey(aes, null, null, null).plaintext()); // after a rotation
                kms.oss().defaultOssCmkId();
                kms.policies().putPolicy("alice", "{\"Version\":\"1\",\"Statement\":[]}");
                secrets.addAll(kms.registry().secretsForTests());
                secrets.addAll(kms.rings().materialsForTests());
                assertTrue(secrets.size() > 15);
                // positive control: the scanner does find what is stored in the clear (the account id)
                assertTrue(contains(Files.readAllBytes(dir.resolve("keys.db")), kms.accountId().getBytes(StandardCharsets.UTF_8)));
                assertNoSecretIn(dir, secrets); // while open (WAL files included)
                assertAllKeysDbFilesPrivate(dir);
            }
            assertNoSecretIn(dir, secrets);
        }

        void assertNoSecretIn(Path dir, List<byte[]> secrets) throws IOException {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    byte[] content = Files.readAllBytes(f);
                    for (byte[] secret : secrets) {
                        // compare a 16-byte prefix too, in case a secret were stored split or truncated
                        assertFalse(contains(content, secret), "secret found in " + f);
                        if (secret.length > 16) assertFalse(contains(content, java.util.Arrays.copyOf(secret, 16)), "secret prefix found in " + f);
                    }
                }
            }
        }

    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }
}
