package dev.ssefs.keys;

import java.util.List;
import java.util.Map;

/**
 * The KMS API as seen by one principal. Every call checks the principal's RAM policy for
 * {@code kms:<Action>} on the key's ARN; a denial is 403 {@code AccessDenied}.
 * Wherever a key id is taken, an alias ({@code alias/...}) is accepted too.
 * Errors are {@link KmsException}s with the exact Alibaba Cloud KMS codes.
 */
public interface Kms {
    String principal();

    KeyMetadata createKey(CreateKeyRequest request);
    KeyMetadata describeKey(String keyId);
    /** Pages are numbered from 1, as in KMS ListKeys. */
    KeyPage listKeys(int pageNumber, int pageSize);
    KeyMetadata enableKey(String keyId);
    KeyMetadata disableKey(String keyId);
    /** {@code pendingWindowInDays} 7 to 30. */
    KeyMetadata scheduleKeyDeletion(String keyId, int pendingWindowInDays);
    KeyMetadata cancelKeyDeletion(String keyId);

    /** Manual rotation: a new primary version. */
    KeyVersion createKeyVersion(String keyId);
    List<KeyVersion> listKeyVersions(String keyId);

    void createAlias(String aliasName, String keyId);
    void deleteAlias(String aliasName);
    List<Alias> listAliases();
    List<Alias> listAliasesByKeyId(String keyId);

    /** Exactly one of {@code keySpec} ("AES_256"/"AES_128") or {@code numberOfBytes} (1..1024) may be given; neither means AES_256. */
    DataKey generateDataKey(String keyId, String keySpec, Integer numberOfBytes, Map<String, String> encryptionContext);
    /** At most 6 KB (6144 bytes) of plaintext. */
    EncryptResult encrypt(String keyId, byte[] plaintext, Map<String, String> encryptionContext);
    /** The blob names its key and version. */
    DecryptResult decrypt(byte[] ciphertextBlob, Map<String, String> encryptionContext);

    ImportParameters getParametersForImport(String keyId, String wrappingAlgorithm, String wrappingKeySpec);
    KeyMetadata importKeyMaterial(String keyId, byte[] encryptedKeyMaterial, byte[] importToken, long keyMaterialExpireUnix);
    KeyMetadata deleteKeyMaterial(String keyId);

    record CreateKeyRequest(String keySpec, String origin, String description,
                            boolean enableAutomaticRotation, java.time.Duration rotationInterval) {
        public static CreateKeyRequest defaults() {
            return new CreateKeyRequest("Aliyun_AES_256", "Aliyun_KMS", "", false, null);
        }
    }

    /** Field names follow KMS KeyMetadata; dates are ISO-8601 UTC strings or null. */
    record KeyMetadata(String keyId, String arn, String keyState, String keySpec, String origin,
                       String description, String primaryKeyVersion, String creationDate,
                       String materialExpireTime, String deleteDate, String automaticRotation,
                       String lastRotationDate, String nextRotationDate, String rotationInterval,
                       String creator) {}

    record KeyPage(List<KeyMetadata> keys, int pageNumber, int pageSize, int totalCount) {}

    record KeyVersion(String keyId, String keyVersionId, String creationDate) {}

    record Alias(String aliasName, String aliasArn, String keyId) {}

    /** {@code plaintext} lives in memory only; callers should zero it when done. */
    record DataKey(String keyId, String keyVersionId, byte[] plaintext, byte[] ciphertextBlob) {}

    record EncryptResult(String keyId, String keyVersionId, byte[] ciphertextBlob) {}

    record DecryptResult(String keyId, String keyVersionId, byte[] plaintext) {}

    record ImportParameters(String keyId, String publicKeyPem, byte[] publicKeyDer, byte[] importToken, String tokenExpireTime) {}
}
