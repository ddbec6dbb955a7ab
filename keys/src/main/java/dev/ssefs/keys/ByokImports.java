package dev.ssefs.keys;

import dev.ssefs.keys.crypto.Randomness;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * BYOK: GetParametersForImport, ImportKeyMaterial and DeleteKeyMaterial for keys with Origin EXTERNAL.
 * Each import session (RSA-2048 key pair + token, valid 24 hours, bound to one key) is kept sealed in the key's record.
 */
final class ByokImports {
    static final List<String> WRAPPING_ALGORITHMS = List.of("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSAES_PKCS1_V1_5");
    static final String WRAPPING_KEY_SPEC = "RSA_2048";
    static final long TOKEN_LIFETIME_MS = 24 * 3600 * 1000L;

    private final KeyRegistry registry;

    ByokImports(KeyRegistry registry) {
        this.registry = registry;
    }

    Kms.ImportParameters getParametersForImport(String keyId, String wrappingAlgorithm, String wrappingKeySpec) {
        if (wrappingAlgorithm == null || !WRAPPING_ALGORITHMS.contains(wrappingAlgorithm)) {
            throw KmsErrors.invalidParameter("WrappingAlgorithm must be one of " + String.join(", ", WRAPPING_ALGORITHMS)
                    + ", not '" + wrappingAlgorithm + "'.");
        }
        if (wrappingKeySpec != null && !WRAPPING_KEY_SPEC.equals(wrappingKeySpec)) {
            throw KmsErrors.invalidParameter("WrappingKeySpec must be RSA_2048, not '" + wrappingKeySpec + "'.");
        }
        KeyPair pair;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), Randomness.current());
            pair = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an RSA-2048 key pair", e);
        }
        registry.lock();
        try {
            LiveKey k = registry.existing(keyId);
            requireExternal(k.record, "GetParametersForImport");
            if (KeyStates.PENDING_DELETION.equals(k.record.state)) throw KmsErrors.rejectedState(k.record.state);
            long now = registry.now();
            KeyRecord r = k.record.copy();
            r.imports.removeIf(s -> s.expiresMs <= now);
            KeyRecord.ImportSession s = new KeyRecord.ImportSession();
            s.token = Randomness.bytes(32);
            s.wrappingAlgorithm = wrappingAlgorithm;
            s.privateKeyPkcs8 = pair.getPrivate().getEncoded();
            s.expiresMs = now + TOKEN_LIFETIME_MS;
            r.imports.add(s);
            registry.publish(r);
            byte[] der = pair.getPublic().getEncoded();
            return new Kms.ImportParameters(k.record.keyId, pem(der), der, s.token.clone(),
                    KeyMetadataView.iso(s.expiresMs));
        } finally {
            registry.unlock();
        }
    }

    Kms.KeyMetadata importKeyMaterial(String keyId, byte[] encryptedKeyMaterial, byte[] importToken,
                                      long keyMaterialExpireUnix) {
        if (encryptedKeyMaterial == null || encryptedKeyMaterial.length == 0) {
            throw KmsErrors.invalidParameter("EncryptedKeyMaterial is required.");
        }
        if (importToken == null || importToken.length == 0) {
            throw KmsErrors.invalidParameter("ImportToken is required.");
        }
        registry.lock();
        try {
            LiveKey k = registry.existing(keyId);
            requireExternal(k.record, "ImportKeyMaterial");
            long now = registry.now();
            KeyRecord.ImportSession session = null;
            for (KeyRecord.ImportSession s : k.record.imports) {
                if (MessageDigest.isEqual(s.token, importToken)) session = s;
            }
            if (session == null) {
                throw KmsErrors.invalidImportToken("It was not issued by GetParametersForImport for key " + keyId + ".");
            }
            if (now >= session.expiresMs) throw KmsErrors.expiredImportToken();
            if (KeyStates.PENDING_DELETION.equals(k.record.state)) {
                throw KmsErrors.stateModifiedFailed(k.record.state, "ImportKeyMaterial");
            }
            if (keyMaterialExpireUnix < 0 || (keyMaterialExpireUnix > 0 && keyMaterialExpireUnix * 1000L <= now)) {
                throw KmsErrors.invalidParameter("KeyMaterialExpireUnix must be 0 (never expires) or a time in the "
                        + "future, not " + keyMaterialExpireUnix + ".");
            }
            byte[] material = unwrap(session, encryptedKeyMaterial);
            try {
                int expected = KeyStates.SPEC_SM4.equals(k.record.keySpec) ? 16 : 32;
                if (material.length != expected) {
                    throw KmsErrors.invalidKeyMaterial("A " + k.record.keySpec + " key needs " + expected * 8
                            + "-bit (" + expected + "-byte) key material, not " + material.length + " bytes.");
                }
                byte[] digest = KeyRegistry.sha256(material);
                if (k.record.importedMaterialDigest != null
                        && !MessageDigest.isEqual(digest, k.record.importedMaterialDigest)) {
                    throw KmsErrors.invalidKeyMaterial("A key accepts only the key material that was imported into "
                            + "it before.");
                }
                KeyRecord r = k.record.copy();
                r.importedMaterialDigest = digest;
                for (KeyRecord.VersionRecord v : r.versions) v.material = material.clone();
                r.materialExpireMs = keyMaterialExpireUnix * 1000L;
                if (KeyStates.PENDING_IMPORT.equals(r.state)) r.state = KeyStates.ENABLED;
                return registry.publish(r).metadata;
            } finally {
                Arrays.fill(material, (byte) 0);
            }
        } finally {
            registry.unlock();
        }
    }

    Kms.KeyMetadata deleteKeyMaterial(String keyId) {
        registry.lock();
        try {
            Kms.KeyMetadata m = deleteMaterial(keyId);
            registry.shredSupersededRecords();
            return m;
        } finally {
            registry.unlock();
        }
    }

    private Kms.KeyMetadata deleteMaterial(String keyId) {
        return registry.transition(keyId, r -> {
            requireExternal(r, "DeleteKeyMaterial");
            if (KeyStates.PENDING_DELETION.equals(r.state)) {
                throw KmsErrors.stateModifiedFailed(r.state, "DeleteKeyMaterial");
            }
            for (KeyRecord.VersionRecord v : r.versions) v.material = null;
            r.materialExpireMs = 0;
            r.state = KeyStates.PENDING_IMPORT;
        }).metadata;
    }

    private static void requireExternal(KeyRecord r, String action) {
        if (!r.isExternal()) {
            throw KmsErrors.unsupported(action + " needs a key with Origin EXTERNAL; key " + r.keyId
                    + " has Origin " + r.origin + ".");
        }
    }

    private static byte[] unwrap(KeyRecord.ImportSession s, byte[] encrypted) {
        try {
            PrivateKey pk = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(s.privateKeyPkcs8));
            Cipher c;
            switch (s.wrappingAlgorithm) {
                case "RSAES_OAEP_SHA_1" -> {
                    c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                    c.init(Cipher.DECRYPT_MODE, pk, new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1,
                            PSource.PSpecified.DEFAULT));
                }
                case "RSAES_OAEP_SHA_256" -> {
                    // SHA-256 for both the label hash and MGF1, as openssl -pkeyopt rsa_oaep_md:sha256 rsa_mgf1_md:sha256
                    c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                    c.init(Cipher.DECRYPT_MODE, pk, new OAEPParameterSpec("SHA-256", "MGF1",
                            MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
                }
                default -> {
                    c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
                    c.init(Cipher.DECRYPT_MODE, pk);
                }
            }
            return c.doFinal(encrypted);
        } catch (GeneralSecurityException e) {
            throw KmsErrors.invalidKeyMaterial("The EncryptedKeyMaterial cannot be decrypted with this ImportToken's "
                    + "private key; wrap it with the PublicKey from the same GetParametersForImport call, using "
                    + s.wrappingAlgorithm + ".");
        }
    }

    static String pem(byte[] der) {
        String b64 = Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der);
        return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
    }
}
