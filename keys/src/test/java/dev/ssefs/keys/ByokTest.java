package dev.ssefs.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ssefs.keys.KmsAssertions.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@DisplayName("BYOK: GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial")
class ByokTest {
    @TempDir Path dir;
    @TempDir Path work;
    TestClock clock = new TestClock();
    EmbeddedKms kms;
    Kms root;

    static final byte[] AES_MATERIAL = bytes(32, 0x11);
    static final byte[] SM4_MATERIAL = bytes(16, 0x22);

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (seed + i * 7);
        return b;
    }

    @BeforeEach
    void open() {
        kms = KmsFixture.open(dir, clock);
        root = kms.as("root");
    }

    @AfterEach
    void close() {
        kms.close();
    }

    String externalKey(String spec) {
        return root.createKey(new Kms.CreateKeyRequest(spec, "EXTERNAL", "byok", false, null)).keyId();
    }

    /** Wraps as a user would with the JDK. */
    static byte[] jdkWrap(Kms.ImportParameters p, String algorithm, byte[] material) throws Exception {
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(p.publicKeyDer()));
        Cipher c;
        switch (algorithm) {
            case "RSAES_OAEP_SHA_1" -> {
                c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
                c.init(Cipher.ENCRYPT_MODE, pub);
            }
            case "RSAES_OAEP_SHA_256" -> {
                c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
                        PSource.PSpecified.DEFAULT));
            }
            default -> {
                c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
                c.init(Cipher.ENCRYPT_MODE, pub);
            }
        }
        return c.doFinal(material);
    }

    /** Wraps as a user would on the command line: openssl pkeyutl with the PEM public key. */
    byte[] opensslWrap(Kms.ImportParameters p, List<String> pkeyopts, byte[] material) throws Exception {
        Path pem = work.resolve("public.pem");
        Path in = work.resolve("material.bin");
        Path out = work.resolve("material.enc");
        Files.writeString(pem, p.publicKeyPem());
        Files.write(in, material);
        Files.deleteIfExists(out);
        List<String> cmd = new ArrayList<>(List.of("openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pem.toString(),
                "-in", in.toString(), "-out", out.toString()));
        for (String o : pkeyopts) {
            cmd.add("-pkeyopt");
            cmd.add(o);
        }
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, proc.exitValue(), "openssl failed: " + output);
        return Files.readAllBytes(out);
    }

    static boolean opensslAvailable() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    void assertWorksWith(String keyId, byte[] material) throws Exception {
        assertEquals("Enabled", root.describeKey(keyId).keyState());
        Kms.DataKey dk = root.generateDataKey(keyId, null, null, Map.of("k", "v"));
        assertArrayEquals(dk.plaintext(), root.decrypt(dk.ciphertextBlob(), Map.of("k", "v")).plaintext());
        // The key really is the imported material: unwrap the blob ourselves.
        if (material.length == 32) {
            byte[] blob = dk.ciphertextBlob();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(material, "AES"),
                    new javax.crypto.spec.GCMParameterSpec(128, blob, 35, 12));
            c.updateAAD(dev.ssefs.keys.crypto.EncryptionContextCodec.aad(blob, 35, Map.of("k", "v")));
            assertArrayEquals(dk.plaintext(), c.doFinal(blob, 47, blob.length - 47));
        }
    }

    @Nested
    @DisplayName("GetParametersForImport")
    class Parameters {
        @Test
        @DisplayName("returns an RSA-2048 public key (DER and PEM), a token and TokenExpireTime 24 hours ahead")
        void parameters() throws Exception {
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_1", "RSA_2048");
            assertEquals(id, p.keyId());
            RSAPublicKey pub = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(p.publicKeyDer()));
            assertEquals(2048, pub.getModulus().bitLength());
            assertTrue(p.publicKeyPem().startsWith("-----BEGIN PUBLIC KEY-----\n"));
            String b64 = p.publicKeyPem().replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            assertArrayEquals(p.publicKeyDer(), Base64.getDecoder().decode(b64));
            assertEquals("2026-01-02T00:00:00Z", p.tokenExpireTime());
            assertTrue(p.importToken().length >= 16);
        }

        @Test
        @DisplayName("400 InvalidParameter for an unknown WrappingAlgorithm or WrappingKeySpec")
        void badParameters() {
            String id = externalKey(null);
            assertInvalidParameter("WrappingAlgorithm must be one of RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSAES_PKCS1_V1_5, not 'RSA_OAEP'.",
                    () -> root.getParametersForImport(id, "RSA_OAEP", "RSA_2048"));
            assertInvalidParameter("WrappingKeySpec must be RSA_2048, not 'RSA_4096'.",
                    () -> root.getParametersForImport(id, "RSAES_OAEP_SHA_1", "RSA_4096"));
        }

        @Test
        @DisplayName("400 UnsupportedOperation for a key of Origin Aliyun_KMS")
        void notExternal() {
            String id = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            assertKmsError(400, "UnsupportedOperation", "This operation is not supported. GetParametersForImport needs a key "
                    + "with Origin EXTERNAL; key " + id + " has Origin Aliyun_KMS.", () -> root.getParametersForImport(id, "RSAES_OAEP_SHA_1", "RSA_2048"));
        }
    }

    @Nested
    @DisplayName("ImportKeyMaterial end to end")
    class EndToEnd {
        @ParameterizedTest(name = "JDK {0}, {1}")
        @CsvSource({"RSAES_OAEP_SHA_1, Aliyun_AES_256", "RSAES_OAEP_SHA_256, Aliyun_AES_256", "RSAES_PKCS1_V1_5, Aliyun_AES_256",
                "RSAES_OAEP_SHA_256, Aliyun_SM4"})
        @DisplayName("material wrapped with the JDK's RSA imports and the key works")
        void jdk(String algorithm, String spec) throws Exception {
            String id = externalKey(spec);
            byte[] material = spec.equals("Aliyun_SM4") ? SM4_MATERIAL : AES_MATERIAL;
            Kms.ImportParameters p = root.getParametersForImport(id, algorithm, "RSA_2048");
            Kms.KeyMetadata m = root.importKeyMaterial(id, jdkWrap(p, algorithm, material), p.importToken(), 0);
            assertEquals("Enabled", m.keyState());
            assertNull(m.materialExpireTime());
            assertWorksWith(id, material);
        }

        @ParameterizedTest(name = "openssl {0}: {1}")
        @CsvSource(delimiter = '|', value = {
                "RSAES_OAEP_SHA_1   | rsa_padding_mode:oaep",
                "RSAES_OAEP_SHA_256 | rsa_padding_mode:oaep rsa_oaep_md:sha256 rsa_mgf1_md:sha256",
                "RSAES_OAEP_SHA_256 | rsa_padding_mode:oaep rsa_oaep_md:sha256",
                "RSAES_PKCS1_V1_5   | rsa_padding_mode:pkcs1"})
        @DisplayName("material wrapped with `openssl pkeyutl` imports and the key works")
        void openssl(String algorithm, String opts) throws Exception {
            assumeTrue(opensslAvailable(), "openssl is not installed");
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, algorithm, "RSA_2048");
            byte[] wrapped = opensslWrap(p, List.of(opts.split(" ")), AES_MATERIAL);
            assertEquals("Enabled", root.importKeyMaterial(id, wrapped, p.importToken(), 0).keyState());
            assertWorksWith(id, AES_MATERIAL);
        }

        @Test
        @DisplayName("OAEP-SHA-256 with the JDK's default MGF1-SHA-1 is not RSAES_OAEP_SHA_256: 400 InvalidKeyMaterial")
        void oaepMgfMismatch() throws Exception {
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_256", "RSA_2048");
            PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(p.publicKeyDer()));
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding"); // MGF1 defaults to SHA-1 here
            c.init(Cipher.ENCRYPT_MODE, pub);
            byte[] wrapped = c.doFinal(AES_MATERIAL);
            assertKmsError(400, "InvalidKeyMaterial", "The key material is invalid. The EncryptedKeyMaterial cannot be "
                    + "decrypted with this ImportToken's private key; wrap it with the PublicKey from the same "
                    + "GetParametersForImport call, using RSAES_OAEP_SHA_256.",
                    () -> root.importKeyMaterial(id, wrapped, p.importToken(), 0));
            assertEquals("PendingImport", root.describeKey(id).keyState());
        }

        @Test
        @DisplayName("the import session survives close and reopen (CLI calls are separate processes)")
        void acrossReopen() throws Exception {
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_1", "RSA_2048");
            kms.close();
            kms = KmsFixture.open(dir, clock);
            root = kms.as("root");
            root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_1", AES_MATERIAL), p.importToken(), 0);
            kms.close();
            kms = KmsFixture.open(dir, clock);
            root = kms.as("root");
            assertWorksWith(id, AES_MATERIAL);
        }
    }

    @Nested
    @DisplayName("errors")
    class Errors {
        @Test
        @DisplayName("400 InvalidImportToken for a token of another key or a made-up token")
        void invalidToken() throws Exception {
            String a = externalKey(null);
            String b = externalKey(null);
            Kms.ImportParameters pa = root.getParametersForImport(a, "RSAES_OAEP_SHA_1", "RSA_2048");
            byte[] wrapped = jdkWrap(pa, "RSAES_OAEP_SHA_1", AES_MATERIAL);
            assertKmsError(400, "InvalidImportToken", "The ImportToken is invalid. It was not issued by GetParametersForImport for key " + b + ".",
                    () -> root.importKeyMaterial(b, wrapped, pa.importToken(), 0));
            assertKmsError(400, "InvalidImportToken", "The ImportToken is invalid. It was not issued by GetParametersForImport for key " + a + ".",
                    () -> root.importKeyMaterial(a, wrapped, new byte[32], 0));
        }

        @Test
        @DisplayName("400 ExpiredImportToken after 24 hours")
        void expired() throws Exception {
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_1", "RSA_2048");
            byte[] wrapped = jdkWrap(p, "RSAES_OAEP_SHA_1", AES_MATERIAL);
            clock.advance(Duration.ofHours(24));
            assertKmsError(400, "ExpiredImportToken",
                    "The ImportToken has expired. Call GetParametersForImport for a new token and public key.",
                    () -> root.importKeyMaterial(id, wrapped, p.importToken(), 0));
        }

        @ParameterizedTest(name = "{0} bytes")
        @ValueSource(ints = {16, 24, 31, 33})
        @DisplayName("400 InvalidKeyMaterial for material that is not 256-bit for an AES key")
        void wrongLengthAes(int n) throws Exception {
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_256", "RSA_2048");
            assertKmsError(400, "InvalidKeyMaterial", "The key material is invalid. A Aliyun_AES_256 key needs 256-bit (32-byte) key material, not " + n + " bytes.",
                    () -> root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_256", new byte[n]), p.importToken(), 0));
        }

        @Test
        @DisplayName("400 InvalidKeyMaterial for material that is not 128-bit for an SM4 key")
        void wrongLengthSm4() throws Exception {
            String id = externalKey("Aliyun_SM4");
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_256", "RSA_2048");
            assertKmsError(400, "InvalidKeyMaterial", "The key material is invalid. A Aliyun_SM4 key needs 128-bit (16-byte) key material, not 32 bytes.",
                    () -> root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_256", AES_MATERIAL), p.importToken(), 0));
        }

        @Test
        @DisplayName("400 InvalidKeyMaterial for garbage instead of wrapped material")
        void garbage() throws Exception {
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_PKCS1_V1_5", "RSA_2048");
            assertKmsError(400, "InvalidKeyMaterial", "The key material is invalid. The EncryptedKeyMaterial cannot be "
                    + "decrypted with this ImportToken's private key; wrap it with the PublicKey from the same "
                    + "GetParametersForImport call, using RSAES_PKCS1_V1_5.",
                    () -> root.importKeyMaterial(id, new byte[256], p.importToken(), 0));
        }

        @Test
        @DisplayName("400 InvalidParameter for a KeyMaterialExpireUnix in the past")
        void pastExpiry() throws Exception {
            String id = externalKey(null);
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_1", "RSA_2048");
            long past = clock.instant().getEpochSecond() - 1;
            assertInvalidParameter("KeyMaterialExpireUnix must be 0 (never expires) or a time in the future, not " + past + ".",
                    () -> root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_1", AES_MATERIAL), p.importToken(), past));
        }
    }

    @Nested
    @DisplayName("material lifecycle")
    class Lifecycle {
        String id;
        Kms.ImportParameters p;
        byte[] blob;

        @BeforeEach
        void imported() throws Exception {
            id = externalKey(null);
            p = root.getParametersForImport(id, "RSAES_OAEP_SHA_256", "RSA_2048");
            root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_256", AES_MATERIAL), p.importToken(), 0);
            blob = root.encrypt(id, "payload".getBytes(StandardCharsets.UTF_8), null).ciphertextBlob();
        }

        @Test
        @DisplayName("DeleteKeyMaterial leaves the key PendingImport; re-importing the same material restores it")
        void deleteAndReimport() throws Exception {
            assertEquals("PendingImport", root.deleteKeyMaterial(id).keyState());
            assertRejected("PendingImport", () -> root.decrypt(blob, null));
            assertRejected("PendingImport", () -> root.generateDataKey(id, null, null, null));
            root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_256", AES_MATERIAL), p.importToken(), 0);
            assertEquals("payload", new String(root.decrypt(blob, null).plaintext(), StandardCharsets.UTF_8));
        }

        @Test
        @DisplayName("only the same material can be imported again: 400 InvalidKeyMaterial otherwise")
        void otherMaterial() {
            root.deleteKeyMaterial(id);
            byte[] other = bytes(32, 0x33);
            assertKmsError(400, "InvalidKeyMaterial", "The key material is invalid. A key accepts only the key material that was imported into it before.",
                    () -> root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_256", other), p.importToken(), 0));
            assertEquals("PendingImport", root.describeKey(id).keyState());
        }

        @Test
        @DisplayName("material with KeyMaterialExpireUnix expires: the key becomes PendingImport and is unusable")
        void expiry() throws Exception {
            long in10days = clock.instant().plus(Duration.ofDays(10)).getEpochSecond();
            Kms.KeyMetadata m = root.importKeyMaterial(id, jdkWrap(p, "RSAES_OAEP_SHA_256", AES_MATERIAL), p.importToken(), in10days);
            assertEquals("2026-01-11T00:00:00Z", m.materialExpireTime());
            clock.advance(Duration.ofDays(10));
            assertRejected("PendingImport", () -> root.decrypt(blob, null));
            assertEquals("PendingImport", root.describeKey(id).keyState());
            assertNull(root.describeKey(id).materialExpireTime());
            Kms.ImportParameters p2 = root.getParametersForImport(id, "RSAES_OAEP_SHA_1", "RSA_2048");
            root.importKeyMaterial(id, jdkWrap(p2, "RSAES_OAEP_SHA_1", AES_MATERIAL), p2.importToken(), 0);
            assertEquals("payload", new String(root.decrypt(blob, null).plaintext(), StandardCharsets.UTF_8));
        }

        @Test
        @DisplayName("DeleteKeyMaterial on an Aliyun_KMS key is 400 UnsupportedOperation")
        void notExternal() {
            String kmsKey = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            assertKmsError(400, "UnsupportedOperation", "This operation is not supported. DeleteKeyMaterial needs a key with "
                    + "Origin EXTERNAL; key " + kmsKey + " has Origin Aliyun_KMS.", () -> root.deleteKeyMaterial(kmsKey));
            assertFalse(Arrays.equals(AES_MATERIAL, new byte[32]));
        }
    }
}
