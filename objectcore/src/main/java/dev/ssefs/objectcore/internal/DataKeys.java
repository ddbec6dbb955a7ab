package dev.ssefs.objectcore.internal;

import dev.ssefs.keys.KeyManagement;
import dev.ssefs.keys.Kms;
import dev.ssefs.keys.KmsException;
import dev.ssefs.keys.RamPolicies;
import dev.ssefs.objectcore.OssErrors;
import dev.ssefs.objectcore.OssException;
import dev.ssefs.objectcore.SseHeaders;
import dev.ssefs.objectcore.format.DataAlgorithm;

import java.util.Arrays;
import java.util.Map;

/**
 * Per-object data keys from the KMS, and the mapping of KMS answers to OSS errors.
 * <ul>
 *   <li>{@code AES256}: a 32-byte key from the SSE-OSS AES256 service ring; data AES-256-GCM.</li>
 *   <li>{@code SM4}: a 16-byte key from the SSE-OSS SM4 service ring; data SM4-GCM.</li>
 *   <li>{@code KMS}: GenerateDataKey under the object's CMK (named, or the default CMK {@code alias/acs/oss}),
 *       called as the requesting principal so the KMS checks {@code kms:GenerateDataKey}/{@code kms:Decrypt} and
 *       the key state itself. Data is SM4-GCM (16-byte key) with {@code x-oss-server-side-data-encryption: SM4}
 *       or when the CMK is an {@code Aliyun_SM4} key (then the object also reports that header, because that is
 *       what is at rest); else AES-256-GCM.</li>
 * </ul>
 * The encryption context binds the wrapped key to the object version: {@code {"ssefs:version": <version id>}}.
 * Plaintext keys are returned to the caller, who wipes them; nothing here stores them.
 */
public final class DataKeys {
    public static final String KEY_SOURCE_KMS = "KMS";
    public static final String KEY_SOURCE_OSS_AES256 = "OSS-AES256";
    public static final String KEY_SOURCE_OSS_SM4 = "OSS-SM4";
    private static final String CONTEXT_NAME = "ssefs:version";

    private final KeyManagement kms;

    public DataKeys(KeyManagement kms) { this.kms = kms; }

    /** A fresh data key: plaintext (wipe it), and what the index and header record. */
    public record NewKey(String algorithm, String cmkId, boolean sm4Data, DataAlgorithm cipher, String keySource,
                         String keyVersionId, byte[] wrapped, byte[] plaintext) {
        public void wipe() { Arrays.fill(plaintext, (byte) 0); }
    }

    public static Map<String, String> context(String versionId) { return Map.of(CONTEXT_NAME, versionId); }

    public NewKey generate(SseSpec spec, String principal, String versionId) {
        Map<String, String> ctx = context(versionId);
        try {
            switch (spec.algorithm()) {
                case SseHeaders.AES256: {
                    Kms.DataKey dk = kms.oss().generateServiceDataKey(SseHeaders.AES256, 32, ctx);
                    return new NewKey(SseHeaders.AES256, null, false, DataAlgorithm.AES_256_GCM, KEY_SOURCE_OSS_AES256,
                            nz(dk.keyVersionId()), dk.ciphertextBlob(), dk.plaintext());
                }
                case SseHeaders.SM4: {
                    Kms.DataKey dk = kms.oss().generateServiceDataKey(SseHeaders.SM4, 16, ctx);
                    return new NewKey(SseHeaders.SM4, null, false, DataAlgorithm.SM4_GCM, KEY_SOURCE_OSS_SM4,
                            nz(dk.keyVersionId()), dk.ciphertextBlob(), dk.plaintext());
                }
                case SseHeaders.KMS: {
                    String cmk = spec.cmkId() != null ? spec.cmkId() : kms.oss().defaultOssCmkId();
                    boolean sm4 = spec.sm4Data() || isSm4Cmk(cmk);
                    Kms.DataKey dk = kms.as(principal).generateDataKey(cmk, sm4 ? "AES_128" : "AES_256", null, ctx);
                    return new NewKey(SseHeaders.KMS, dk.keyId(), sm4, sm4 ? DataAlgorithm.SM4_GCM : DataAlgorithm.AES_256_GCM,
                            KEY_SOURCE_KMS, nz(dk.keyVersionId()), dk.ciphertextBlob(), dk.plaintext());
                }
                default:
                    throw OssErrors.invalidEncryptionAlgorithm();
            }
        } catch (KmsException e) {
            throw toOss(e);
        }
    }

    /** Checks, without generating a key, that {@code principal} could write with {@code spec} now (Initiate). */
    public void checkWritable(SseSpec spec, String principal) {
        if (!SseHeaders.KMS.equals(spec.algorithm())) return;
        NewKey k = generate(spec, principal, "probe");
        k.wipe();
    }

    /** Unwraps the data key of a stored version as {@code principal} (KMS checks kms:Decrypt and the key state). */
    public byte[] unwrap(ObjectRecord r, String principal, String objectName) throws java.io.IOException {
        Map<String, String> ctx = context(r.blobId());
        try {
            if (SseHeaders.KMS.equals(r.sseAlgorithm())) {
                return kms.as(principal).decrypt(r.wrappedKey(), ctx).plaintext();
            }
            return kms.oss().decryptServiceDataKey(r.wrappedKey(), ctx).plaintext();
        } catch (KmsException e) {
            if ("InvalidCiphertext".equals(e.code())) {
                // the wrapped key was edited, or belongs to another object version (the context names the version)
                throw dev.ssefs.objectcore.format.IntegrityException.header(objectName,
                        "the wrapped data key does not belong to this object version: " + e.getMessage());
            }
            throw toOss(e);
        }
    }

    /**
     * The cheap per-read re-check for open readers of KMS objects: the CMK must still exist and be Enabled.
     * DescribeKey is a local lookup in the embedded KMS; it runs as the account owner because it is the service
     * checking, not the principal asking.
     */
    public void checkKeyState(String cmkId) {
        try {
            Kms.KeyMetadata md = kms.as(RamPolicies.ROOT).describeKey(cmkId);
            stateError(md.keyState());
        } catch (KmsException e) {
            throw toOss(e);
        }
    }

    private boolean isSm4Cmk(String cmk) {
        Kms.KeyMetadata md = kms.as(RamPolicies.ROOT).describeKey(cmk);
        return "Aliyun_SM4".equals(md.keySpec());
    }

    /** Describes a CMK as {@code principal} (checks kms:DescribeKey); maps errors to OSS. */
    public Kms.KeyMetadata describeAs(String principal, String keyId) {
        try {
            return kms.as(principal).describeKey(keyId);
        } catch (KmsException e) {
            throw toOss(e);
        }
    }

    static void stateError(String state) {
        if (state == null || "Enabled".equals(state)) return;
        switch (state) {
            case "Disabled": throw OssErrors.keyDisabled(null);
            case "PendingDeletion": throw OssErrors.keyPendingDeletion(null);
            case "PendingImport": throw OssErrors.keyPendingImport(null);
            default: throw new OssException(409, "KeyDisabled", "The request was rejected because the key state is " + state + ".");
        }
    }

    /** KMS errors as OSS reports them to object requests. */
    public static OssException toOss(KmsException e) {
        String code = e.code() == null ? "" : e.code();
        switch (code) {
            case "Rejected.Disabled": return OssErrors.keyDisabled(e);
            case "Rejected.PendingDeletion": return OssErrors.keyPendingDeletion(e);
            case "Rejected.PendingImport": return OssErrors.keyPendingImport(e);
            case "Forbidden.KeyNotFound":
            case "Forbidden.AliasNotFound":
                return OssErrors.keyNotFound(e);
            default:
                if (e.httpStatus() == 403) return OssErrors.kmsForbidden(e);
                if (e.httpStatus() == 404) return OssErrors.keyNotFound(e);
                return new OssException(e.httpStatus(), "KmsServiceError", "KMS error " + e.code() + ": " + e.getMessage(), e);
        }
    }

    private static String nz(String s) { return s == null ? "" : s; }
}
