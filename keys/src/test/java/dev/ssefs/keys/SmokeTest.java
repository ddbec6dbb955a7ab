package dev.ssefs.keys;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("EmbeddedKms end to end")
class SmokeTest {
    @TempDir Path dir;

    @Test
    @DisplayName("creates a key, wraps a data key, survives reopen and still decrypts")
    void roundTrip() {
        TestClock clock = new TestClock();
        byte[] blob;
        byte[] plain;
        String keyId;
        try (EmbeddedKms kms = KmsFixture.open(dir.resolve("data"), clock)) {
            Kms root = kms.as("root");
            keyId = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            Kms.DataKey dk = root.generateDataKey(keyId, null, null, Map.of("bucket", "b"));
            blob = dk.ciphertextBlob();
            plain = dk.plaintext();
            assertEquals(32, plain.length);
            assertArrayEquals(plain, root.decrypt(blob, Map.of("bucket", "b")).plaintext());
            String ossId = kms.oss().defaultOssCmkId();
            assertEquals(ossId, kms.oss().defaultOssCmkId());
            Kms.DataKey sk = kms.oss().generateServiceDataKey("SM4", 16, Map.of());
            assertArrayEquals(sk.plaintext(), kms.oss().decryptServiceDataKey(sk.ciphertextBlob(), Map.of()).plaintext());
        }
        try (EmbeddedKms kms = KmsFixture.open(dir.resolve("data"), clock)) {
            assertArrayEquals(plain, kms.as("root").decrypt(blob, Map.of("bucket", "b")).plaintext());
            assertEquals(1, kms.as("root").listKeys(1, 10).totalCount());
        }
    }
}
