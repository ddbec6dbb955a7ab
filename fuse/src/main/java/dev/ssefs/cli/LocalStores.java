package dev.ssefs.cli;

import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.keys.KeyManagement;
import dev.ssefs.keys.RootSecret;
import dev.ssefs.objectcore.EmbeddedObjectStore;
import dev.ssefs.objectcore.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;

/**
 * The stores of one data dir, opened by this process on first use from the global options, and closed
 * together. This is what the command line uses when no daemon holds the data dir; a daemon may use it
 * too to open the stores it then serves.
 */
public final class LocalStores implements StoreProvider, AutoCloseable {
    private final GlobalOptions options;
    private final Map<String, String> env;
    private final Clock clock;
    private KeyManagement keys;
    private ObjectStore objects;
    private boolean closed;
    /** Non-null: open the object store with grouped commits (the mount daemon), committed at least this often. */
    private java.time.Duration groupedCommits;
    /** The mount daemon's group commits: one syncfs per group (null: each blob forced on its own). */
    private dev.ssefs.fuse.daemon.SyncFs syncFs;

    /** How long after the mount daemon opens the object store its background blob reclamation starts. */
    static final java.time.Duration DAEMON_RECLAIM_DELAY = java.time.Duration.ofSeconds(Long.getLong("ssefs.reclaimDelaySeconds", 10));

    /**
     * Environment: the largest encrypted blob kept inside meta.db instead of a file of its own, in bytes (0: every
     * object a file); default {@link EmbeddedObjectStore.Options#DEFAULT_INLINE_LIMIT}.
     */
    public static final String ENV_INLINE_LIMIT = "SSEFS_INLINE_LIMIT";
    static final int MAX_INLINE_LIMIT = 1 << 20;

    /** @param env where {@code SSEFS_PASSPHRASE} is looked up */
    public LocalStores(GlobalOptions options, Map<String, String> env, Clock clock) {
        this.options = options;
        this.env = Map.copyOf(env);
        this.clock = clock;
    }

    @Override
    public Path dataDir() {
        return options.dataDir();
    }

    @Override
    public synchronized KeyManagement keys() {
        if (closed) {
            throw new IllegalStateException("stores are closed");
        }
        if (keys == null) {
            RootSecret secret = RootSecretSource.resolve(options, env);
            try {
                ensureDataDir(options.dataDir());
                keys = EmbeddedKms.open(options.dataDir(), secret, clock);
            } finally {
                secret.destroy(); // the KMS keeps only what it derived from it
            }
        }
        return keys;
    }

    @Override
    public synchronized ObjectStore objects() {
        if (closed) {
            throw new IllegalStateException("stores are closed");
        }
        if (objects == null) {
            long t0 = System.nanoTime();
            KeyManagement kms = keys();
            long t1 = System.nanoTime();
            objects = openObjects(kms);
            if (groupedCommits != null) { // the mount daemon: its log shows where start-up time goes
                java.util.logging.Logger.getLogger("ssefs.daemon").info("stores open: keys.db (Argon2id unlock) "
                        + (t1 - t0) / 1_000_000 + " ms, meta.db " + (System.nanoTime() - t1) / 1_000_000 + " ms");
            }
        }
        return objects;
    }

    private ObjectStore openObjects(KeyManagement kms) {
        if (groupedCommits != null) {
            // the mount daemon: reclamation lists every blob; start-up and the first requests get the disk first
            try {
                // keys.db is open, so the data dir exists: its file system is the one to sync
                java.nio.file.Path blobs = options.dataDir().resolve("blobs");
                // the blobs must be on the synced file system (a blobs dir mounted elsewhere is forced blob by blob)
                if (!java.nio.file.Files.exists(blobs) || java.nio.file.Files.getFileStore(blobs)
                        .equals(java.nio.file.Files.getFileStore(options.dataDir()))) {
                    syncFs = dev.ssefs.fuse.daemon.SyncFs.open(options.dataDir());
                }
            } catch (java.io.IOException e) {
                java.util.logging.Logger.getLogger("ssefs.daemon").warning(e.getMessage() + "; new blobs are forced one by one");
            }
            return EmbeddedObjectStore.open(options.dataDir(), kms, clock,
                    EmbeddedObjectStore.Options.grouped(groupedCommits).withReclaimDelay(DAEMON_RECLAIM_DELAY)
                            .withFileSystemSync(syncFs).withInlineLimit(inlineLimit(env)));
        }
        return EmbeddedObjectStore.open(options.dataDir(), kms, clock,
                EmbeddedObjectStore.Options.defaults().withInlineLimit(inlineLimit(env)));
    }

    /** {@link #ENV_INLINE_LIMIT}, checked. */
    static int inlineLimit(Map<String, String> env) {
        String v = env.get(ENV_INLINE_LIMIT);
        if (v == null || v.isBlank()) return EmbeddedObjectStore.Options.DEFAULT_INLINE_LIMIT;
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0 && n <= MAX_INLINE_LIMIT) return n;
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new CliFailure(ENV_INLINE_LIMIT + " must be a number of bytes from 0 to " + MAX_INLINE_LIMIT
                + ", not '" + v + "'");
    }

    /**
     * For the mount daemon: changes become durable together every {@code interval} or at {@link ObjectStore#sync()}
     * (fsync, and after each forwarded command), instead of each on its own with several fsyncs. A crash keeps every
     * object old or new. Must be called before the object store is opened.
     */
    public synchronized void useGroupedCommits(java.time.Duration interval) {
        if (objects != null) throw new IllegalStateException("the object store is already open");
        groupedCommits = interval;
    }

    /** Makes every change so far durable, if the object store was opened. */
    public synchronized void syncIfOpen() {
        if (objects != null && !closed) objects.sync();
    }

    /** Creates the data dir on first use, mode 0700; refuses a path that is not a directory. */
    static void ensureDataDir(Path dir) {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (Files.exists(dir)) {
            throw new CliFailure("data dir " + dir + " exists but is not a directory");
        }
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            // the umask cannot widen 0700, but set it explicitly in case the file system ignored the attribute
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new CliFailure("cannot create data dir " + dir + ": " + Invocation.describe(e), e);
        }
    }

    /** Closes whatever was opened: the object store first, since it stands on the KMS. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        if (objects != null) {
            try {
                objects.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (syncFs != null) syncFs.close(); // after the store's last commit
        if (keys != null) {
            try {
                keys.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
