package dev.ssefs.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.ssefs.keys.KmsAssertions.*;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("Clock-driven rotation and deletion")
class RotationAndDeletionTest {
    @TempDir Path dir;
    TestClock clock = new TestClock();
    EmbeddedKms kms;
    Kms root;

    @BeforeEach
    void open() {
        kms = KmsFixture.open(dir, clock, KmsFixture.FAST.withOssMasterKeyRotationInterval(Duration.ofDays(30)));
        root = kms.as("root");
    }

    @AfterEach
    void close() {
        kms.close();
    }

    String rotatingKey(int days) {
        return root.createKey(new Kms.CreateKeyRequest(null, null, null, true, Duration.ofDays(days))).keyId();
    }

    @Nested
    @DisplayName("Manual rotation (CreateKeyVersion)")
    class Manual {
        @Test
        @DisplayName("adds a primary version; new blobs use it and old blobs still decrypt")
        void newPrimary() {
            String id = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            Kms.DataKey before = root.generateDataKey(id, null, null, null);
            clock.advance(Duration.ofHours(1));
            Kms.KeyVersion v2 = root.createKeyVersion(id);
            assertEquals(id, v2.keyId());
            assertEquals("2026-01-01T01:00:00Z", v2.creationDate());
            assertEquals(v2.keyVersionId(), root.describeKey(id).primaryKeyVersion());
            assertEquals("2026-01-01T01:00:00Z", root.describeKey(id).lastRotationDate());
            Kms.DataKey after = root.generateDataKey(id, null, null, null);
            assertEquals(v2.keyVersionId(), after.keyVersionId());
            assertNotEquals(before.keyVersionId(), after.keyVersionId());
            assertArrayEquals(before.plaintext(), root.decrypt(before.ciphertextBlob(), null).plaintext());
            assertArrayEquals(after.plaintext(), root.decrypt(after.ciphertextBlob(), null).plaintext());
            assertEquals(2, root.listKeyVersions(id).size());
        }

        @Test
        @DisplayName("EXTERNAL keys never rotate: 400 UnsupportedOperation")
        void external() {
            String id = root.createKey(new Kms.CreateKeyRequest(null, "EXTERNAL", null, false, null)).keyId();
            assertKmsError(400, "UnsupportedOperation",
                    "This operation is not supported. Keys with Origin EXTERNAL never rotate; CreateKeyVersion is not allowed.",
                    () -> root.createKeyVersion(id));
        }
    }

    @Nested
    @DisplayName("Automatic rotation")
    class Automatic {
        @Test
        @DisplayName("happens lazily once RotationInterval has passed; old versions keep decrypting")
        void rotates() {
            String id = rotatingKey(7);
            Kms.KeyMetadata m = root.describeKey(id);
            assertEquals("2026-01-08T00:00:00Z", m.nextRotationDate());
            Kms.DataKey v1 = root.generateDataKey(id, null, null, Map.of("n", "1"));
            clock.advance(Duration.ofDays(7).minusSeconds(1));
            assertEquals(v1.keyVersionId(), root.generateDataKey(id, null, null, null).keyVersionId());
            clock.advance(Duration.ofSeconds(1));
            Kms.DataKey v2 = root.generateDataKey(id, null, null, Map.of("n", "2"));
            assertNotEquals(v1.keyVersionId(), v2.keyVersionId());
            m = root.describeKey(id);
            assertEquals(v2.keyVersionId(), m.primaryKeyVersion());
            assertEquals("2026-01-08T00:00:00Z", m.lastRotationDate());
            assertEquals("2026-01-15T00:00:00Z", m.nextRotationDate());
            clock.advance(Duration.ofDays(30));
            Kms.DataKey v3 = root.generateDataKey(id, null, null, null);
            assertEquals(3, root.listKeyVersions(id).size(), "a long gap rotates once, not once per missed interval");
            assertArrayEquals(v1.plaintext(), root.decrypt(v1.ciphertextBlob(), Map.of("n", "1")).plaintext());
            assertArrayEquals(v2.plaintext(), root.decrypt(v2.ciphertextBlob(), Map.of("n", "2")).plaintext());
            assertArrayEquals(v3.plaintext(), root.decrypt(v3.ciphertextBlob(), null).plaintext());
        }

        @Test
        @DisplayName("is evaluated by DescribeKey too, and survives close and reopen")
        void describeAndReopen() {
            String id = rotatingKey(10);
            clock.advance(Duration.ofDays(10));
            String primary = root.describeKey(id).primaryKeyVersion();
            assertEquals(2, root.listKeyVersions(id).size());
            kms.close();
            kms = KmsFixture.open(dir, clock);
            root = kms.as("root");
            assertEquals(primary, root.describeKey(id).primaryKeyVersion());
            assertEquals(2, root.listKeyVersions(id).size());
        }

        @Test
        @DisplayName("pauses while the key is not Enabled (AutomaticRotation Suspended) and resumes on EnableKey")
        void pauses() {
            String id = rotatingKey(7);
            root.disableKey(id);
            assertEquals("Suspended", root.describeKey(id).automaticRotation());
            clock.advance(Duration.ofDays(20));
            assertEquals(1, root.listKeyVersions(id).size());
            assertEquals("Enabled", root.enableKey(id).automaticRotation());
            root.generateDataKey(id, null, null, null);
            assertEquals(2, root.listKeyVersions(id).size());
            root.scheduleKeyDeletion(id, 30);
            assertEquals("Suspended", root.describeKey(id).automaticRotation());
            clock.advance(Duration.ofDays(20));
            assertEquals(2, root.listKeyVersions(id).size());
        }
    }

    @Nested
    @DisplayName("SSE-OSS master key rings")
    class Rings {
        @Test
        @DisplayName("rotate on their configured schedule; old ring versions still unwrap")
        void rotate() {
            Kms.DataKey a = kms.oss().generateServiceDataKey("AES256", 32, null);
            Kms.DataKey s = kms.oss().generateServiceDataKey("SM4", 16, null);
            clock.advance(Duration.ofDays(29));
            assertEquals(a.keyVersionId(), kms.oss().generateServiceDataKey("AES256", 32, null).keyVersionId());
            clock.advance(Duration.ofDays(1));
            kms.oss().rotateServiceKeysIfDue();
            assertEquals(2, kms.serviceKeyVersions("AES256").size());
            assertEquals(2, kms.serviceKeyVersions("SM4").size());
            Kms.DataKey a2 = kms.oss().generateServiceDataKey("AES256", 32, null);
            assertNotEquals(a.keyVersionId(), a2.keyVersionId());
            assertArrayEquals(a.plaintext(), kms.oss().decryptServiceDataKey(a.ciphertextBlob(), null).plaintext());
            assertArrayEquals(s.plaintext(), kms.oss().decryptServiceDataKey(s.ciphertextBlob(), null).plaintext());
            kms.close();
            kms = KmsFixture.open(dir, clock);
            assertArrayEquals(a.plaintext(), kms.oss().decryptServiceDataKey(a.ciphertextBlob(), null).plaintext());
            assertArrayEquals(a2.plaintext(), kms.oss().decryptServiceDataKey(a2.ciphertextBlob(), null).plaintext());
        }

        @Test
        @DisplayName("default to a 90-day rotation")
        void defaultSchedule() {
            assertEquals(Duration.ofDays(90), EmbeddedKms.Options.defaults().ossMasterKeyRotationInterval());
        }
    }

    @Nested
    @DisplayName("ScheduleKeyDeletion")
    class Deletion {
        @Test
        @DisplayName("destroys the key for good once the window has passed: 404 everywhere, aliases gone, gone after reopen")
        void destroyed() {
            String id = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            root.createAlias("alias/doomed", id);
            byte[] blob = root.generateDataKey(id, null, null, null).ciphertextBlob();
            root.scheduleKeyDeletion(id, 7);
            clock.advance(Duration.ofDays(7).minusSeconds(1));
            assertEquals("PendingDeletion", root.describeKey(id).keyState());
            clock.advance(Duration.ofSeconds(1));
            assertKeyNotFound(() -> root.describeKey(id));
            assertKeyNotFound(() -> root.decrypt(blob, null));
            assertKeyNotFound(() -> root.cancelKeyDeletion(id));
            assertKmsError(404, "Forbidden.AliasNotFound", "The specified Alias is not found.", () -> root.describeKey("alias/doomed"));
            assertEquals(0, root.listKeys(1, 10).totalCount());
            assertEquals(List.of(), root.listAliases());
            kms.close();
            kms = KmsFixture.open(dir, clock);
            root = kms.as("root");
            assertKeyNotFound(() -> root.describeKey(id));
            assertEquals(0, root.listKeys(1, 10).totalCount());
        }

        @Test
        @DisplayName("leaves no copy of the key's sealed record in keys.db")
        void shredded() throws Exception {
            String id = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            byte[] sealed;
            try (org.mapdb.DB ro = org.mapdb.DBMaker.fileDB(dir.resolve("keys.db").toFile()).readOnly().make()) {
                sealed = ro.hashMap("ssefs.records", org.mapdb.Serializer.STRING, org.mapdb.Serializer.BYTE_ARRAY)
                        .open().get("cmk/" + id);
            }
            assertNotNull(sealed);
            byte[] probe = java.util.Arrays.copyOfRange(sealed, 20, 52);
            assertTrue(KeyStoreTest.contains(java.nio.file.Files.readAllBytes(dir.resolve("keys.db")), probe),
                    "positive control: the sealed record is in the file");
            root.scheduleKeyDeletion(id, 7);
            clock.advance(Duration.ofDays(7));
            assertKeyNotFound(() -> root.describeKey(id));
            kms.close();
            assertFalse(KeyStoreTest.contains(java.nio.file.Files.readAllBytes(dir.resolve("keys.db")), probe));
            kms = KmsFixture.open(dir, clock);
            root = kms.as("root");
        }

        @Test
        @DisplayName("ListKeys applies a passed window without any other call")
        void listKeysPurges() {
            String id = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            root.createKey(Kms.CreateKeyRequest.defaults());
            root.scheduleKeyDeletion(id, 7);
            assertEquals(2, root.listKeys(1, 10).totalCount());
            clock.advance(Duration.ofDays(8));
            assertEquals(1, root.listKeys(1, 10).totalCount());
        }

        @Test
        @DisplayName("CancelKeyDeletion inside the window keeps the key and its versions")
        void cancelled() {
            String id = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            byte[] blob = root.generateDataKey(id, null, null, null).ciphertextBlob();
            root.scheduleKeyDeletion(id, 7);
            clock.advance(Duration.ofDays(6));
            assertEquals("Enabled", root.cancelKeyDeletion(id).keyState());
            clock.advance(Duration.ofDays(30));
            assertEquals(32, root.decrypt(blob, null).plaintext().length);
        }
    }
}
