package dev.ssefs.objectcore.internal;

import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.OssErrors;
import dev.ssefs.objectcore.SseHeaders;


/**
 * How a new object version is to be encrypted: {@code algorithm} AES256, KMS or SM4, or null for none;
 * {@code cmkId} (KMS only, null = the default CMK {@code alias/acs/oss}); {@code sm4Data} (KMS only).
 */
public record SseSpec(String algorithm, String cmkId, boolean sm4Data) {
    public static final SseSpec NONE = new SseSpec(null, null, false);

    public boolean encrypted() { return algorithm != null; }

    /** The bucket default as a spec; null rule = unencrypted. */
    public static SseSpec ofRule(BucketEncryptionRule rule) {
        if (rule == null) return NONE;
        String id = rule.kmsMasterKeyId() == null || rule.kmsMasterKeyId().isEmpty() ? null : rule.kmsMasterKeyId();
        return new SseSpec(rule.sseAlgorithm(), id, SseHeaders.SM4.equals(rule.kmsDataEncryption()));
    }

    /**
     * The SSE the request asks for, or null if it names none. Validates the SSE header values with OSS's
     * exact errors. {@code headers} must have lower-cased names (see {@link RequestHeaders}).
     */
    public static SseSpec fromRequest(RequestHeaders headers) {
        String alg = headers.get(SseHeaders.SSE);
        String keyId = headers.get(SseHeaders.SSE_KEY_ID);
        String data = headers.get(SseHeaders.SSE_DATA);
        if (alg == null) {
            if (keyId != null) {
                throw OssErrors.invalidArgument("x-oss-server-side-encryption-key-id is not applicable if the sse algorithm is not KMS");
            }
            if (data != null) {
                if (!SseHeaders.SM4.equals(data)) throw OssErrors.invalidDataEncryption();
                throw OssErrors.invalidArgument("x-oss-server-side-data-encryption is not applicable if the sse algorithm is not KMS");
            }
            return null;
        }
        if (!alg.equals(SseHeaders.AES256) && !alg.equals(SseHeaders.KMS) && !alg.equals(SseHeaders.SM4)) {
            throw OssErrors.invalidEncryptionAlgorithm();
        }
        if (data != null && !SseHeaders.SM4.equals(data)) throw OssErrors.invalidDataEncryption();
        if (!alg.equals(SseHeaders.KMS)) {
            if (keyId != null) {
                throw OssErrors.invalidArgument("x-oss-server-side-encryption-key-id is not applicable if the sse algorithm is not KMS");
            }
            if (data != null) {
                throw OssErrors.invalidArgument("x-oss-server-side-data-encryption is not applicable if the sse algorithm is not KMS");
            }
            return new SseSpec(alg, null, false);
        }
        return new SseSpec(alg, keyId == null || keyId.isEmpty() ? null : keyId, data != null);
    }

    /** Validates a bucket rule with the errors of PutBucketEncryption. */
    public static void validateRule(BucketEncryptionRule rule) {
        if (rule == null) throw OssErrors.invalidArgument("The server side encryption rule is missing.");
        String alg = rule.sseAlgorithm();
        if (alg == null || !(alg.equals(SseHeaders.AES256) || alg.equals(SseHeaders.KMS) || alg.equals(SseHeaders.SM4))) {
            throw OssErrors.invalidEncryptionAlgorithm();
        }
        String data = rule.kmsDataEncryption();
        if (data != null && !data.isEmpty() && !SseHeaders.SM4.equals(data)) throw OssErrors.invalidDataEncryption();
        if (!alg.equals(SseHeaders.KMS)) {
            if (rule.kmsMasterKeyId() != null && !rule.kmsMasterKeyId().isEmpty()) {
                throw OssErrors.invalidArgument(OssErrors.KMS_KEY_ID_NOT_APPLICABLE_MESSAGE);
            }
            if (data != null && !data.isEmpty()) {
                throw OssErrors.invalidArgument("KMSDataEncryption is not applicable if the default sse algorithm is not KMS");
            }
        }
    }

    /** The rule as stored: empty strings normalised to null. */
    public static BucketEncryptionRule normalise(BucketEncryptionRule rule) {
        String id = rule.kmsMasterKeyId() == null || rule.kmsMasterKeyId().isEmpty() ? null : rule.kmsMasterKeyId();
        String data = rule.kmsDataEncryption() == null || rule.kmsDataEncryption().isEmpty() ? null : rule.kmsDataEncryption();
        return new BucketEncryptionRule(rule.sseAlgorithm(), id, data);
    }
}
