package dev.ssefs.fuse.daemon;

import dev.ssefs.fuse.FsCore;
import dev.ssefs.fuse.FuseMount;
import dev.ssefs.fuse.MountOptions;
import dev.ssefs.fuse.SsefsFuse;
import dev.ssefs.fuse.Volume;
import dev.ssefs.objectcore.ObjectStore;
import dev.ssefs.objectcore.Oss;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The one process per data dir that owns its stores: it serves every mount of the data dir and runs the
 * command lines forwarded over its control socket with the same open stores, so commands stay live while
 * buckets are mounted. It exits when its last mount is gone; SIGTERM commits open files and unmounts.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("ssefs.daemon");
    private static volatile Daemon current;

    private final Path dataDir;
    private final Supplier<ObjectStore> store;
    private final ControlServer control;
    private final Map<Path, FuseMount> mounts = new ConcurrentHashMap<>();
    private final Object changed = new Object();
    private final Thread shutdownHook;
    private final AutoCloseable stores;
    private volatile boolean stopping;

    private Daemon(Path dataDir, Supplier<ObjectStore> store, AutoCloseable stores, CommandRunner runner) throws IOException {
        this.dataDir = dataDir;
        this.store = store;
        this.stores = stores;
        this.control = new ControlServer(dataDir, runner);
        this.shutdownHook = new Thread(this::stopOnSignal, "ssefs-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** The daemon running in this JVM, or null. */
    public static Daemon current() { return current; }

    /**
     * Becomes the daemon of {@code dataDir}: opens the control socket. {@code stores} (may be null) is closed
     * when a signal stops the daemon, after the mounts are committed and gone.
     */
    public static synchronized Daemon start(Path dataDir, Supplier<ObjectStore> store, AutoCloseable stores, CommandRunner runner) throws IOException {
        if (current != null) throw new IllegalStateException("this process already runs the daemon of " + current.dataDir);
        Daemon d = new Daemon(dataDir, store, stores, runner);
        current = d;
        d.writePidFile();
        LOG.info("daemon " + ProcessHandle.current().pid() + " serves " + dataDir + " on " + d.control.socket());
        if (!java.nio.charset.Charset.defaultCharset().equals(java.nio.charset.StandardCharsets.UTF_8)) {
            LOG.warning("the JVM's charset is " + java.nio.charset.Charset.defaultCharset() + ": non-ASCII file names will be"
                    + " mangled; run with LANG=C.UTF-8 or -Dfile.encoding=UTF-8 (SSEFS_JAVA_OPTS)");
        }
        return d;
    }

    public Path dataDir() { return dataDir; }

    /** {@code DATA_DIR/ssefs.pid}: who to send SIGTERM to (systemd, scripts, tests). */
    public static Path pidFile(Path dataDir) { return dataDir.resolve("ssefs.pid"); }

    private void writePidFile() {
        try {
            Path tmp = dataDir.resolve(".ssefs.pid.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, ProcessHandle.current().pid() + "\n");
            Files.move(tmp, pidFile(dataDir), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warning("cannot write " + pidFile(dataDir) + ": " + e.getMessage());
        }
    }

    private void removePidFile() {
        try {
            Path p = pidFile(dataDir);
            if (Files.exists(p) && Files.readString(p).trim().equals(Long.toString(ProcessHandle.current().pid()))) Files.delete(p);
        } catch (IOException ignored) {
            // stale pid files are harmless: the socket is what clients check
        }
    }

    /** Mounts {@code bucket} at {@code mountPoint} acting as {@code principal}; returns once the mount is ready. */
    public FuseMount mount(String principal, String bucket, Path mountPoint, MountOptions options) throws FuseMount.MountException {
        if (stopping) throw new FuseMount.MountException("the daemon is shutting down");
        FuseMount.checkFuseAvailable();
        Path abs = FuseMount.checkMountPoint(mountPoint);
        long t0 = System.nanoTime();
        Oss oss = store.get().as(principal);
        oss.getBucketInfo(bucket); // NoSuchBucket / AccessDenied before anything is mounted
        long tStores = System.nanoTime();
        Path spool = dataDir.resolve("spool");
        try {
            if (!Files.isDirectory(spool)) {
                Files.createDirectories(spool, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new FuseMount.MountException("cannot create the spool directory " + spool + ": " + e.getMessage());
        }
        int uid = options.uid != null ? options.uid : Ids.uid();
        int gid = options.gid != null ? options.gid : Ids.gid();
        FsCore core = new FsCore(new Volume(oss, bucket, options, spool, uid, gid));
        SsefsFuse fs;
        try {
            fs = new SsefsFuse(core);
        } catch (LinkageError | RuntimeException e) {
            throw new FuseMount.MountException("cannot load libfuse2 (apt-get install fuse): " + e.getMessage());
        }
        long tFs = System.nanoTime();
        FuseMount m = FuseMount.mount(fs, abs, options.fuseOptions(bucket, true), options.debug, Duration.ofSeconds(30));
        long tMounted = System.nanoTime();
        mounts.put(m.mountPoint(), m);
        LOG.info("serving oss://" + bucket + " at " + abs + " as principal " + principal + " (ready in "
                + ms(tMounted - t0) + " ms: stores " + ms(tStores - t0) + ", filesystem " + ms(tFs - tStores)
                + ", libfuse mount " + ms(tMounted - tFs) + "; JVM up " + StartupClock.uptimeMillis() + " ms)");
        m.ended().whenComplete((rc, ex) -> ended(m));
        return m;
    }

    private static long ms(long nanos) { return nanos / 1_000_000; }

    private void ended(FuseMount m) {
        mounts.remove(m.mountPoint(), m);
        if (!m.unmounting()) {
            // unmounted from outside (fusermount -u): commit what is still open
            m.fs().core().commitAll();
            LOG.info("oss://" + m.bucket() + " at " + m.mountPoint() + " was unmounted");
        }
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    /** Unmounts the mount at {@code mountPoint}; a busy mount stays unless {@code lazy}. */
    public void unmount(Path mountPoint, boolean lazy) throws FuseMount.MountException {
        Path abs = dev.ssefs.fuse.MountTable.canonical(mountPoint);
        FuseMount m = mounts.get(abs);
        if (m == null) throw new FuseMount.MountException(abs + " is not mounted by the ssefs daemon of " + dataDir);
        m.unmount(lazy);
        // a lazily detached mount still serves its open files: it is gone (and the daemon may exit) when it ends
        if (m.ended().isDone()) mounts.remove(abs, m);
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    public List<FuseMount> mounts() { return new ArrayList<>(mounts.values()); }

    /** Blocks until no mount is left (or the daemon is stopped), then closes the control socket. */
    public void runUntilIdle() {
        synchronized (changed) {
            while (!mounts.isEmpty() && !stopping) {
                try {
                    changed.wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        control.awaitIdle(10_000);
        close();
    }

    private void stopOnSignal() {
        if (current != this) return;
        LOG.info("signal: committing open files and unmounting");
        stopping = true;
        for (FuseMount m : mounts()) {
            try {
                // open files keep a lazily detached mount alive: do not wait for them, the data is committed
                m.unmount(true, 2_000);
            } catch (FuseMount.MountException e) {
                LOG.warning(e.getMessage());
            }
        }
        synchronized (changed) {
            changed.notifyAll();
        }
        control.awaitIdle(5_000);
        control.close();
        removePidFile();
        if (stores != null) {
            try {
                stores.close();
                LOG.info("stores closed");
            } catch (Exception e) {
                LOG.warning("closing the stores failed: " + e);
            }
        }
    }

    @Override
    public void close() {
        stopping = true;
        for (FuseMount m : mounts()) {
            try {
                m.unmount(true);
            } catch (FuseMount.MountException e) {
                LOG.warning(e.getMessage());
            }
        }
        control.close();
        removePidFile();
        synchronized (Daemon.class) {
            if (current == this) current = null;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
        LOG.info("daemon of " + dataDir + " stopped");
    }
}
