package dev.ssefs.objectcore;

/** The OSS server-side-encryption header names and values, exactly as OSS spells them. */
public final class SseHeaders {
    private SseHeaders() {}

    public static final String SSE = "x-oss-server-side-encryption";
    public static final String SSE_KEY_ID = "x-oss-server-side-encryption-key-id";
    public static final String SSE_DATA = "x-oss-server-side-data-encryption";
    public static final String METADATA_DIRECTIVE = "x-oss-metadata-directive";
    public static final String USER_META_PREFIX = "x-oss-meta-";
    public static final String CONTENT_TYPE = "Content-Type";

    public static final String AES256 = "AES256";
    public static final String KMS = "KMS";
    public static final String SM4 = "SM4";

    /** The alias of the default OSS CMK. */
    public static final String DEFAULT_CMK_ALIAS = "alias/acs/oss";
}
