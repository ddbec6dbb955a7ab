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

    public int httpStatus() { return httpStatus; }

    public String code() { return code; }

    @Override
    public String toString() { return httpStatus + " " + code + ": " + getMessage(); }
}
