package dev.ssefs.fuse;

/** A filesystem refusal with its errno (positive). Thrown by the core, turned into {@code -errno} by the adapter. */
public final class FsException extends RuntimeException {
    private final int errno;

    public FsException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    public FsException(int errno, String message, Throwable cause) {
        super(message, cause, false, false);
        this.errno = errno;
    }

    public int errno() { return errno; }

    static FsException noEntry(String path) { return new FsException(Errno.ENOENT, "no such file or directory: " + path); }
}
