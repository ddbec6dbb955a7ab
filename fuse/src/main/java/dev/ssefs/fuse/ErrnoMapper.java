package dev.ssefs.fuse;

import dev.ssefs.objectcore.OssException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where failures become errno values. Permission and key-state refusals (EACCES) and integrity
 * failures (EIO) are logged with the object they concern; so is anything unexpected (EIO).
 * Log lines name objects and codes, never data or keys.
 */
public final class ErrnoMapper {
    private static final Logger LOG = Logger.getLogger("ssefs.fuse");

    private final String bucket;

    public ErrnoMapper(String bucket) { this.bucket = bucket; }

    /** A positive errno for {@code t}, raised by operation {@code op} on {@code path}. */
    public int errno(String op, String path, Throwable t) {
        if (t instanceof FsException f) {
            if (LOG.isLoggable(Level.FINE)) LOG.fine(op + " " + path + ": " + f.getMessage());
            return f.errno();
        }
        if (t instanceof OssException o) return ossErrno(op, path, o);
        Throwable integrity = integrityCause(t);
        if (integrity != null) {
            LOG.severe("integrity failure: " + op + " " + object(path) + ": " + integrity);
            return Errno.EIO;
        }
        if (t instanceof IOException io) {
            if (isNoSpace(io)) {
                LOG.warning(op + " " + object(path) + ": no space left on device");
                return Errno.ENOSPC;
            }
            if (io instanceof AccessDeniedException || (io instanceof FileSystemException fse
                    && String.valueOf(fse.getReason()).contains("Read-only"))) {
                LOG.warning(op + " " + object(path) + ": data dir not writable: " + io.getMessage());
                return io instanceof AccessDeniedException ? Errno.EACCES : Errno.EROFS;
            }
            LOG.log(Level.WARNING, op + " " + object(path) + ": I/O error: " + describe(io), io);
            return Errno.EIO;
        }
        if (isNoSpace(t)) { // e.g. an UncheckedIOException from a metadata commit on a full disk
            LOG.warning(op + " " + object(path) + ": no space left on device: " + describe(t));
            return Errno.ENOSPC;
        }
        LOG.log(Level.SEVERE, op + " " + object(path) + ": unexpected " + describe(t), t);
        return Errno.EIO;
    }

    private int ossErrno(String op, String path, OssException o) {
        String code = String.valueOf(o.code());
        switch (code) {
            case "NoSuchKey", "NoSuchBucket", "NoSuchUpload" -> { return Errno.ENOENT; }
            case "BucketNotEmpty" -> { return Errno.ENOTEMPTY; }
            case "FileAlreadyExists", "ObjectAlreadyExists" -> { return Errno.EEXIST; }
            case "InvalidEncryptionAlgorithmError", "InvalidDataEncryptionAlgorithmError", "InvalidArgument" -> {
                LOG.info(op + " " + object(path) + ": " + o);
                return Errno.EINVAL;
            }
            case "KeyTooLong", "InvalidObjectName" -> { return Errno.ENAMETOOLONG; }
            case "ConcurrentModification" -> { return Errno.EBUSY; }
            case "EntityTooLarge" -> { return Errno.EFBIG; }
            case "InsufficientStorage", "NoSpaceLeft" -> {
                LOG.warning(op + " " + object(path) + ": " + o);
                return Errno.ENOSPC;
            }
            default -> { }
        }
        if (code.equals("AccessDenied") || code.startsWith("Key") || code.startsWith("Rejected.")
                || code.startsWith("Forbidden.")) {
            LOG.warning("refused: " + op + " " + object(path) + " as " + principalHint() + ": " + o);
            return Errno.EACCES;
        }
        if (integrityCause(o) != null || code.contains("Integrity") || code.contains("Corrupt")) {
            LOG.severe("integrity failure: " + op + " " + object(path) + ": " + o);
            return Errno.EIO;
        }
        if (isNoSpace(o)) {
            LOG.warning(op + " " + object(path) + ": no space left on device");
            return Errno.ENOSPC;
        }
        LOG.warning(op + " " + object(path) + ": " + o);
        return Errno.EIO;
    }

    private String principalHint() { return "the mount's principal"; }

    private String object(String path) {
        return "oss://" + bucket + (path == null ? "" : path);
    }

    private static Throwable integrityCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String n = c.getClass().getName();
            if (c instanceof IntegrityException || n.endsWith("AEADBadTagException") || n.contains("Integrity")
                    || n.contains("Tamper") || n.contains("Corrupt")) return c;
        }
        return null;
    }

    private static boolean isNoSpace(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) return true;
        }
        return false;
    }

    /** The exception's type and message (messages never carry data or key material). */
    public static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
