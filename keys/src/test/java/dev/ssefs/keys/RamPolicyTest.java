package dev.ssefs.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.ssefs.keys.KmsAssertions.*;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("RAM policies")
class RamPolicyTest {
    @TempDir Path dir;
    TestClock clock = new TestClock();
    EmbeddedKms kms;
    RamPolicies ram;

    @BeforeEach
    void open() {
        kms = KmsFixture.open(dir, clock);
        ram = kms.policies();
    }

    @AfterEach
    void close() {
        kms.close();
    }

    static String policy(String... statements) {
        return "{\"Version\":\"1\",\"Statement\":[" + String.join(",", statements) + "]}";
    }

    static String stmt(String effect, String action, String resource) {
        return "{\"Effect\":\"" + effect + "\",\"Action\":" + action + ",\"Resource\":" + resource + "}";
    }

    @Nested
    @DisplayName("evaluation")
    class Evaluation {
        @Test
        @DisplayName("root, the account owner, is allowed everything; a principal without policy nothing")
        void defaults() {
            assertTrue(ram.isAllowed("root", "kms:ScheduleKeyDeletion", "acs:kms:cn-hangzhou:1:key/x"));
            assertTrue(ram.isAllowed("root", "oss:GetObject", "acs:oss:*:1:b/k"));
            assertFalse(ram.isAllowed("alice", "kms:DescribeKey", "acs:kms:cn-hangzhou:1:key/x"));
        }

        @ParameterizedTest(name = "{0} on {1}: {2}")
        @DisplayName("the reference policy: kms:List* and kms:DescribeKey on acs:kms:*:1416614965936597:*")
        @CsvSource({
                "kms:ListKeys,          acs:kms:cn-hangzhou:1416614965936597:key,        true",
                "kms:ListAliases,       acs:kms:cn-shanghai:1416614965936597:alias,      true",
                "kms:DescribeKey,       acs:kms:cn-hangzhou:1416614965936597:key/abc,    true",
                "KMS:describekey,       acs:kms:cn-hangzhou:1416614965936597:key/abc,    true",
                "kms:DescribeKeys,      acs:kms:cn-hangzhou:1416614965936597:key/abc,    false",
                "kms:GenerateDataKey,   acs:kms:cn-hangzhou:1416614965936597:key/abc,    false",
                "kms:DescribeKey,       acs:kms:cn-hangzhou:2416614965936597:key/abc,    false",
                "kms:DescribeKey,       ACS:KMS:cn-hangzhou:1416614965936597:key/abc,    false",
        })
        void referencePolicy(String action, String resource, boolean expected) {
            ram.putPolicy("alice", "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"kms:List*\","
                    + "\"kms:DescribeKey\"],\"Resource\":[\"acs:kms:*:1416614965936597:*\"]}]}");
            assertEquals(expected, ram.isAllowed("alice", action, resource));
        }

        @ParameterizedTest(name = "{0} vs {1}: {2}")
        @DisplayName("? matches exactly one character and * any run, including none")
        @CsvSource({
                "acs:oss:*:1:bucket?/*, acs:oss:*:1:bucket1/a.txt, true",
                "acs:oss:*:1:bucket?/*, acs:oss:*:1:bucket/a.txt,  false",
                "acs:oss:*:1:bucket?/*, acs:oss:*:1:bucket12/a,    false",
                "acs:oss:*:1:bucket1/*, acs:oss:*:1:bucket1/,      true",
                "acs:oss:*:1:b/*.jpg,   acs:oss:*:1:b/x/y.jpg,     true",
                "acs:oss:*:1:b/*.jpg,   acs:oss:*:1:b/x/y.jpeg,    false",
                "*,                     anything,                  true",
                "a*b*c,                 aXXbYYbZZc,                true",
                "a*b*c,                 aXXcYYb,                   false",
        })
        void wildcards(String pattern, String resource, boolean expected) {
            ram.putPolicy("bob", policy(stmt("Allow", "\"oss:GetObject\"", "\"" + pattern + "\"")));
            assertEquals(expected, ram.isAllowed("bob", "oss:GetObject", resource));
        }

        @Test
        @DisplayName("an explicit Deny wins over any Allow, whatever the order")
        void denyWins() {
            ram.putPolicy("carol", policy(
                    stmt("Deny", "\"kms:Decrypt\"", "\"acs:kms:*:*:key/secret-*\""),
                    stmt("Allow", "\"kms:*\"", "\"*\"")));
            assertTrue(ram.isAllowed("carol", "kms:Decrypt", "acs:kms:cn-hangzhou:1:key/public-1"));
            assertFalse(ram.isAllowed("carol", "kms:Decrypt", "acs:kms:cn-hangzhou:1:key/secret-1"));
            assertTrue(ram.isAllowed("carol", "kms:Encrypt", "acs:kms:cn-hangzhou:1:key/secret-1"));
        }

        @Test
        @DisplayName("Action and Resource may each be a string or a list")
        void stringOrList() {
            ram.putPolicy("dave", policy(stmt("Allow", "[\"oss:GetObject\",\"oss:PutObject\"]", "\"acs:oss:*:1:b/*\""),
                    stmt("Allow", "\"oss:GetBucketEncryption\"", "[\"acs:oss:*:1:b\",\"acs:oss:*:1:c\"]")));
            assertTrue(ram.isAllowed("dave", "oss:PutObject", "acs:oss:*:1:b/k"));
            assertTrue(ram.isAllowed("dave", "oss:GetBucketEncryption", "acs:oss:*:1:c"));
            assertFalse(ram.isAllowed("dave", "oss:GetBucketEncryption", "acs:oss:*:1:d"));
            assertFalse(ram.isAllowed("dave", "oss:DeleteObject", "acs:oss:*:1:b/k"));
        }

        @Test
        @DisplayName("policies are stored, listed, replaced and survive reopen")
        void storage() {
            String p1 = policy(stmt("Allow", "\"kms:*\"", "\"*\""));
            String p2 = policy(stmt("Deny", "\"kms:*\"", "\"*\""));
            ram.putPolicy("erin", p1);
            ram.putPolicy("alice", p1);
            assertEquals(List.of("alice", "erin"), ram.listPrincipals());
            ram.putPolicy("erin", p2);
            assertEquals(Optional.of(p2), ram.getPolicy("erin"));
            assertEquals(Optional.empty(), ram.getPolicy("zed"));
            kms.close();
            kms = KmsFixture.open(dir, clock);
            ram = kms.policies();
            assertEquals(Optional.of(p2), ram.getPolicy("erin"));
            assertFalse(ram.isAllowed("erin", "kms:ListKeys", "x"));
            assertTrue(ram.isAllowed("alice", "kms:ListKeys", "x"));
        }
    }

    @Nested
    @DisplayName("400 MalformedPolicyDocument")
    class Malformed {
        void assertMalformed(String detail, String json) {
            assertKmsError(400, "MalformedPolicyDocument", "The policy document is malformed: " + detail, () -> ram.putPolicy("alice", json));
            assertEquals(Optional.empty(), ram.getPolicy("alice"));
        }

        @Test
        @DisplayName("for invalid JSON, with line and column")
        void invalidJson() {
            KmsException e = assertThrows(KmsException.class, () -> ram.putPolicy("alice", "{\"Version\":\"1\",\n\"Statement\":[}"));
            assertEquals("MalformedPolicyDocument", e.code());
            assertEquals(400, e.httpStatus());
            assertTrue(e.getMessage().startsWith("The policy document is malformed: it is not valid JSON ("), e.getMessage());
            assertTrue(e.getMessage().contains("at line 2, column"), e.getMessage());
        }

        @Test
        @DisplayName("for every structural mistake, naming it")
        void structure() {
            assertMalformed("the document is empty.", "");
            assertMalformed("the document must be a JSON object.", "[]");
            assertMalformed("\"Version\" must be \"1\".", "{\"Version\":\"2\",\"Statement\":[]}");
            assertMalformed("\"Version\" must be \"1\".", "{\"Version\":1,\"Statement\":[]}");
            assertMalformed("\"Statement\" must be a list of statements.", "{\"Version\":\"1\"}");
            assertMalformed("unknown top-level field \"Id\".", "{\"Version\":\"1\",\"Id\":\"x\",\"Statement\":[]}");
            assertMalformed("Statement[0] must be an object.", "{\"Version\":\"1\",\"Statement\":[\"x\"]}");
            assertMalformed("Statement[0].Effect must be \"Allow\" or \"Deny\".", policy(stmt("allow", "\"kms:*\"", "\"*\"")));
            assertMalformed("Statement[1].Action must be a string or a non-empty list of strings.",
                    policy(stmt("Allow", "\"kms:*\"", "\"*\""), stmt("Allow", "[]", "\"*\"")));
            assertMalformed("Statement[0].Resource must hold only strings.", policy(stmt("Allow", "\"kms:*\"", "[1]")));
            assertMalformed("Statement[0] has the field \"Condition\", which ssefs does not support (only Effect, Action and Resource).",
                    "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\",\"Condition\":{}}]}");
        }

        @Test
        @DisplayName("400 InvalidParameter for a bad principal name or a policy for root")
        void principals() {
            String p = policy(stmt("Allow", "\"kms:*\"", "\"*\""));
            assertInvalidParameter("A principal name is 1 to 128 letters, digits, '.', '_', '@' or '-'.", () -> ram.putPolicy("a b", p));
            assertInvalidParameter("root is the account owner and is always allowed; it takes no policy.", () -> ram.putPolicy("root", p));
        }
    }

    @Nested
    @DisplayName("KMS calls check kms:<Action> on the key's ARN")
    class KmsEnforcement {
        Kms root;
        String keyId;
        String arn;

        @BeforeEach
        void key() {
            root = kms.as("root");
            keyId = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            arn = "acs:kms:cn-hangzhou:" + kms.accountId() + ":key/" + keyId;
            root.createAlias("alias/app", keyId);
        }

        @Test
        @DisplayName("403 AccessDenied 'This request is forbidden by kms.' for every call a principal is not allowed")
        void deniedEverywhere() {
            Kms alice = kms.as("alice");
            byte[] blob = root.generateDataKey(keyId, null, null, null).ciphertextBlob();
            assertAccessDenied(() -> alice.createKey(Kms.CreateKeyRequest.defaults()));
            assertAccessDenied(() -> alice.describeKey(keyId));
            assertAccessDenied(() -> alice.describeKey("alias/app"));
            assertAccessDenied(() -> alice.listKeys(1, 10));
            assertAccessDenied(() -> alice.enableKey(keyId));
            assertAccessDenied(() -> alice.disableKey(keyId));
            assertAccessDenied(() -> alice.scheduleKeyDeletion(keyId, 7));
            assertAccessDenied(() -> alice.cancelKeyDeletion(keyId));
            assertAccessDenied(() -> alice.createKeyVersion(keyId));
            assertAccessDenied(() -> alice.listKeyVersions(keyId));
            assertAccessDenied(() -> alice.createAlias("alias/x", keyId));
            assertAccessDenied(() -> alice.deleteAlias("alias/app"));
            assertAccessDenied(() -> alice.listAliases());
            assertAccessDenied(() -> alice.listAliasesByKeyId(keyId));
            assertAccessDenied(() -> alice.generateDataKey(keyId, null, null, null));
            assertAccessDenied(() -> alice.encrypt(keyId, new byte[1], null));
            assertAccessDenied(() -> alice.decrypt(blob, null));
            assertAccessDenied(() -> alice.getParametersForImport(keyId, "RSAES_OAEP_SHA_1", "RSA_2048"));
            assertAccessDenied(() -> alice.importKeyMaterial(keyId, new byte[1], new byte[1], 0));
            assertAccessDenied(() -> alice.deleteKeyMaterial(keyId));
            // a denied principal cannot probe which keys exist
            assertAccessDenied(() -> alice.describeKey("00000000-0000-0000-0000-000000000000"));
            assertEquals("Enabled", root.describeKey(keyId).keyState());
        }

        @Test
        @DisplayName("an Allow on the key ARN permits exactly the allowed actions, by id or alias; Deny wins")
        void allowedActions() {
            ram.putPolicy("app", policy(stmt("Allow", "[\"kms:GenerateDataKey\",\"kms:Decrypt\",\"kms:DescribeKey\"]", "\"" + arn + "\""),
                    stmt("Deny", "\"kms:Decrypt\"", "\"acs:kms:*:*:key/denied\"")));
            Kms app = kms.as("app");
            Kms.DataKey dk = app.generateDataKey("alias/app", null, null, Map.of("a", "b"));
            assertArrayEquals(dk.plaintext(), app.decrypt(dk.ciphertextBlob(), Map.of("a", "b")).plaintext());
            assertEquals("Enabled", app.describeKey(keyId).keyState());
            assertAccessDenied(() -> app.disableKey(keyId));
            assertAccessDenied(() -> app.encrypt(keyId, new byte[1], null));
            String other = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
            assertAccessDenied(() -> app.generateDataKey(other, null, null, null));
            ram.putPolicy("app", policy(stmt("Allow", "\"kms:*\"", "\"*\""), stmt("Deny", "\"kms:Decrypt\"", "\"" + arn + "\"")));
            assertAccessDenied(() -> app.decrypt(dk.ciphertextBlob(), Map.of("a", "b")));
            assertEquals(keyId, app.generateDataKey(keyId, null, null, null).keyId());
        }

        @Test
        @DisplayName("CreateAlias needs kms:CreateAlias on both the alias ARN and the key ARN")
        void createAliasNeedsBoth() {
            String aliasArn = "acs:kms:cn-hangzhou:" + kms.accountId() + ":alias/new";
            ram.putPolicy("p", policy(stmt("Allow", "\"kms:CreateAlias\"", "\"" + aliasArn + "\"")));
            assertAccessDenied(() -> kms.as("p").createAlias("alias/new", keyId));
            ram.putPolicy("p", policy(stmt("Allow", "\"kms:CreateAlias\"", "[\"" + aliasArn + "\",\"" + arn + "\"]")));
            kms.as("p").createAlias("alias/new", keyId);
            assertEquals(keyId, root.describeKey("alias/new").keyId());
        }
    }
}
