package dev.ssefs.keys;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Map;

import static dev.ssefs.keys.KmsAssertions.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every (state x operation) pair. A cell is either the state the key ends in ("-> Enabled"), "ok" for calls that
 * do not change the state, or the KMS error code ("Rejected.Disabled", "Rejected.StateModifiedFailed", ...).
 */
@DisplayName("Key state machine")
class KeyStateMachineTest {
    @TempDir Path dir;
    TestClock clock = new TestClock();
    EmbeddedKms kms;
    Kms root;
    static final byte[] MATERIAL = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @BeforeEach
    void open() {
        kms = KmsFixture.open(dir, clock);
        root = kms.as("root");
    }

    @AfterEach
    void close() {
        kms.close();
    }

    /** A key in the given state; {@code external} makes it an EXTERNAL key (with imported material unless PendingImport). */
    record Subject(String keyId, byte[] blob) {}

    Subject keyIn(String state, boolean external) {
        String id;
        byte[] blob = null;
        if (external || state.equals("PendingImport")) {
            id = root.createKey(new Kms.CreateKeyRequest(null, "EXTERNAL", null, false, null)).keyId();
            if (!state.equals("PendingImport")) importMaterial(id);
        } else {
            id = root.createKey(Kms.CreateKeyRequest.defaults()).keyId();
        }
        if (!state.equals("PendingImport")) blob = root.encrypt(id, "secret".getBytes(StandardCharsets.UTF_8), Map.of()).ciphertextBlob();
        switch (state) {
            case "Disabled" -> root.disableKey(id);
            case "PendingDeletion" -> root.scheduleKeyDeletion(id, 7);
            default -> { }
        }
        assertEquals(state, root.describeKey(id).keyState());
        return new Subject(id, blob);
    }

    void importMaterial(String id) {
        try {
            Kms.ImportParameters p = root.getParametersForImport(id, "RSAES_OAEP_SHA_256", "RSA_2048");
            PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(p.publicKeyDer()));
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(Cipher.ENCRYPT_MODE, pub, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
            root.importKeyMaterial(id, c.doFinal(MATERIAL), p.importToken(), 0);
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs the operation; returns "-> State" / "ok" or the error code. */
    String run(String op, Subject s) {
        try {
            switch (op) {
                case "EnableKey" -> { return "-> " + root.enableKey(s.keyId()).keyState(); }
                case "DisableKey" -> { return "-> " + root.disableKey(s.keyId()).keyState(); }
                case "ScheduleKeyDeletion" -> { return "-> " + root.scheduleKeyDeletion(s.keyId(), 7).keyState(); }
                case "CancelKeyDeletion" -> { return "-> " + root.cancelKeyDeletion(s.keyId()).keyState(); }
                case "DeleteKeyMaterial" -> { return "-> " + root.deleteKeyMaterial(s.keyId()).keyState(); }
                case "ImportKeyMaterial" -> { importMaterial(s.keyId()); return "-> " + root.describeKey(s.keyId()).keyState(); }
                case "GenerateDataKey" -> root.generateDataKey(s.keyId(), null, null, null);
                case "Encrypt" -> root.encrypt(s.keyId(), new byte[]{1}, null);
                case "Decrypt" -> root.decrypt(s.blob(), Map.of());
                case "CreateKeyVersion" -> root.createKeyVersion(s.keyId());
                case "DescribeKey" -> root.describeKey(s.keyId());
                case "ListKeys" -> assertTrue(root.listKeys(1, 100).keys().stream().anyMatch(k -> k.keyId().equals(s.keyId())));
                case "ListKeyVersions" -> assertFalse(root.listKeyVersions(s.keyId()).isEmpty());
                case "CreateAlias" -> root.createAlias("alias/t", s.keyId());
                default -> throw new IllegalArgumentException(op);
            }
            return "ok";
        } catch (KmsException e) {
            if (e.code().startsWith("Rejected.")) {
                String state = e.code().substring("Rejected.".length());
                if (!state.equals("StateModifiedFailed")) {
                    assertEquals("The request was rejected because the key state is " + state + ".", e.getMessage());
                }
            }
            return e.code();
        }
    }

    @ParameterizedTest(name = "{0} key: {1} gives {2}")
    @DisplayName("Aliyun_KMS keys")
    @CsvSource({
            "Enabled,         EnableKey,           -> Enabled",
            "Enabled,         DisableKey,          -> Disabled",
            "Enabled,         ScheduleKeyDeletion, -> PendingDeletion",
            "Enabled,         CancelKeyDeletion,   Rejected.StateModifiedFailed",
            "Enabled,         GenerateDataKey,     ok",
            "Enabled,         Encrypt,             ok",
            "Enabled,         Decrypt,             ok",
            "Enabled,         CreateKeyVersion,    ok",
            "Enabled,         DescribeKey,         ok",
            "Enabled,         ListKeys,            ok",
            "Enabled,         ListKeyVersions,     ok",
            "Enabled,         CreateAlias,         ok",
            "Enabled,         DeleteKeyMaterial,   UnsupportedOperation",
            "Disabled,        EnableKey,           -> Enabled",
            "Disabled,        DisableKey,          -> Disabled",
            "Disabled,        ScheduleKeyDeletion, -> PendingDeletion",
            "Disabled,        CancelKeyDeletion,   Rejected.StateModifiedFailed",
            "Disabled,        GenerateDataKey,     Rejected.Disabled",
            "Disabled,        Encrypt,             Rejected.Disabled",
            "Disabled,        Decrypt,             Rejected.Disabled",
            "Disabled,        CreateKeyVersion,    Rejected.Disabled",
            "Disabled,        DescribeKey,         ok",
            "Disabled,        ListKeys,            ok",
            "Disabled,        ListKeyVersions,     ok",
            "Disabled,        CreateAlias,         ok",
            "Disabled,        DeleteKeyMaterial,   UnsupportedOperation",
            "PendingDeletion, EnableKey,           Rejected.StateModifiedFailed",
            "PendingDeletion, DisableKey,          Rejected.StateModifiedFailed",
            "PendingDeletion, ScheduleKeyDeletion, Rejected.StateModifiedFailed",
            "PendingDeletion, CancelKeyDeletion,   -> Enabled",
            "PendingDeletion, GenerateDataKey,     Rejected.PendingDeletion",
            "PendingDeletion, Encrypt,             Rejected.PendingDeletion",
            "PendingDeletion, Decrypt,             Rejected.PendingDeletion",
            "PendingDeletion, CreateKeyVersion,    Rejected.PendingDeletion",
            "PendingDeletion, DescribeKey,         ok",
            "PendingDeletion, ListKeys,            ok",
            "PendingDeletion, ListKeyVersions,     ok",
            "PendingDeletion, CreateAlias,         ok",
            "PendingDeletion, DeleteKeyMaterial,   UnsupportedOperation",
    })
    void kmsKeys(String state, String op, String expected) {
        assertEquals(expected, run(op, keyIn(state, false)));
    }

    @ParameterizedTest(name = "{0} EXTERNAL key: {1} gives {2}")
    @DisplayName("EXTERNAL (BYOK) keys")
    @CsvSource({
            "PendingImport,   EnableKey,           Rejected.StateModifiedFailed",
            "PendingImport,   DisableKey,          Rejected.StateModifiedFailed",
            "PendingImport,   ScheduleKeyDeletion, -> PendingDeletion",
            "PendingImport,   CancelKeyDeletion,   Rejected.StateModifiedFailed",
            "PendingImport,   GenerateDataKey,     Rejected.PendingImport",
            "PendingImport,   Encrypt,             Rejected.PendingImport",
            "PendingImport,   CreateKeyVersion,    UnsupportedOperation",
            "PendingImport,   DescribeKey,         ok",
            "PendingImport,   ListKeys,            ok",
            "PendingImport,   ListKeyVersions,     ok",
            "PendingImport,   CreateAlias,         ok",
            "PendingImport,   ImportKeyMaterial,   -> Enabled",
            "PendingImport,   DeleteKeyMaterial,   -> PendingImport",
            "Enabled,         EnableKey,           -> Enabled",
            "Enabled,         DisableKey,          -> Disabled",
            "Enabled,         ScheduleKeyDeletion, -> PendingDeletion",
            "Enabled,         CancelKeyDeletion,   Rejected.StateModifiedFailed",
            "Enabled,         GenerateDataKey,     ok",
            "Enabled,         Decrypt,             ok",
            "Enabled,         CreateKeyVersion,    UnsupportedOperation",
            "Enabled,         ImportKeyMaterial,   -> Enabled",
            "Enabled,         DeleteKeyMaterial,   -> PendingImport",
            "Disabled,        EnableKey,           -> Enabled",
            "Disabled,        Decrypt,             Rejected.Disabled",
            "Disabled,        ImportKeyMaterial,   -> Disabled",
            "Disabled,        DeleteKeyMaterial,   -> PendingImport",
            "PendingDeletion, CancelKeyDeletion,   -> Enabled",
            "PendingDeletion, Decrypt,             Rejected.PendingDeletion",
            "PendingDeletion, ImportKeyMaterial,   Rejected.PendingDeletion",
            "PendingDeletion, DeleteKeyMaterial,   Rejected.StateModifiedFailed",
    })
    void externalKeys(String state, String op, String expected) {
        assertEquals(expected, run(op, keyIn(state, true)));
    }

    @Nested
    @DisplayName("error messages")
    class Messages {
        @Test
        @DisplayName("409 Rejected.StateModifiedFailed names the operation and the state")
        void stateModifiedFailed() {
            String id = keyIn("Enabled", false).keyId();
            assertKmsError(409, "Rejected.StateModifiedFailed",
                    "The key state cannot be changed by CancelKeyDeletion while the key is Enabled.",
                    () -> root.cancelKeyDeletion(id));
            root.scheduleKeyDeletion(id, 30);
            assertKmsError(409, "Rejected.StateModifiedFailed",
                    "The key state cannot be changed by EnableKey while the key is PendingDeletion.",
                    () -> root.enableKey(id));
        }

        @Test
        @DisplayName("409 Rejected.Disabled, Rejected.PendingDeletion and Rejected.PendingImport for crypto on non-Enabled keys")
        void rejected() {
            String disabled = keyIn("Disabled", false).keyId();
            String pending = keyIn("PendingDeletion", false).keyId();
            String importing = keyIn("PendingImport", true).keyId();
            assertRejected("Disabled", () -> root.generateDataKey(disabled, null, null, null));
            assertRejected("PendingDeletion", () -> root.encrypt(pending, new byte[1], null));
            assertRejected("PendingImport", () -> root.generateDataKey(importing, null, null, null));
        }

        @Test
        @DisplayName("ScheduleKeyDeletion takes 7 to 30 days, else 400 InvalidParameter; DeleteDate is now + window")
        void window() {
            String id = keyIn("Enabled", false).keyId();
            assertInvalidParameter("PendingWindowInDays must be between 7 and 30, not 6.", () -> root.scheduleKeyDeletion(id, 6));
            assertInvalidParameter("PendingWindowInDays must be between 7 and 30, not 31.", () -> root.scheduleKeyDeletion(id, 31));
            assertEquals("2026-01-31T00:00:00Z", root.scheduleKeyDeletion(id, 30).deleteDate());
            assertNull(root.cancelKeyDeletion(id).deleteDate());
        }

        @Test
        @DisplayName("CancelKeyDeletion of an EXTERNAL key without material returns it to PendingImport")
        void cancelWithoutMaterial() {
            String id = keyIn("PendingImport", true).keyId();
            root.scheduleKeyDeletion(id, 7);
            assertEquals("PendingImport", root.cancelKeyDeletion(id).keyState());
        }
    }
}
