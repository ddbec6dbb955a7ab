package dev.ssefs.keys;

import java.util.Map;

/**
 * What the OSS service side needs from the KMS, beyond the customer-facing {@link Kms}.
 * SSE-OSS keys are service-managed: they never appear among customer keys and need no RAM permission.
 */
public interface OssKeyService {
    /** The default OSS CMK (alias {@code alias/acs/oss}), created on first use. Returns its KeyId. */
    String defaultOssCmkId();

    /**
     * A fresh data key wrapped by the current SSE-OSS master key of the given ring
     * ("AES256" or "SM4"). The blob names the master key version so older versions still unwrap.
     */
    Kms.DataKey generateServiceDataKey(String algorithm, int numberOfBytes, Map<String, String> encryptionContext);

    Kms.DecryptResult decryptServiceDataKey(byte[] ciphertextBlob, Map<String, String> encryptionContext);

    /** Rotates the SSE-OSS master keys whose schedule is due (also done lazily on use). */
    void rotateServiceKeysIfDue();
}
