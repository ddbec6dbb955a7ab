package dev.ssefs.fuse.daemon;

import dev.ssefs.objectcore.EmbeddedObjectStore;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Linux {@code syncfs(2)} on the file system of a directory: one call makes every blob of a commit group durable,
 * bytes and directory entries, where forcing them one by one costs an fsync per blob and per fan-out directory (an
 * untar of 8000 files: ~20,000 fsyncs). The directory stays open for the daemon's life: syncfs reports a write-back
 * error that happened since the descriptor was opened, so a descriptor opened per call could miss one.
 */
public final class SyncFs implements EmbeddedObjectStore.FileSystemSync, AutoCloseable {
    private static final Logger LOG = Logger.getLogger("ssefs.daemon");
    private static final int O_RDONLY = 0;

    /** The libc calls used. */
    public interface LibC {
        @SaveError
        int open(String path, int flags);

        @SaveError
        int syncfs(int fd);

        int close(int fd);

        String strerror(int errno);
    }

    private static volatile LibC libc;

    private final LibC c;
    private final jnr.ffi.Runtime runtime;
    private final Path dir;
    private final int fd;
    private volatile boolean closed;

    private SyncFs(LibC c, Path dir, int fd) {
        this.c = c;
        this.runtime = jnr.ffi.Runtime.getRuntime(c);
        this.dir = dir;
        this.fd = fd;
    }

    /**
     * Opens {@code dir} for syncing its file system; null when this platform has no syncfs (then the store forces
     * each blob instead, which is correct, only slower).
     */
    public static SyncFs open(Path dir) throws IOException {
        if (!reportsErrors(System.getProperty("os.name"), System.getProperty("os.version"))) {
            LOG.info("syncfs reports write-back errors only on Linux 5.8 and newer: new blobs are forced one by one");
            return null;
        }
        LibC c;
        try {
            c = lib();
        } catch (LinkageError | RuntimeException e) {
            LOG.info("no syncfs (" + e.getMessage() + "): new blobs are forced one by one");
            return null;
        }
        int fd = c.open(dir.toString(), O_RDONLY);
        if (fd < 0) {
            int errno = jnr.ffi.Runtime.getRuntime(c).getLastError();
            throw new IOException("cannot open " + dir + " to sync its file system: " + c.strerror(errno));
        }
        return new SyncFs(c, dir, fd);
    }

    /** Linux 5.8+: syncfs(2) returns write-back errors (before, it always returned 0). */
    static boolean reportsErrors(String osName, String osVersion) {
        if (!"Linux".equals(osName) || osVersion == null) return false;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(osVersion);
        if (!m.find()) return false;
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 5 || (major == 5 && minor >= 8);
    }

    private static LibC lib() {
        LibC l = libc;
        if (l == null) {
            synchronized (SyncFs.class) {
                if (libc == null) libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
                l = libc;
            }
        }
        return l;
    }

    @Override
    public void sync() throws IOException {
        if (closed) throw new IOException("file system sync of " + dir + " is closed");
        if (c.syncfs(fd) != 0) {
            int errno = runtime.getLastError();
            throw new IOException("syncfs of the file system holding " + dir + " failed: " + c.strerror(errno));
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        c.close(fd);
    }
}
