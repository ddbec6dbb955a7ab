package dev.ssefs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * One live FUSE mount of an {@link SsefsFuse}: libfuse's loop runs on its own thread; {@link #mount} returns once
 * the kernel shows the mount, and {@link #unmount} commits open files and unmounts.
 */
public final class FuseMount implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("ssefs.fuse");

    private final SsefsFuse fs;
    private final Path mountPoint;
    private final String bucket;
    private final CompletableFuture<Integer> loop = new CompletableFuture<>();
    private volatile boolean unmounting;

    private FuseMount(SsefsFuse fs, Path mountPoint) {
        this.fs = fs;
        this.mountPoint = mountPoint;
        this.bucket = fs.core().volume().bucket();
    }

    public Path mountPoint() { return mountPoint; }

    public String bucket() { return bucket; }

    public SsefsFuse fs() { return fs; }

    /** Checks what makes a mount fail with a clear message before libfuse is involved. */
    public static Path checkMountPoint(Path dir) throws MountException {
        Path abs = MountTable.canonical(dir);
        if (!Files.isDirectory(abs)) throw new MountException("mountpoint " + abs + " is not a directory (create it with mkdir -p)");
        if (MountTable.at(abs) != null) throw new MountException("mountpoint " + abs + " is in use: something is already mounted there");
        try (Stream<Path> s = Files.list(abs)) {
            if (s.findAny().isPresent()) throw new MountException("mountpoint " + abs + " is not empty");
        } catch (IOException e) {
            throw new MountException("mountpoint " + abs + " cannot be read: " + e.getMessage());
        }
        return abs;
    }

    /** Checks that FUSE can work here at all: /dev/fuse and libfuse2. */
    public static void checkFuseAvailable() throws MountException {
        if (!Files.exists(Path.of("/dev/fuse"))) throw new MountException("/dev/fuse is missing: FUSE is not available (load the fuse module, or give the container --device /dev/fuse)");
        if (!libfuseInstalled()) throw new MountException("libfuse2 is not installed: run apt-get install fuse");
    }

    public static boolean libfuseInstalled() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64", "/lib"}) {
            if (Files.exists(Path.of(dir, "libfuse.so.2"))) return true;
        }
        return false;
    }

    /** Mounts {@code fs} at {@code dir} with libfuse options {@code fuseOptions}; returns once it is ready. */
    public static FuseMount mount(SsefsFuse fs, Path dir, String fuseOptions, boolean debug, Duration timeout) throws MountException {
        Path abs = checkMountPoint(dir);
        FuseMount m = new FuseMount(fs, abs);
        String[] args = debug
                ? new String[] {"ssefs", "-f", "-d", abs.toString(), "-o", fuseOptions}
                : new String[] {"ssefs", "-f", abs.toString(), "-o", fuseOptions};
        Thread t = new Thread(() -> {
            try {
                m.loop.complete(fs.fuseMain(args));
            } catch (Throwable e) {
                m.loop.completeExceptionally(e);
            }
        }, "fuse-" + fs.core().volume().bucket());
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (MountTable.isSsefsMount(abs)) {
                LOG.info("mounted oss://" + m.bucket + " at " + abs);
                return m;
            }
            if (m.loop.isDone()) {
                throw new MountException("libfuse could not mount oss://" + m.bucket + " at " + abs + " (exit code "
                        + m.loop.getNow(-1) + "; see the log above for libfuse's reason)");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        m.forceUnmount();
        throw new MountException("the mount of oss://" + m.bucket + " at " + abs + " did not become ready in " + timeout.toSeconds() + " s");
    }

    public boolean isMounted() { return !loop.isDone() && MountTable.isSsefsMount(mountPoint); }

    /** Completes when libfuse's loop has ended (the filesystem was unmounted, by us or by anyone). */
    public CompletableFuture<Integer> ended() { return loop; }

    /**
     * Commits every open file, then unmounts. With {@code lazy} false a busy mount stays mounted and this throws
     * (like umount(8)); with {@code lazy} true it is detached at once (fusermount -u -z).
     */
    public void unmount(boolean lazy) throws MountException {
        unmount(lazy, lazy ? 2_000 : 30_000);
    }

    /** As {@link #unmount(boolean)}, waiting at most {@code waitMillis} for libfuse's loop to end. */
    public void unmount(boolean lazy, long waitMillis) throws MountException {
        unmounting = true;
        int failed = fs.core().commitAll();
        if (failed > 0) LOG.warning(failed + " open file(s) of oss://" + bucket + " could not be committed before unmount");
        if (loop.isDone()) return;
        String out = runUnmount(lazy);
        try {
            loop.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // detached lazily: the session ends once its open files are closed (they are committed then)
            if (lazy && out == null) {
                LOG.info("detached oss://" + bucket + " from " + mountPoint + "; it ends when its open files are closed");
                return;
            }
            throw new MountException("unmount of " + mountPoint + " did not finish: " + e);
        } catch (Exception e) {
            if (out != null) throw new MountException("cannot unmount " + mountPoint + ": " + out.trim());
            throw new MountException("unmount of " + mountPoint + " did not finish: " + e);
        }
        LOG.info("unmounted oss://" + bucket + " from " + mountPoint);
    }

    /** Returns fusermount's message when it failed, else null. */
    private String runUnmount(boolean lazy) throws MountException {
        try {
            Process p = new ProcessBuilder(lazy ? new String[] {"fusermount", "-u", "-z", mountPoint.toString()}
                    : new String[] {"fusermount", "-u", mountPoint.toString()}).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                if (!lazy) throw new MountException("cannot unmount " + mountPoint + ": " + out.trim().replace("fusermount: ", ""));
                return out;
            }
            return null;
        } catch (IOException e) {
            throw new MountException("cannot run fusermount (apt-get install fuse): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MountException("interrupted while unmounting " + mountPoint);
        }
    }

    private void forceUnmount() {
        try {
            runUnmount(true);
        } catch (MountException ignored) {
            // best effort after a failed mount
        }
    }

    public boolean unmounting() { return unmounting; }

    @Override
    public void close() throws MountException {
        if (!loop.isDone()) unmount(true);
    }

    /** A mount or unmount failure with a message fit for the user. */
    public static final class MountException extends Exception {
        public MountException(String message) { super(message, null, false, false); }
    }
}
