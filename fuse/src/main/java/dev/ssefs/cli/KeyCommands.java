package dev.ssefs.cli;

import static dev.ssefs.cli.Commands.flag;
import static dev.ssefs.cli.Commands.opt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.ssefs.keys.Kms;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ssefs key ...}: the KMS calls, one command each, with KMS names in and out. */
final class KeyCommands {
    private static final int PAGE_SIZE = 100;
    private static final long MAX_SMALL_FILE = 64 * 1024;

    private KeyCommands() {}

    static Command group() {
        Command key = Command.group("key", "Manage customer master keys (CMKs) and data keys in the embedded KMS.")
                .details("A key can be named by its KeyId or by an alias (alias/NAME) everywhere.");
        key.add(Command.leaf("create", "", "Create a CMK (CreateKey) and print its KeyMetadata.", 0, 0, KeyCommands::create,
                opt("spec", "S", "key spec: Aliyun_AES_256 (default) or Aliyun_SM4"),
                opt("origin", "O", "key material origin: Aliyun_KMS (default) or EXTERNAL (BYOK, imported later)"),
                opt("description", "D", "free-text description"),
                opt("rotation-interval", "T", "enable automatic rotation with this interval, e.g. 365d (7d to 730d; also Nh, Ns, P365D)")));
        key.add(Command.leaf("describe", "ID", "Show a key's metadata (DescribeKey).", 1, 1,
                (inv, a) -> printMetadata(inv, inv.kms().describeKey(a.arg(0)))));
        key.add(Command.leaf("enable", "ID", "Enable a disabled key (EnableKey).", 1, 1,
                (inv, a) -> printMetadata(inv, inv.kms().enableKey(a.arg(0)))));
        key.add(Command.leaf("disable", "ID", "Disable a key: it stops encrypting and decrypting (DisableKey).", 1, 1,
                (inv, a) -> printMetadata(inv, inv.kms().disableKey(a.arg(0)))));
        key.add(Command.leaf("rotate", "ID", "Rotate a key now: a new primary key version (CreateKeyVersion).", 1, 1,
                KeyCommands::rotate));
        key.add(Command.leaf("versions", "ID", "List a key's versions (ListKeyVersions).", 1, 1, KeyCommands::versions));
        key.add(Command.leaf("list", "", "List all customer keys, every page (ListKeys).", 0, 0, KeyCommands::list));
        key.add(Command.leaf("schedule-deletion", "ID",
                "Schedule a key's deletion (ScheduleKeyDeletion); its material is destroyed when the window passes.", 1, 1,
                KeyCommands::scheduleDeletion,
                opt("pending-window-in-days", "N", "days before deletion, 7 to 30 (required)")));
        key.add(Command.leaf("cancel-deletion", "ID", "Cancel a scheduled deletion; the key is Enabled again (CancelKeyDeletion).", 1, 1,
                (inv, a) -> printMetadata(inv, inv.kms().cancelKeyDeletion(a.arg(0)))));
        key.add(AliasCommands.group());
        key.add(Command.leaf("import-params", "ID",
                "Get the public key and token to import key material into an EXTERNAL key (GetParametersForImport).", 1, 1,
                KeyCommands::importParams,
                opt("wrapping-algorithm", "A", "RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256 or RSAES_PKCS1_V1_5 (required)"),
                opt("wrapping-key-spec", "S", "RSA_2048 (default)"),
                opt("out", "DIR", "write DIR/publickey.pem and DIR/importtoken.txt (base64) (required)"))
                .details("Wrap the 32-byte (AES) or 16-byte (SM4) material with the public key, for example\n"
                        + "  openssl pkeyutl -encrypt -pubin -inkey DIR/publickey.pem -in material.bin -out material.enc \\\n"
                        + "    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256\n"
                        + "then run 'ssefs key import ID --material-file material.enc --token-file DIR/importtoken.txt'."));
        key.add(Command.leaf("import", "ID", "Import wrapped key material into an EXTERNAL key (ImportKeyMaterial).", 1, 1,
                KeyCommands::importMaterial,
                opt("material-file", "F", "the wrapped material: raw bytes or base64 (required; - for stdin)"),
                opt("token-file", "T", "the import token from import-params: base64 or raw (required)"),
                opt("expire-unix", "N", "when the material expires, in seconds since the epoch (default 0: never)")));
        key.add(Command.leaf("delete-material", "ID", "Delete imported key material; the key goes back to PendingImport (DeleteKeyMaterial).",
                1, 1, (inv, a) -> printMetadata(inv, inv.kms().deleteKeyMaterial(a.arg(0)))));
        key.add(Command.leaf("generate-data-key", "ID", "Generate a data key (GenerateDataKey); prints Plaintext and CiphertextBlob in base64.",
                1, 1, KeyCommands::generateDataKey,
                opt("context", "JSON", "EncryptionContext, a JSON object of strings, bound as authenticated data"),
                opt("key-spec", "S", "AES_256 (default) or AES_128"),
                opt("number-of-bytes", "N", "1 to 1024 bytes instead of --key-spec")));
        key.add(Command.leaf("decrypt", "", "Decrypt a CiphertextBlob (Decrypt); the blob names its key and version.", 0, 0,
                KeyCommands::decrypt,
                opt("blob", "B64", "the CiphertextBlob, base64 (required)"),
                opt("context", "JSON", "the EncryptionContext given when the blob was made")));
        return key;
    }

    // ---- create, describe, state

    static int create(Invocation inv, Command.Args a) {
        Kms.CreateKeyRequest d = Kms.CreateKeyRequest.defaults();
        Duration interval = null;
        if (a.has("rotation-interval")) {
            try {
                interval = Durations.parse(a.get("rotation-interval"));
            } catch (IllegalArgumentException e) {
                throw a.usage("--rotation-interval: " + e.getMessage());
            }
        }
        Kms.CreateKeyRequest req = new Kms.CreateKeyRequest(a.get("spec", d.keySpec()), a.get("origin", d.origin()),
                a.get("description", d.description()), interval != null, interval);
        return printMetadata(inv, inv.kms().createKey(req));
    }

    static int printMetadata(Invocation inv, Kms.KeyMetadata m) {
        if (inv.output().json()) {
            inv.output().writeJson(KmsJson.wrapKeyMetadata(m));
        } else {
            inv.output().fields(KmsJson.keyMetadata(m));
        }
        return Main.OK;
    }

    static int rotate(Invocation inv, Command.Args a) {
        Kms.KeyVersion v = inv.kms().createKeyVersion(a.arg(0));
        if (inv.output().json()) {
            inv.output().writeJson(Map.of("KeyVersion", KmsJson.keyVersion(v)));
        } else {
            inv.output().fields(KmsJson.keyVersion(v));
        }
        return Main.OK;
    }

    static int versions(Invocation inv, Command.Args a) {
        List<Kms.KeyVersion> versions = inv.kms().listKeyVersions(a.arg(0));
        if (inv.output().json()) {
            List<Object> items = new ArrayList<>();
            versions.forEach(v -> items.add(KmsJson.keyVersion(v)));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("KeyVersions", Map.of("KeyVersion", items));
            r.put("TotalCount", versions.size());
            inv.output().writeJson(r);
        } else {
            List<List<String>> rows = new ArrayList<>();
            versions.forEach(v -> rows.add(List.of(v.keyVersionId(), nz(v.creationDate()))));
            inv.output().table(List.of("KeyVersionId", "CreationDate"), rows);
        }
        return Main.OK;
    }

    static int list(Invocation inv, Command.Args a) {
        Kms kms = inv.kms();
        List<Kms.KeyMetadata> all = new ArrayList<>();
        for (int page = 1; ; page++) {
            Kms.KeyPage p = kms.listKeys(page, PAGE_SIZE);
            all.addAll(p.keys());
            if (p.keys().isEmpty() || all.size() >= p.totalCount()) {
                break;
            }
        }
        if (inv.output().json()) {
            List<Object> items = new ArrayList<>();
            for (Kms.KeyMetadata m : all) {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("KeyId", m.keyId());
                k.put("KeyArn", m.arn());
                items.add(k);
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("Keys", Map.of("Key", items));
            r.put("TotalCount", all.size());
            r.put("PageNumber", 1);
            r.put("PageSize", all.size());
            inv.output().writeJson(r);
        } else {
            List<List<String>> rows = new ArrayList<>();
            for (Kms.KeyMetadata m : all) {
                rows.add(List.of(m.keyId(), nz(m.keyState()), nz(m.keySpec()), nz(m.origin()),
                        nz(m.primaryKeyVersion()), nz(m.description())));
            }
            inv.output().table(List.of("KeyId", "KeyState", "KeySpec", "Origin", "PrimaryKeyVersion", "Description"), rows);
        }
        return Main.OK;
    }

    static int scheduleDeletion(Invocation inv, Command.Args a) {
        int days = a.parseInt("pending-window-in-days", a.required("pending-window-in-days"));
        return printMetadata(inv, inv.kms().scheduleKeyDeletion(a.arg(0), days));
    }

    // ---- BYOK

    static int importParams(Invocation inv, Command.Args a) {
        String algorithm = a.required("wrapping-algorithm");
        Path dir = inv.path(a.required("out"));
        Kms.ImportParameters p = inv.kms().getParametersForImport(a.arg(0), algorithm, a.get("wrapping-key-spec", "RSA_2048"));
        Path pem = dir.resolve("publickey.pem");
        Path token = dir.resolve("importtoken.txt");
        try {
            Files.createDirectories(dir);
            String pemText = p.publicKeyPem().endsWith("\n") ? p.publicKeyPem() : p.publicKeyPem() + "\n";
            Files.writeString(pem, pemText, StandardCharsets.US_ASCII);
            Files.writeString(token, KmsJson.b64(p.importToken()) + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new CliFailure("cannot write the import parameters to " + dir + ": " + Invocation.describe(e), e);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("KeyId", p.keyId());
        if (inv.output().json()) {
            r.put("PublicKey", KmsJson.b64(p.publicKeyDer()));
            r.put("ImportToken", KmsJson.b64(p.importToken()));
        }
        r.put("TokenExpireTime", p.tokenExpireTime());
        r.put("PublicKeyFile", pem.toString());
        r.put("ImportTokenFile", token.toString());
        if (inv.output().json()) {
            inv.output().writeJson(r);
        } else {
            inv.output().fields(r);
        }
        return Main.OK;
    }

    static int importMaterial(Invocation inv, Command.Args a) {
        byte[] material = rawOrBase64(inv.readLocal(a.required("material-file"), MAX_SMALL_FILE));
        byte[] token = rawOrBase64(inv.readLocal(a.required("token-file"), MAX_SMALL_FILE));
        long expire = a.longOption("expire-unix", 0);
        if (expire < 0) {
            throw a.usage("--expire-unix must be 0 (never) or seconds since the epoch");
        }
        return printMetadata(inv, inv.kms().importKeyMaterial(a.arg(0), material, token, expire));
    }

    /**
     * Wrapped material (an RSA-2048 ciphertext) and tokens come as raw bytes or as base64 text. Text made only
     * of base64 characters that decodes is taken as base64; raw ciphertext is practically never such text.
     */
    static byte[] rawOrBase64(byte[] content) {
        String text = new String(content, StandardCharsets.ISO_8859_1);
        String compact = text.replaceAll("\\s+", "");
        if (!compact.isEmpty() && compact.matches("[A-Za-z0-9+/]+={0,2}") && compact.length() % 4 == 0) {
            return Base64.getDecoder().decode(compact);
        }
        if (!compact.isEmpty() && compact.matches("[A-Za-z0-9_-]+={0,2}") && compact.length() % 4 == 0) {
            return Base64.getUrlDecoder().decode(compact);
        }
        return content;
    }

    // ---- data keys

    static int generateDataKey(Invocation inv, Command.Args a) {
        Map<String, String> context = context(a);
        Integer bytes = a.has("number-of-bytes") ? a.parseInt("number-of-bytes", a.get("number-of-bytes")) : null;
        Kms.DataKey k = inv.kms().generateDataKey(a.arg(0), a.get("key-spec"), bytes, context);
        try {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("KeyId", k.keyId());
            r.put("KeyVersionId", k.keyVersionId());
            r.put("Plaintext", KmsJson.b64(k.plaintext()));
            r.put("CiphertextBlob", KmsJson.b64(k.ciphertextBlob()));
            print(inv, r);
        } finally {
            Arrays.fill(k.plaintext(), (byte) 0);
        }
        return Main.OK;
    }

    static int decrypt(Invocation inv, Command.Args a) {
        String blobText = a.required("blob");
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(blobText.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw a.usage("--blob is not base64: " + e.getMessage());
        }
        Kms.DecryptResult d = inv.kms().decrypt(blob, context(a));
        try {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("KeyId", d.keyId());
            r.put("KeyVersionId", d.keyVersionId());
            r.put("Plaintext", KmsJson.b64(d.plaintext()));
            print(inv, r);
        } finally {
            Arrays.fill(d.plaintext(), (byte) 0);
        }
        return Main.OK;
    }

    /** {@code --context}: a JSON object whose values are strings (KMS EncryptionContext); absent means none. */
    static Map<String, String> context(Command.Args a) {
        String json = a.get("context");
        if (json == null) {
            return Map.of();
        }
        try {
            Map<String, Object> raw = Output.mapper().readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
            if (raw == null) {
                throw a.usage("--context must be a JSON object of strings, e.g. '{\"purpose\":\"backup\"}'");
            }
            Map<String, String> ctx = new LinkedHashMap<>();
            for (var e : raw.entrySet()) {
                if (!(e.getValue() instanceof String s)) {
                    throw a.usage("--context: the value of \"" + e.getKey() + "\" must be a string");
                }
                ctx.put(e.getKey(), s);
            }
            return ctx;
        } catch (JsonProcessingException e) {
            throw a.usage("--context must be a JSON object of strings, e.g. '{\"purpose\":\"backup\"}': "
                    + e.getOriginalMessage());
        }
    }

    static void print(Invocation inv, Map<String, Object> r) {
        if (inv.output().json()) {
            inv.output().writeJson(r);
        } else {
            inv.output().fields(r);
        }
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }
}
