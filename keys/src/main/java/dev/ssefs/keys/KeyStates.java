package dev.ssefs.keys;

/** The exact KMS key states, origins, specs and rotation labels. */
final class KeyStates {
    static final String ENABLED = "Enabled";
    static final String DISABLED = "Disabled";
    static final String PENDING_DELETION = "PendingDeletion";
    static final String PENDING_IMPORT = "PendingImport";

    static final String ORIGIN_KMS = "Aliyun_KMS";
    static final String ORIGIN_EXTERNAL = "EXTERNAL";

    static final String SPEC_AES_256 = "Aliyun_AES_256";
    static final String SPEC_SM4 = "Aliyun_SM4";

    static final String ROTATION_ENABLED = "Enabled";
    static final String ROTATION_DISABLED = "Disabled";
    static final String ROTATION_SUSPENDED = "Suspended";

    static final long MIN_ROTATION_DAYS = 7;
    static final long MAX_ROTATION_DAYS = 730;
    static final long DEFAULT_ROTATION_DAYS = 365;

    private KeyStates() {}
}
