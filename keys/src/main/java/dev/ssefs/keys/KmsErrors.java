package dev.ssefs.keys;

/** Factories for every KMS error ssefs raises, with Alibaba Cloud KMS codes and messages in one place. */
final class KmsErrors {
    static final String ACCESS_DENIED_MESSAGE = "This request is forbidden by kms.";

    private KmsErrors() {}

    static KmsException accessDenied() {
        return new KmsException(403, "AccessDenied", ACCESS_DENIED_MESSAGE);
    }

    static KmsException keyNotFound() {
        return new KmsException(404, "Forbidden.KeyNotFound", "The specified Key is not found.");
    }

    static KmsException aliasNotFound() {
        return new KmsException(404, "Forbidden.AliasNotFound", "The specified Alias is not found.");
    }

    static KmsException aliasExists(String alias) {
        return new KmsException(409, "EntityAlreadyExists.Alias", "The specified Alias already exists: " + alias);
    }

    /** 409 Rejected.Disabled / Rejected.PendingDeletion / Rejected.PendingImport. */
    static KmsException rejectedState(String state) {
        return new KmsException(409, "Rejected." + state,
                "The request was rejected because the key state is " + state + ".");
    }

    static KmsException stateModifiedFailed(String from, String action) {
        return new KmsException(409, "Rejected.StateModifiedFailed",
                "The key state cannot be changed by " + action + " while the key is " + from + ".");
    }

    static KmsException invalidParameter(String detail) {
        return new KmsException(400, "InvalidParameter", "The specified parameter is not valid. " + detail);
    }

    static KmsException unsupported(String detail) {
        return new KmsException(400, "UnsupportedOperation", "This operation is not supported. " + detail);
    }

    static KmsException invalidCiphertext(String detail) {
        return new KmsException(400, "InvalidCiphertext", "The CiphertextBlob is invalid. " + detail);
    }

    static KmsException invalidImportToken(String detail) {
        return new KmsException(400, "InvalidImportToken", "The ImportToken is invalid. " + detail);
    }

    static KmsException expiredImportToken() {
        return new KmsException(400, "ExpiredImportToken",
                "The ImportToken has expired. Call GetParametersForImport for a new token and public key.");
    }

    static KmsException invalidKeyMaterial(String detail) {
        return new KmsException(400, "InvalidKeyMaterial", "The key material is invalid. " + detail);
    }

    static KmsException malformedPolicy(String detail) {
        return new KmsException(400, "MalformedPolicyDocument", "The policy document is malformed: " + detail);
    }
}
