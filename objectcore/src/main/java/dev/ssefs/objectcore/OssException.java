package dev.ssefs.objectcore;

/** An OSS error: HTTP status, the exact OSS error code, and its message. */
public class OssException extends RuntimeException {
    private final int httpStatus;
    private final String code;

    public OssException(int httpStatus, String code, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.code = code;
    }

    public OssException(int httpStatus, String code, String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.code = code;
    }

    /**
     * An expected answer rather than a failure (NoSuchKey: the mount asks for names that do not exist on every
     * create, twice per name): no stack trace, whose capture through the FUSE callback's deep stack cost more than
     * the lookup itself.
     */
    protected OssException(int httpStatus, String code, String message, boolean stackTrace) {
        super(message, null, true, stackTrace);
        this.httpStatus = httpStatus;
        this.code = code;
    }

    /** As {@link #OssException(int, String, String)}, without a stack trace (see above). */
    static OssException expected(int httpStatus, String code, String message) {
        return new OssException(httpStatus, code, message, false);
    }

    public int httpStatus() { return httpStatus; }

    public String code() { return code; }

    @Override
    public String toString() { return httpStatus + " " + code + ": " + getMessage(); }
}
