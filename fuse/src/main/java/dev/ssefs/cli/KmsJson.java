package dev.ssefs.cli;

import dev.ssefs.keys.Kms;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** KMS answers as KMS writes them: its field names and wrappers ({@code KeyMetadata}, {@code Keys.Key}, ...). */
final class KmsJson {
    private KmsJson() {}

    static Map<String, Object> keyMetadata(Kms.KeyMetadata m) {
        Map<String, Object> f = new LinkedHashMap<>();
        put(f, "KeyId", m.keyId());
        put(f, "Arn", m.arn());
        put(f, "KeyState", m.keyState());
        put(f, "KeySpec", m.keySpec());
        put(f, "Origin", m.origin());
        put(f, "Description", m.description());
        put(f, "PrimaryKeyVersion", m.primaryKeyVersion());
        put(f, "CreationDate", m.creationDate());
        put(f, "Creator", m.creator());
        put(f, "MaterialExpireTime", m.materialExpireTime());
        put(f, "DeleteDate", m.deleteDate());
        put(f, "AutomaticRotation", m.automaticRotation());
        put(f, "RotationInterval", m.rotationInterval());
        put(f, "LastRotationDate", m.lastRotationDate());
        put(f, "NextRotationDate", m.nextRotationDate());
        return f;
    }

    static Map<String, Object> wrapKeyMetadata(Kms.KeyMetadata m) {
        return Map.of("KeyMetadata", keyMetadata(m));
    }

    static Map<String, Object> keyVersion(Kms.KeyVersion v) {
        Map<String, Object> f = new LinkedHashMap<>();
        put(f, "KeyId", v.keyId());
        put(f, "KeyVersionId", v.keyVersionId());
        put(f, "CreationDate", v.creationDate());
        return f;
    }

    static Map<String, Object> alias(Kms.Alias a) {
        Map<String, Object> f = new LinkedHashMap<>();
        put(f, "AliasName", a.aliasName());
        put(f, "AliasArn", a.aliasArn());
        put(f, "KeyId", a.keyId());
        return f;
    }

    static Map<String, Object> aliases(List<Kms.Alias> list) {
        List<Object> items = new ArrayList<>();
        for (Kms.Alias a : list) {
            items.add(alias(a));
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("Aliases", Map.of("Alias", items));
        f.put("TotalCount", list.size());
        f.put("PageNumber", 1);
        f.put("PageSize", list.size());
        return f;
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static void put(Map<String, Object> f, String name, Object value) {
        if (value != null) {
            f.put(name, value);
        }
    }
}
