package dev.ssefs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key and policy commands through {@link Main#run}, against a real embedded KMS held open like the daemon does. */
@DisplayName("ssefs key / policy commands (in-process)")
class KeyCommandsTest {
    @TempDir
    Path dir;
    TestStores stores;
    CliRun cli;

    @BeforeEach
    void open() {
        stores = new TestStores(dir.resolve("data"));
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
        String[] withJson = new String[args.length + 1];
        withJson[0] = "--json";
        System.arraycopy(args, 0, withJson, 1, args.length);
        return Output.mapper().readTree(ok(withJson).out());
    }

    /** Asserts exit 1 and exactly {@code ssefs: CODE: message} on stderr. */
    void assertServiceError(String code, String message, String... args) {
        CliRun.Result r = cli.run(args);
        assertEquals(1, r.status(), r.toString());
        assertEquals("ssefs: " + code + ": " + message + "\n", r.err(), r.toString());
        assertEquals("", r.out(), r.toString());
    }

    String createKey(String... extra) throws Exception {
        String[] args = new String[extra.length + 2];
        args[0] = "key";
        args[1] = "create";
        System.arraycopy(extra, 0, args, 2, extra.length);
        return json(args).path("KeyMetadata").path("KeyId").asText();
    }

    @Nested
    @DisplayName("create, describe, list")
    class CreateDescribeList {
        @Test
        @DisplayName("--json answers with the KMS KeyMetadata wrapper and field names")
        void createJson() throws Exception {
            JsonNode m = json("key", "create", "--description", "photos").path("KeyMetadata");
            String id = m.path("KeyId").asText();
            assertFalse(id.isEmpty());
            assertEquals("acs:kms:cn-hangzhou:" + stores.keys().accountId() + ":key/" + id, m.path("Arn").asText());
            assertEquals("Enabled", m.path("KeyState").asText());
            assertEquals("Aliyun_AES_256", m.path("KeySpec").asText());
            assertEquals("Aliyun_KMS", m.path("Origin").asText());
            assertEquals("photos", m.path("Description").asText());
            assertFalse(m.path("PrimaryKeyVersion").asText().isEmpty());
            assertEquals("2026-01-01T00:00:00Z", m.path("CreationDate").asText());
            assertEquals(m, json("key", "describe", id).path("KeyMetadata"));
        }

        @Test
        @DisplayName("human output is aligned Name: value lines")
        void createHuman() {
            String out = ok("key", "create", "--spec", "Aliyun_SM4").out();
            assertTrue(out.matches("(?s)KeyId: {13}[0-9a-f-]{36}\nArn: {15}acs:kms:.*"), out);
            assertTrue(out.contains("\nKeySpec:           Aliyun_SM4\n"), out);
        }

        @Test
        @DisplayName("EXTERNAL keys start PendingImport")
        void external() throws Exception {
            String id = createKey("--origin", "EXTERNAL");
            assertEquals("PendingImport", json("key", "describe", id).path("KeyMetadata").path("KeyState").asText());
        }

        @Test
        @DisplayName("an unknown spec is the KMS's error")
        void badSpec() {
            CliRun.Result r = cli.run("key", "create", "--spec", "RSA_2048");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: InvalidParameter: "), r.toString());
        }

        @Test
        @DisplayName("list walks every page")
        void listAllPages() throws Exception {
            Set<String> created = new HashSet<>();
            for (int i = 0; i < 105; i++) {
                created.add(stores.keys().as("root").createKey(dev.ssefs.keys.Kms.CreateKeyRequest.defaults()).keyId());
            }
            JsonNode r = json("key", "list");
            assertEquals(105, r.path("TotalCount").asInt());
            Set<String> listed = new HashSet<>();
            for (JsonNode k : r.path("Keys").path("Key")) {
                listed.add(k.path("KeyId").asText());
                assertTrue(k.path("KeyArn").asText().endsWith(":key/" + k.path("KeyId").asText()));
            }
            assertEquals(created, listed);
            String table = ok("key", "list").out();
            assertEquals(106, table.lines().count(), "a header and one row per key");
            assertTrue(table.startsWith("KeyId "), table);
        }

        @Test
        @DisplayName("unknown keys and aliases: Forbidden.KeyNotFound / Forbidden.AliasNotFound")
        void notFound() {
            assertServiceError("Forbidden.KeyNotFound", "The specified Key is not found.", "key", "describe", "no-such-key");
            assertServiceError("Forbidden.AliasNotFound", "The specified Alias is not found.", "key", "describe", "alias/nope");
        }
    }

    @Nested
    @DisplayName("states")
    class States {
        @Test
        @DisplayName("disable refuses data keys with Rejected.Disabled; enable restores")
        void disableEnable() throws Exception {
            String id = createKey();
            assertEquals("Disabled", json("key", "disable", id).path("KeyMetadata").path("KeyState").asText());
            assertServiceError("Rejected.Disabled", "The request was rejected because the key state is Disabled.",
                    "key", "generate-data-key", id);
            assertEquals("Enabled", json("key", "enable", id).path("KeyMetadata").path("KeyState").asText());
            ok("key", "generate-data-key", id);
        }

        @Test
        @DisplayName("schedule-deletion and cancel-deletion; the window must be 7 to 30 days")
        void deletion() throws Exception {
            String id = createKey();
            CliRun.Result bad = cli.run("key", "schedule-deletion", id, "--pending-window-in-days", "3");
            assertEquals(1, bad.status());
            assertTrue(bad.err().startsWith("ssefs: InvalidParameter: "), bad.toString());
            JsonNode m = json("key", "schedule-deletion", id, "--pending-window-in-days", "7").path("KeyMetadata");
            assertEquals("PendingDeletion", m.path("KeyState").asText());
            assertEquals("2026-01-08T00:00:00Z", m.path("DeleteDate").asText());
            assertServiceError("Rejected.PendingDeletion", "The request was rejected because the key state is PendingDeletion.",
                    "key", "generate-data-key", id);
            assertEquals("Enabled", json("key", "cancel-deletion", id).path("KeyMetadata").path("KeyState").asText());
        }

        @Test
        @DisplayName("a bad transition is Rejected.StateModifiedFailed")
        void badTransition() throws Exception {
            String id = createKey();
            CliRun.Result r = cli.run("key", "cancel-deletion", id);
            assertEquals(1, r.status());
            assertTrue(r.err().startsWith("ssefs: Rejected.StateModifiedFailed: "), r.toString());
        }
    }

    @Nested
    @DisplayName("rotation")
    class Rotation {
        @Test
        @DisplayName("rotate makes a new primary version; old blobs still decrypt")
        void manual() throws Exception {
            String id = createKey();
            JsonNode dk = json("key", "generate-data-key", id);
            JsonNode v = json("key", "rotate", id).path("KeyVersion");
            assertEquals(id, v.path("KeyId").asText());
            assertNotEquals(dk.path("KeyVersionId").asText(), v.path("KeyVersionId").asText());
            assertEquals(v.path("KeyVersionId").asText(), json("key", "describe", id).path("KeyMetadata").path("PrimaryKeyVersion").asText());
            assertEquals(2, json("key", "versions", id).path("TotalCount").asInt());
            JsonNode d = json("key", "decrypt", "--blob", dk.path("CiphertextBlob").asText());
            assertEquals(dk.path("Plaintext").asText(), d.path("Plaintext").asText());
            assertEquals(dk.path("KeyVersionId").asText(), d.path("KeyVersionId").asText());
        }

        @Test
        @DisplayName("--rotation-interval enables automatic rotation, driven by the clock")
        void automatic() throws Exception {
            JsonNode m = json("key", "create", "--rotation-interval", "30d").path("KeyMetadata");
            assertEquals("Enabled", m.path("AutomaticRotation").asText());
            assertEquals("2592000s", m.path("RotationInterval").asText());
            String id = m.path("KeyId").asText();
            String first = m.path("PrimaryKeyVersion").asText();
            stores.clock.advance(Duration.ofDays(29));
            assertEquals(first, json("key", "describe", id).path("KeyMetadata").path("PrimaryKeyVersion").asText());
            stores.clock.advance(Duration.ofDays(2));
            assertNotEquals(first, json("key", "describe", id).path("KeyMetadata").path("PrimaryKeyVersion").asText());
        }
    }

    @Nested
    @DisplayName("aliases")
    class Aliases {
        @Test
        @DisplayName("create, use anywhere, list (all and by key), delete")
        void lifecycle() throws Exception {
            String a = createKey();
            String b = createKey();
            ok("key", "alias", "create", "alias/photos", a);
            ok("key", "alias", "create", "alias/backup", b);
            assertEquals(a, json("key", "describe", "alias/photos").path("KeyMetadata").path("KeyId").asText());
            assertEquals("Disabled", json("key", "disable", "alias/photos").path("KeyMetadata").path("KeyState").asText());
            JsonNode all = json("key", "alias", "list");
            assertEquals(2, all.path("TotalCount").asInt());
            JsonNode byKey = json("key", "alias", "list", b).path("Aliases").path("Alias");
            assertEquals(1, byKey.size());
            assertEquals("alias/backup", byKey.get(0).path("AliasName").asText());
            assertEquals(b, byKey.get(0).path("KeyId").asText());
            assertTrue(byKey.get(0).path("AliasArn").asText().endsWith(":alias/backup"));
            ok("key", "alias", "delete", "alias/photos");
            assertServiceError("Forbidden.AliasNotFound", "The specified Alias is not found.", "key", "describe", "alias/photos");
            String table = ok("key", "alias", "list").out();
            assertEquals(2, table.lines().count(), table);
        }
    }

    @Nested
    @DisplayName("BYOK")
    class Byok {
        @Test
        @DisplayName("import-params writes PEM and token; import accepts raw and base64 material; delete-material")
        void roundTrip() throws Exception {
            String id = createKey("--origin", "EXTERNAL");
            JsonNode p = json("key", "import-params", id, "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--out", "imp");
            Path pem = dir.resolve("imp/publickey.pem");
            Path token = dir.resolve("imp/importtoken.txt");
            assertEquals(pem.toString(), p.path("PublicKeyFile").asText());
            assertEquals(token.toString(), p.path("ImportTokenFile").asText());
            assertEquals("2026-01-02T00:00:00Z", p.path("TokenExpireTime").asText());
            String pemText = Files.readString(pem);
            assertTrue(pemText.startsWith("-----BEGIN PUBLIC KEY-----\n"), pemText);
            assertEquals(p.path("ImportToken").asText() + "\n", Files.readString(token));

            byte[] material = new byte[32];
            new java.security.SecureRandom().nextBytes(material);
            PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(
                    Base64.getDecoder().decode(p.path("PublicKey").asText())));
            Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
            rsa.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
            byte[] wrapped = rsa.doFinal(material);
            Files.write(dir.resolve("material.bin"), wrapped);
            JsonNode m = json("key", "import", id, "--material-file", "material.bin", "--token-file", "imp/importtoken.txt",
                    "--expire-unix", "0").path("KeyMetadata");
            assertEquals("Enabled", m.path("KeyState").asText());

            // the same material again, as base64 text: accepted
            Files.writeString(dir.resolve("material.b64"), Base64.getMimeEncoder().encodeToString(wrapped) + "\n");
            ok("key", "import", id, "--material-file", "material.b64", "--token-file", "imp/importtoken.txt");

            JsonNode dk = json("key", "generate-data-key", id, "--context", "{\"k\":\"v\"}");
            assertEquals("PendingImport", json("key", "delete-material", id).path("KeyMetadata").path("KeyState").asText());
            assertServiceError("Rejected.PendingImport", "The request was rejected because the key state is PendingImport.",
                    "key", "decrypt", "--blob", dk.path("CiphertextBlob").asText(), "--context", "{\"k\":\"v\"}");
        }

        @Test
        @DisplayName("a missing material file is a clear local error")
        void missingFile() throws Exception {
            String id = createKey("--origin", "EXTERNAL");
            CliRun.Result r = cli.run("key", "import", id, "--material-file", "nope.bin", "--token-file", "t");
            assertEquals(1, r.status());
            assertEquals("ssefs: cannot read " + dir.resolve("nope.bin") + ": no such file\n", r.err());
        }

        @Test
        @DisplayName("a garbage token is InvalidImportToken")
        void badToken() throws Exception {
            String id = createKey("--origin", "EXTERNAL");
            Files.write(dir.resolve("m.bin"), new byte[256]);
            Files.writeString(dir.resolve("t.txt"), Base64.getEncoder().encodeToString(new byte[40]));
            CliRun.Result r = cli.run("key", "import", id, "--material-file", "m.bin", "--token-file", "t.txt");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: InvalidImportToken: "), r.toString());
        }
    }

    @Nested
    @DisplayName("data keys")
    class DataKeys {
        @Test
        @DisplayName("generate-data-key and decrypt round trip with an EncryptionContext")
        void roundTrip() throws Exception {
            String id = createKey();
            ok("key", "alias", "create", "alias/dk", id);
            JsonNode dk = json("key", "generate-data-key", "alias/dk", "--context", "{\"bucket\":\"photos\",\"key\":\"a.jpg\"}");
            assertEquals(id, dk.path("KeyId").asText());
            assertEquals(32, Base64.getDecoder().decode(dk.path("Plaintext").asText()).length);
            JsonNode d = json("key", "decrypt", "--blob", dk.path("CiphertextBlob").asText(),
                    "--context", "{\"key\":\"a.jpg\",\"bucket\":\"photos\"}");
            assertEquals(dk.path("Plaintext").asText(), d.path("Plaintext").asText());
            assertEquals(id, d.path("KeyId").asText());
            assertServiceError("InvalidCiphertext", invalidCiphertextMessage(),
                    "key", "decrypt", "--blob", dk.path("CiphertextBlob").asText(), "--context", "{\"bucket\":\"other\",\"key\":\"a.jpg\"}");
            assertServiceError("InvalidCiphertext", invalidCiphertextMessage(),
                    "key", "decrypt", "--blob", dk.path("CiphertextBlob").asText());
        }

        @Test
        @DisplayName("--key-spec AES_128 and --number-of-bytes")
        void sizes() throws Exception {
            String id = createKey();
            assertEquals(16, Base64.getDecoder().decode(json("key", "generate-data-key", id, "--key-spec", "AES_128").path("Plaintext").asText()).length);
            assertEquals(7, Base64.getDecoder().decode(json("key", "generate-data-key", id, "--number-of-bytes", "7").path("Plaintext").asText()).length);
        }

        @Test
        @DisplayName("human output names Plaintext and CiphertextBlob")
        void human() throws Exception {
            String out = ok("key", "generate-data-key", createKey()).out();
            assertTrue(out.matches("(?s)KeyId: {10}\\S+\nKeyVersionId: {3}\\S+\nPlaintext: {6}\\S+\nCiphertextBlob: \\S+\n"), out);
        }

        String invalidCiphertextMessage() {
            return "The CiphertextBlob is invalid. It was tampered with, or the EncryptionContext differs from the one it was encrypted with.";
        }
    }

    @Nested
    @DisplayName("policies")
    class Policies {
        static final String READ_ONLY = "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Action\":[\"kms:List*\",\"kms:DescribeKey\"],\"Resource\":[\"acs:kms:*:*:*\"]}]}";

        @Test
        @DisplayName("put, get, list; the principal may read but is denied the rest with AccessDenied")
        void putGetDeny() throws Exception {
            String id = createKey();
            Files.writeString(dir.resolve("ro.json"), READ_ONLY);
            ok("policy", "put", "alice", "ro.json");
            JsonNode got = json("policy", "get", "alice");
            assertEquals("alice", got.path("PrincipalName").asText());
            assertEquals(Output.mapper().readTree(READ_ONLY), Output.mapper().readTree(got.path("PolicyDocument").asText()));
            assertEquals("alice", json("policy", "list").path("Principals").get(0).asText());
            assertEquals("alice\n", ok("policy", "list").out());

            ok("--principal", "alice", "key", "describe", id);
            ok("--principal", "alice", "key", "list");
            assertServiceError("AccessDenied", "This request is forbidden by kms.", "--principal", "alice", "key", "disable", id);
            assertServiceError("AccessDenied", "This request is forbidden by kms.", "--principal", "alice", "key", "generate-data-key", id);
            assertServiceError("AccessDenied", "This request is forbidden by kms.", "--principal", "bob", "key", "describe", id);
            // policies are account administration: alice may not grant herself more
            assertServiceError("AccessDenied", "This request is forbidden by ram.", "--principal", "alice", "policy", "put", "alice", "ro.json");
        }

        @Test
        @DisplayName("the policy file is read from the caller's working directory, or stdin with -")
        void fromStdin() throws Exception {
            CliRun.Result r = new CliRun(dir, stores).stdin(READ_ONLY.getBytes()).run("policy", "put", "carol", "-");
            assertEquals(0, r.status(), r.toString());
            assertEquals(Output.mapper().readTree(READ_ONLY), Output.mapper().readTree(stores.keys().policies().getPolicy("carol").orElseThrow()));
        }

        @Test
        @DisplayName("malformed JSON is MalformedPolicyDocument; a principal without policy is EntityNotExist.Policy")
        void errors() throws Exception {
            Files.writeString(dir.resolve("bad.json"), "{\"Version\":\"1\",");
            CliRun.Result r = cli.run("policy", "put", "dave", "bad.json");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: MalformedPolicyDocument: "), r.toString());
            assertServiceError("EntityNotExist.Policy", "No policy is attached to principal dave.", "policy", "get", "dave");
        }
    }
}
