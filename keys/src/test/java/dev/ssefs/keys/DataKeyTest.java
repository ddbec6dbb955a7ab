package dev.ssefs.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static dev.ssefs.keys.KmsAssertions.*;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("GenerateDataKey, Encrypt and Decrypt")
class DataKeyTest {
    static final String TAMPERED = "The CiphertextBlob is invalid. It was tampered with, or the EncryptionContext "
            + "differs from the one it was encrypted with.";
    static final String NOT_A_BLOB = "The CiphertextBlob is invalid. It is not an ssefs KMS ciphertext blob (format 1).";

    @TempDir Path dir;
    TestClock clock = new TestClock();
    EmbeddedKms kms;
    Kms root;
    String aesKey;
    String sm4Key;
    final Map<String, String> ctx = Map.of("bucket", "photos", "object", "cat.jpg");

    @BeforeEach
    void open() {
        kms = KmsFixture.open(dir, clock);
        root = kms.as("root");
        aesKey = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
        sm4Key = root.createKey(new Kms.CreateKeyRequest("Aliyun_SM4", null, null, false, null)).keyId();
    }

    @AfterEach
    void close() {
        kms.close();
    }

    @Nested
    @DisplayName("GenerateDataKey")
    class Generate {
        @Test
        @DisplayName("AES_256 (the default) gives 32 bytes, AES_128 16, NumberOfBytes 1..1024 exactly that many")
        void lengths() {
            assertEquals(32, root.generateDataKey(aesKey, null, null, null).plaintext().length);
            assertEquals(32, root.generateDataKey(aesKey, "AES_256", null, null).plaintext().length);
            assertEquals(16, root.generateDataKey(aesKey, "AES_128", null, null).plaintext().length);
            assertEquals(1, root.generateDataKey(aesKey, null, 1, null).plaintext().length);
            assertEquals(1024, root.generateDataKey(sm4Key, null, 1024, null).plaintext().length);
        }

        @Test
        @DisplayName("returns KeyId, KeyVersionId (the primary) and a fresh random key each time")
        void fields() {
            Kms.DataKey a = root.generateDataKey(aesKey, null, null, ctx);
            Kms.DataKey b = root.generateDataKey(aesKey, null, null, ctx);
            assertEquals(aesKey, a.keyId());
            assertEquals(root.describeKey(aesKey).primaryKeyVersion(), a.keyVersionId());
            assertFalse(Arrays.equals(a.plaintext(), b.plaintext()));
            assertFalse(Arrays.equals(a.ciphertextBlob(), b.ciphertextBlob()));
        }

        @Test
        @DisplayName("400 InvalidParameter for NumberOfBytes 0 or 1025, an unknown KeySpec, or both given")
        void badArguments() {
            assertInvalidParameter("NumberOfBytes must be between 1 and 1024, not 0.", () -> root.generateDataKey(aesKey, null, 0, null));
            assertInvalidParameter("NumberOfBytes must be between 1 and 1024, not 1025.", () -> root.generateDataKey(aesKey, null, 1025, null));
            assertInvalidParameter("KeySpec must be AES_256 or AES_128, not 'AES_512'.", () -> root.generateDataKey(aesKey, "AES_512", null, null));
            assertInvalidParameter("Give either KeySpec or NumberOfBytes, not both.", () -> root.generateDataKey(aesKey, "AES_256", 32, null));
        }

        @Test
        @DisplayName("400 InvalidParameter for a null EncryptionContext key or value")
        void nullContext() {
            Map<String, String> bad = new HashMap<>();
            bad.put("k", null);
            assertInvalidParameter("EncryptionContext keys and values must not be null.", () -> root.generateDataKey(aesKey, null, null, bad));
        }
    }

    @Nested
    @DisplayName("The ciphertext blob")
    class Blob {
        @Test
        @DisplayName("is versioned (format byte 1) and names its key and key version")
        void layout() {
            Kms.DataKey dk = root.generateDataKey(aesKey, null, null, ctx);
            ByteBuffer b = ByteBuffer.wrap(dk.ciphertextBlob());
            assertEquals(1, b.get(), "format");
            assertEquals(1, b.get(), "kind: CMK");
            assertEquals(UUID.fromString(aesKey), new UUID(b.getLong(), b.getLong()));
            assertEquals(UUID.fromString(dk.keyVersionId()), new UUID(b.getLong(), b.getLong()));
            assertEquals(1, b.get(), "AES-GCM");
            assertEquals(35 + 12 + 32 + 16, dk.ciphertextBlob().length);
        }

        @Test
        @DisplayName("of an Aliyun_SM4 key says SM4-GCM and is not AES-GCM")
        void sm4() throws Exception {
            Kms.DataKey dk = root.generateDataKey(sm4Key, null, null, ctx);
            assertEquals(2, dk.ciphertextBlob()[34], "SM4-GCM");
            assertArrayEquals(dk.plaintext(), root.decrypt(dk.ciphertextBlob(), ctx).plaintext());
            // Independent check with Bouncy Castle: the key's own SM4 material unwraps it with SM4/GCM.
            byte[] material = kms.registry().existing(sm4Key).record.versions.get(0).material;
            var gcm = org.bouncycastle.crypto.modes.GCMBlockCipher.newInstance(new org.bouncycastle.crypto.engines.SM4Engine());
            byte[] blob = dk.ciphertextBlob();
            byte[] aad = dev.ssefs.keys.crypto.EncryptionContextCodec.aad(blob, 35, ctx);
            gcm.init(false, new org.bouncycastle.crypto.params.AEADParameters(
                    new org.bouncycastle.crypto.params.KeyParameter(material), 128, Arrays.copyOfRange(blob, 35, 47), aad));
            byte[] out = new byte[gcm.getOutputSize(blob.length - 47)];
            int n = gcm.processBytes(blob, 47, blob.length - 47, out, 0);
            gcm.doFinal(out, n);
            assertArrayEquals(dk.plaintext(), out);
        }

        @Test
        @DisplayName("decrypts with the same EncryptionContext in any order")
        void contextOrder() {
            Kms.DataKey dk = root.generateDataKey(aesKey, null, null, Map.of("a", "1", "b", "2"));
            Map<String, String> reordered = new java.util.LinkedHashMap<>();
            reordered.put("b", "2");
            reordered.put("a", "1");
            Kms.DecryptResult r = root.decrypt(dk.ciphertextBlob(), reordered);
            assertArrayEquals(dk.plaintext(), r.plaintext());
            assertEquals(aesKey, r.keyId());
            assertEquals(dk.keyVersionId(), r.keyVersionId());
        }

        @Test
        @DisplayName("400 InvalidCiphertext for a different, missing or extra EncryptionContext")
        void wrongContext() {
            byte[] blob = root.generateDataKey(aesKey, null, null, ctx).ciphertextBlob();
            assertKmsError(400, "InvalidCiphertext", TAMPERED, () -> root.decrypt(blob, Map.of("bucket", "photos", "object", "dog.jpg")));
            assertKmsError(400, "InvalidCiphertext", TAMPERED, () -> root.decrypt(blob, null));
            assertKmsError(400, "InvalidCiphertext", TAMPERED, () -> root.decrypt(blob, Map.of("bucket", "photos")));
            // length-prefixing keeps {"ab":"c"} and {"a":"bc"} apart
            byte[] b2 = root.generateDataKey(aesKey, null, null, Map.of("ab", "c")).ciphertextBlob();
            assertKmsError(400, "InvalidCiphertext", TAMPERED, () -> root.decrypt(b2, Map.of("a", "bc")));
        }

        @ParameterizedTest(name = "byte {0}")
        @ValueSource(ints = {34, 35, 46, 47, 60, 78, 94})
        @DisplayName("400 InvalidCiphertext when any byte of algorithm, nonce, ciphertext or tag is flipped")
        void tamperedBody(int index) {
            byte[] blob = root.generateDataKey(aesKey, null, null, ctx).ciphertextBlob();
            blob[index] ^= 0x01;
            KmsException e = assertThrows(KmsException.class, () -> root.decrypt(blob, ctx));
            assertEquals("InvalidCiphertext", e.code());
            assertEquals(400, e.httpStatus());
        }

        @Test
        @DisplayName("a flipped version id is 400 InvalidCiphertext naming the missing version")
        void tamperedVersion() {
            byte[] blob = root.generateDataKey(aesKey, null, null, ctx).ciphertextBlob();
            blob[20] ^= 0x01;
            ByteBuffer b = ByteBuffer.wrap(blob, 18, 16);
            UUID v = new UUID(b.getLong(), b.getLong());
            assertKmsError(400, "InvalidCiphertext", "The CiphertextBlob is invalid. It names key version " + v
                    + ", which key " + aesKey + " does not have.", () -> root.decrypt(blob, ctx));
        }

        @Test
        @DisplayName("a blob re-pointed at another key of the same spec fails authentication")
        void repointed() {
            String other = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            byte[] blob = root.generateDataKey(aesKey, null, null, ctx).ciphertextBlob();
            UUID o = UUID.fromString(other);
            UUID ov = UUID.fromString(root.describeKey(other).primaryKeyVersion());
            ByteBuffer.wrap(blob, 2, 32).putLong(o.getMostSignificantBits()).putLong(o.getLeastSignificantBits())
                    .putLong(ov.getMostSignificantBits()).putLong(ov.getLeastSignificantBits());
            assertKmsError(400, "InvalidCiphertext", TAMPERED, () -> root.decrypt(blob, ctx));
        }

        @Test
        @DisplayName("400 InvalidCiphertext for bytes that are no blob; 404 for a blob of an unknown key")
        void garbage() {
            assertKmsError(400, "InvalidCiphertext", NOT_A_BLOB, () -> root.decrypt(new byte[10], ctx));
            assertKmsError(400, "InvalidCiphertext", NOT_A_BLOB, () -> root.decrypt(null, ctx));
            byte[] blob = root.generateDataKey(aesKey, null, null, ctx).ciphertextBlob();
            byte[] v2 = blob.clone();
            v2[0] = 2;
            assertKmsError(400, "InvalidCiphertext", NOT_A_BLOB, () -> root.decrypt(v2, ctx));
            byte[] truncated = Arrays.copyOf(blob, 35 + 12 + 15);
            assertKmsError(400, "InvalidCiphertext", NOT_A_BLOB, () -> root.decrypt(truncated, ctx));
            byte[] unknown = blob.clone();
            unknown[5] ^= 0x40;
            assertKeyNotFound(() -> root.decrypt(unknown, ctx));
        }
    }

    @Nested
    @DisplayName("Encrypt")
    class EncryptOp {
        @Test
        @DisplayName("round-trips up to 6144 bytes under AES and SM4 keys")
        void roundTrip() {
            byte[] six = new byte[6144];
            Arrays.fill(six, (byte) 7);
            for (String k : new String[]{aesKey, sm4Key}) {
                Kms.EncryptResult r = root.encrypt(k, six, ctx);
                assertEquals(k, r.keyId());
                assertArrayEquals(six, root.decrypt(r.ciphertextBlob(), ctx).plaintext());
            }
            byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(hello, root.decrypt(root.encrypt(aesKey, hello, null).ciphertextBlob(), Map.of()).plaintext());
        }

        @Test
        @DisplayName("400 InvalidParameter for more than 6144 bytes or an empty plaintext")
        void tooLarge() {
            assertInvalidParameter("Plaintext must be at most 6144 bytes (6 KB), not 6145.", () -> root.encrypt(aesKey, new byte[6145], null));
            assertInvalidParameter("Plaintext is required.", () -> root.encrypt(aesKey, new byte[0], null));
        }
    }

    @Nested
    @DisplayName("SSE-OSS service data keys")
    class Service {
        @Test
        @DisplayName("AES256 and SM4 rings wrap and unwrap data keys bound to the context")
        void roundTrip() {
            for (String alg : new String[]{"AES256", "SM4"}) {
                Kms.DataKey dk = kms.oss().generateServiceDataKey(alg, alg.equals("SM4") ? 16 : 32, ctx);
                assertEquals("acs/oss/sse-master-key/" + alg, dk.keyId());
                assertEquals(2, dk.ciphertextBlob()[1], "kind: service ring");
                assertEquals(alg.equals("SM4") ? 2 : 1, dk.ciphertextBlob()[34]);
                Kms.DecryptResult r = kms.oss().decryptServiceDataKey(dk.ciphertextBlob(), ctx);
                assertArrayEquals(dk.plaintext(), r.plaintext());
                assertEquals(dk.keyVersionId(), r.keyVersionId());
                assertKmsError(400, "InvalidCiphertext", TAMPERED, () -> kms.oss().decryptServiceDataKey(dk.ciphertextBlob(), Map.of()));
            }
        }

        @Test
        @DisplayName("400 InvalidParameter for an unknown algorithm or length; CMK and service blobs are not interchangeable")
        void errors() {
            assertInvalidParameter("The SSE-OSS algorithm must be AES256 or SM4, not 'KMS'.", () -> kms.oss().generateServiceDataKey("KMS", 32, null));
            assertInvalidParameter("NumberOfBytes must be between 1 and 1024, not 0.", () -> kms.oss().generateServiceDataKey("AES256", 0, null));
            byte[] service = kms.oss().generateServiceDataKey("AES256", 32, null).ciphertextBlob();
            byte[] cmk = root.generateDataKey(aesKey, null, null, null).ciphertextBlob();
            assertKmsError(400, "InvalidCiphertext", "The CiphertextBlob is invalid. It was wrapped by an OSS service key, not by a CMK.",
                    () -> root.decrypt(service, null));
            assertKmsError(400, "InvalidCiphertext", "The CiphertextBlob is invalid. It was wrapped by a CMK, not by an OSS service key.",
                    () -> kms.oss().decryptServiceDataKey(cmk, null));
        }
    }
}
