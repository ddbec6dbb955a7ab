package dev.ssefs.keys;

/** A KMS error as Alibaba Cloud KMS reports it: HTTP status, error code and message. */
public class KmsException extends RuntimeException {
    private final int httpStatus;
    private final String code;

    public KmsException(int httpStatus, String code, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.code = code;
    }

    public int httpStatus() { return httpStatus; }

    public String code() { return code; }

    @Override
    public String toString() { return httpStatus + " " + code + ": " + getMessage(); }
}
