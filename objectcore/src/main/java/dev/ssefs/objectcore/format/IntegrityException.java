package dev.ssefs.objectcore.format;

import java.io.IOException;

/**
 * Stored object bytes failed authentication: an edited byte, a reordered, spliced or dropped chunk, a truncation,
 * appended data, or a wrong data key. The message names the object and what failed; no plaintext is ever returned
 * from a check that threw this.
 */
public class IntegrityException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Which part of the stored object failed. */
    public enum Part { HEADER, CHUNK, SIZE }

    private final String objectName;
    private final Part part;
    private final long chunkIndex;

    private IntegrityException(String objectName, Part part, long chunkIndex, String detail, Throwable cause) {
        super("integrity check failed for " + objectName + ": " + detail, cause);
        this.objectName = objectName;
        this.part = part;
        this.chunkIndex = chunkIndex;
    }

    public static IntegrityException header(String objectName, String detail) {
        return new IntegrityException(objectName, Part.HEADER, -1, "header: " + detail, null);
    }

    public static IntegrityException header(String objectName, String detail, Throwable cause) {
        return new IntegrityException(objectName, Part.HEADER, -1, "header: " + detail, cause);
    }

    public static IntegrityException chunk(String objectName, long chunkIndex, long chunkCount, String detail) {
        return new IntegrityException(objectName, Part.CHUNK, chunkIndex,
                "chunk " + chunkIndex + " of " + chunkCount + ": " + detail, null);
    }

    public static IntegrityException size(String objectName, String detail) {
        return new IntegrityException(objectName, Part.SIZE, -1, "size: " + detail, null);
    }

    /** The display name the caller gave, e.g. {@code oss://bucket/key}. */
    public String objectName() { return objectName; }

    public Part part() { return part; }

    /** The failing chunk for {@link Part#CHUNK}, else -1. */
    public long chunkIndex() { return chunkIndex; }
}
