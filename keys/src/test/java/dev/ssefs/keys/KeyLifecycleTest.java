package dev.ssefs.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.ssefs.keys.KmsAssertions.*;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("CMKs: CreateKey, DescribeKey, ListKeys and aliases")
class KeyLifecycleTest {
    @TempDir Path dir;
    TestClock clock = new TestClock();
    EmbeddedKms kms;
    Kms root;

    @BeforeEach
    void open() {
        kms = KmsFixture.open(dir, clock);
        root = kms.as("root");
    }

    @AfterEach
    void close() {
        kms.close();
    }

    @Nested
    @DisplayName("CreateKey")
    class CreateKey {
        @Test
        @DisplayName("defaults to an Enabled Aliyun_AES_256 key of Origin Aliyun_KMS with full KeyMetadata")
        void defaults() {
            Kms.KeyMetadata m = root.createKey(Kms.CreateKeyRequest.defaults());
            assertTrue(m.keyId().matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), m.keyId());
            assertEquals("acs:kms:cn-hangzhou:" + kms.accountId() + ":key/" + m.keyId(), m.arn());
            assertTrue(kms.accountId().matches("[1-9][0-9]{15}"), kms.accountId());
            assertEquals("cn-hangzhou", kms.region());
            assertEquals("Enabled", m.keyState());
            assertEquals("Aliyun_AES_256", m.keySpec());
            assertEquals("Aliyun_KMS", m.origin());
            assertEquals("2026-01-01T00:00:00Z", m.creationDate());
            assertEquals("2026-01-01T00:00:00Z", m.lastRotationDate());
            assertEquals("Disabled", m.automaticRotation());
            assertNull(m.nextRotationDate());
            assertNull(m.rotationInterval());
            assertNull(m.deleteDate());
            assertNull(m.materialExpireTime());
            assertEquals(kms.accountId(), m.creator());
            assertNotNull(m.primaryKeyVersion());
            assertEquals(List.of(m.primaryKeyVersion()),
                    root.listKeyVersions(m.keyId()).stream().map(Kms.KeyVersion::keyVersionId).toList());
        }

        @Test
        @DisplayName("takes Aliyun_SM4, a description and automatic rotation with an interval")
        void sm4WithRotation() {
            Kms.KeyMetadata m = root.createKey(new Kms.CreateKeyRequest("Aliyun_SM4", "Aliyun_KMS", "payroll",
                    true, Duration.ofDays(30)));
            assertEquals("Aliyun_SM4", m.keySpec());
            assertEquals("payroll", m.description());
            assertEquals("Enabled", m.automaticRotation());
            assertEquals("2592000s", m.rotationInterval());
            assertEquals("2026-01-31T00:00:00Z", m.nextRotationDate());
        }

        @Test
        @DisplayName("automatic rotation without an interval rotates every 365 days (31536000s)")
        void defaultInterval() {
            Kms.KeyMetadata m = root.createKey(new Kms.CreateKeyRequest(null, null, null, true, null));
            assertEquals("31536000s", m.rotationInterval());
        }

        @Test
        @DisplayName("Origin EXTERNAL starts PendingImport")
        void external() {
            Kms.KeyMetadata m = root.createKey(new Kms.CreateKeyRequest("Aliyun_AES_256", "EXTERNAL", "", false, null));
            assertEquals("PendingImport", m.keyState());
            assertEquals("EXTERNAL", m.origin());
            assertNull(m.lastRotationDate());
        }

        @Test
        @DisplayName("400 InvalidParameter for an unknown KeySpec")
        void badSpec() {
            assertInvalidParameter("KeySpec must be Aliyun_AES_256 or Aliyun_SM4, not 'Aliyun_RSA_2048'.",
                    () -> root.createKey(new Kms.CreateKeyRequest("Aliyun_RSA_2048", null, null, false, null)));
        }

        @Test
        @DisplayName("400 InvalidParameter for an unknown Origin")
        void badOrigin() {
            assertInvalidParameter("Origin must be Aliyun_KMS or EXTERNAL, not 'HSM'.",
                    () -> root.createKey(new Kms.CreateKeyRequest(null, "HSM", null, false, null)));
        }

        @Test
        @DisplayName("400 InvalidParameter for a RotationInterval outside 7..730 days; the bounds are accepted")
        void badInterval() {
            assertInvalidParameter("RotationInterval must be between 7 and 730 days, not 604799s.",
                    () -> root.createKey(new Kms.CreateKeyRequest(null, null, null, true, Duration.ofDays(7).minusSeconds(1))));
            assertInvalidParameter("RotationInterval must be between 7 and 730 days, not 63158400s.",
                    () -> root.createKey(new Kms.CreateKeyRequest(null, null, null, true, Duration.ofDays(731))));
            assertEquals("604800s", root.createKey(new Kms.CreateKeyRequest(null, null, null, true, Duration.ofDays(7))).rotationInterval());
            assertEquals("63072000s", root.createKey(new Kms.CreateKeyRequest(null, null, null, true, Duration.ofDays(730))).rotationInterval());
        }

        @Test
        @DisplayName("400 UnsupportedOperation for automatic rotation of an EXTERNAL key")
        void externalRotation() {
            assertKmsError(400, "UnsupportedOperation",
                    "This operation is not supported. Keys with Origin EXTERNAL cannot rotate automatically.",
                    () -> root.createKey(new Kms.CreateKeyRequest(null, "EXTERNAL", null, true, null)));
        }
    }

    @Nested
    @DisplayName("DescribeKey and ListKeys")
    class DescribeAndList {
        @Test
        @DisplayName("404 Forbidden.KeyNotFound for an unknown key")
        void unknown() {
            assertKeyNotFound(() -> root.describeKey("00000000-0000-0000-0000-000000000000"));
            assertKeyNotFound(() -> root.describeKey("not-a-key"));
        }

        @Test
        @DisplayName("400 InvalidParameter when no KeyId is given")
        void missingKeyId() {
            assertInvalidParameter("KeyId is required.", () -> root.describeKey(""));
            assertInvalidParameter("KeyId is required.", () -> root.describeKey(null));
        }

        @Test
        @DisplayName("accepts the key's ARN as KeyId")
        void byArn() {
            Kms.KeyMetadata m = root.createKey(Kms.CreateKeyRequest.defaults());
            assertEquals(m.keyId(), root.describeKey(m.arn()).keyId());
        }

        @Test
        @DisplayName("pages from 1 in creation order and counts every customer key")
        void paging() {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                ids.add(root.createKey(Kms.CreateKeyRequest.defaults()).keyId());
                clock.advance(Duration.ofSeconds(1));
            }
            Kms.KeyPage p1 = root.listKeys(1, 2);
            Kms.KeyPage p3 = root.listKeys(3, 2);
            Kms.KeyPage p4 = root.listKeys(4, 2);
            assertEquals(5, p1.totalCount());
            assertEquals(2, p1.keys().size());
            assertEquals(1, p3.keys().size());
            assertEquals(0, p4.keys().size());
            assertEquals(1, p1.pageNumber());
            assertEquals(2, p1.pageSize());
            Set<String> listed = new HashSet<>();
            for (int p = 1; p <= 3; p++) root.listKeys(p, 2).keys().forEach(k -> listed.add(k.keyId()));
            assertEquals(ids, listed);
            assertTrue(p1.keys().get(0).creationDate().compareTo(p1.keys().get(1).creationDate()) < 0);
        }

        @Test
        @DisplayName("400 InvalidParameter for a page number below 1 or a page size outside 1..100")
        void badPaging() {
            assertInvalidParameter("PageNumber must be 1 or more, not 0.", () -> root.listKeys(0, 10));
            assertInvalidParameter("PageSize must be between 1 and 100, not 0.", () -> root.listKeys(1, 0));
            assertInvalidParameter("PageSize must be between 1 and 100, not 101.", () -> root.listKeys(1, 101));
        }

        @Test
        @DisplayName("the default OSS CMK and the SSE-OSS rings are not listed among customer keys")
        void serviceKeysHidden() {
            String mine = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            String oss = kms.oss().defaultOssCmkId();
            kms.oss().generateServiceDataKey("AES256", 32, Map.of());
            Kms.KeyPage page = root.listKeys(1, 100);
            assertEquals(1, page.totalCount());
            assertEquals(mine, page.keys().get(0).keyId());
            Kms.KeyMetadata d = root.describeKey("alias/acs/oss");
            assertEquals(oss, d.keyId());
            assertEquals("Oss", d.creator());
            assertEquals("Enabled", d.keyState());
        }
    }

    @Nested
    @DisplayName("The default OSS CMK")
    class DefaultOssCmk {
        @Test
        @DisplayName("is created on first use, once, with alias alias/acs/oss")
        void createdOnce() {
            assertTrue(root.listAliases().isEmpty());
            String id = kms.oss().defaultOssCmkId();
            assertEquals(id, kms.oss().defaultOssCmkId());
            assertEquals(List.of(new Kms.Alias("alias/acs/oss", "acs:kms:cn-hangzhou:" + kms.accountId() + ":alias/acs/oss", id)),
                    root.listAliasesByKeyId(id));
            Kms.DataKey dk = root.generateDataKey("alias/acs/oss", null, null, Map.of());
            assertEquals(id, dk.keyId());
        }

        @Test
        @DisplayName("is service-managed: DisableKey, ScheduleKeyDeletion, CreateKeyVersion and deleting its alias are refused")
        void notManageable() {
            String id = kms.oss().defaultOssCmkId();
            String msg = "This operation is not supported. The key " + id + " is a service key managed by OSS; ";
            assertKmsError(400, "UnsupportedOperation", msg + "DisableKey is not allowed on it.", () -> root.disableKey(id));
            assertKmsError(400, "UnsupportedOperation", msg + "ScheduleKeyDeletion is not allowed on it.",
                    () -> root.scheduleKeyDeletion(id, 7));
            assertKmsError(400, "UnsupportedOperation", msg + "CreateKeyVersion is not allowed on it.",
                    () -> root.createKeyVersion(id));
            assertKmsError(400, "UnsupportedOperation",
                    "This operation is not supported. The alias alias/acs/oss belongs to a service key and cannot be deleted.",
                    () -> root.deleteAlias("alias/acs/oss"));
            assertEquals("Enabled", root.describeKey(id).keyState());
        }
    }

    @Nested
    @DisplayName("Aliases")
    class Aliases {
        String keyId;

        @BeforeEach
        void key() {
            keyId = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
        }

        @Test
        @DisplayName("stand wherever a KeyId is accepted")
        void usableAsKeyId() {
            root.createAlias("alias/app/photos", keyId);
            assertEquals(keyId, root.describeKey("alias/app/photos").keyId());
            Kms.DataKey dk = root.generateDataKey("alias/app/photos", "AES_128", null, null);
            assertEquals(keyId, dk.keyId());
            assertEquals("Disabled", root.disableKey("alias/app/photos").keyState());
            assertEquals("Enabled", root.enableKey("acs:kms:cn-hangzhou:" + kms.accountId() + ":alias/app/photos").keyState());
        }

        @Test
        @DisplayName("are listed, listed by key, and deleted without touching the key")
        void listAndDelete() {
            String other = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            root.createAlias("alias/b", keyId);
            root.createAlias("alias/a", keyId);
            root.createAlias("alias/c", other);
            assertEquals(List.of("alias/a", "alias/b", "alias/c"), root.listAliases().stream().map(Kms.Alias::aliasName).toList());
            assertEquals(List.of("alias/a", "alias/b"), root.listAliasesByKeyId(keyId).stream().map(Kms.Alias::aliasName).toList());
            assertEquals("acs:kms:cn-hangzhou:" + kms.accountId() + ":alias/a", root.listAliases().get(0).aliasArn());
            root.deleteAlias("alias/a");
            assertEquals(List.of("alias/b"), root.listAliasesByKeyId(keyId).stream().map(Kms.Alias::aliasName).toList());
            assertEquals("Enabled", root.describeKey(keyId).keyState());
        }

        @Test
        @DisplayName("404 Forbidden.AliasNotFound for an unknown alias, wherever it is used")
        void unknownAlias() {
            String msg = "The specified Alias is not found.";
            assertKmsError(404, "Forbidden.AliasNotFound", msg, () -> root.describeKey("alias/nope"));
            assertKmsError(404, "Forbidden.AliasNotFound", msg, () -> root.deleteAlias("alias/nope"));
            assertKmsError(404, "Forbidden.AliasNotFound", msg, () -> root.generateDataKey("alias/nope", null, null, null));
            assertKmsError(404, "Forbidden.AliasNotFound", msg, () -> root.createAlias("alias/x", "alias/nope"));
        }

        @Test
        @DisplayName("409 EntityAlreadyExists.Alias when the alias is taken")
        void exists() {
            root.createAlias("alias/x", keyId);
            assertKmsError(409, "EntityAlreadyExists.Alias", "The specified Alias already exists: alias/x",
                    () -> root.createAlias("alias/x", keyId));
        }

        @Test
        @DisplayName("400 InvalidParameter for names without alias/, with bad characters, or under the reserved alias/acs")
        void badNames() {
            assertInvalidParameter("AliasName must start with alias/.", () -> root.createAlias("photos", keyId));
            assertInvalidParameter("AliasName must be alias/ followed by 1 to 255 letters, digits, _, - or /.",
                    () -> root.createAlias("alias/", keyId));
            assertInvalidParameter("AliasName must be alias/ followed by 1 to 255 letters, digits, _, - or /.",
                    () -> root.createAlias("alias/a b", keyId));
            assertInvalidParameter("AliasName must be alias/ followed by 1 to 255 letters, digits, _, - or /.",
                    () -> root.createAlias("alias/" + "x".repeat(256), keyId));
            assertInvalidParameter("The prefix alias/acs is reserved for service keys.",
                    () -> root.createAlias("alias/acs/mine", keyId));
            assertInvalidParameter("AliasName must start with alias/.", () -> root.deleteAlias("photos"));
        }

        @Test
        @DisplayName("404 Forbidden.KeyNotFound when the target key does not exist")
        void unknownKey() {
            assertKeyNotFound(() -> root.createAlias("alias/x", "00000000-0000-0000-0000-000000000000"));
            assertKeyNotFound(() -> root.listAliasesByKeyId("00000000-0000-0000-0000-000000000000"));
        }
    }
}
