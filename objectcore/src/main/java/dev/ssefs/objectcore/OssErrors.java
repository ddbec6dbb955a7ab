package dev.ssefs.objectcore;

/** Factories for the OSS errors ssefs raises, with OSS's codes and messages. */
public final class OssErrors {
    private OssErrors() {}

    public static final String INVALID_ENCRYPTION_ALGORITHM_MESSAGE =
            "The Encryption request you specified is not valid. Supported value: AES256/SM4/KMS";
    public static final String INVALID_DATA_ENCRYPTION_MESSAGE =
            "The KMS Data Encryption request you specified is not valid. Supported value:SM4";
    public static final String KMS_KEY_ID_NOT_APPLICABLE_MESSAGE =
            "KMSMasterKeyID is not applicable if the default sse algorithm is not KMS";
    public static final String NO_SUCH_RULE_MESSAGE = "The server side encryption configuration was not found.";
    public static final String KEY_DISABLED_MESSAGE = "The request was rejected because the key state is Disabled.";
    public static final String KEY_PENDING_DELETION_MESSAGE =
            "The request was rejected because the key state is PendingDeletion.";
    public static final String KEY_PENDING_IMPORT_MESSAGE =
            "The request was rejected because the key state is PendingImport.";
    public static final String KEY_NOT_FOUND_MESSAGE = "The specified parameter KMS keyId is not found.";
    public static final String KMS_FORBIDDEN_MESSAGE = "This request is forbidden by kms.";

    public static OssException invalidEncryptionAlgorithm() {
        return new OssException(400, "InvalidEncryptionAlgorithmError", INVALID_ENCRYPTION_ALGORITHM_MESSAGE);
    }

    public static OssException invalidDataEncryption() {
        return new OssException(400, "InvalidDataEncryptionAlgorithmError", INVALID_DATA_ENCRYPTION_MESSAGE);
    }

    public static OssException invalidArgument(String message) {
        return new OssException(400, "InvalidArgument", message);
    }

    public static OssException noSuchBucket(String bucket) {
        return new OssException(404, "NoSuchBucket", "The specified bucket does not exist. Bucket: " + bucket);
    }

    public static OssException noSuchKey(String bucket, String key) {
        return OssException.expected(404, "NoSuchKey", "The specified key does not exist. Object: oss://" + bucket + "/" + key);
    }

    public static OssException noSuchUpload(String uploadId) {
        return new OssException(404, "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed. UploadId: " + uploadId);
    }

    public static OssException accessDenied(String principal, String action, String resource) {
        return new OssException(403, "AccessDenied",
                "You have no right to access this resource: principal " + principal + " is not allowed " + action + " on " + resource + ".");
    }

    public static OssException kmsForbidden(Throwable cause) {
        return new OssException(403, "AccessDenied", KMS_FORBIDDEN_MESSAGE, cause);
    }

    public static OssException keyDisabled(Throwable cause) {
        return new OssException(409, "KeyDisabled", KEY_DISABLED_MESSAGE, cause);
    }

    public static OssException keyPendingDeletion(Throwable cause) {
        return new OssException(409, "KeyPendingDeletion", KEY_PENDING_DELETION_MESSAGE, cause);
    }

    public static OssException keyPendingImport(Throwable cause) {
        return new OssException(409, "KeyPendingImport", KEY_PENDING_IMPORT_MESSAGE, cause);
    }

    public static OssException keyNotFound(Throwable cause) {
        return new OssException(404, "KeyNotFound", KEY_NOT_FOUND_MESSAGE, cause);
    }

}
