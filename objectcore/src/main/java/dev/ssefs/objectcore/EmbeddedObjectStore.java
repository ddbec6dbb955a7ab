package dev.ssefs.objectcore;

import dev.ssefs.keys.KeyManagement;
import dev.ssefs.objectcore.blob.BlobStore;
import dev.ssefs.objectcore.blob.FileBlobStore;
import dev.ssefs.objectcore.blob.InliningBlobStore;
import dev.ssefs.objectcore.internal.DataKeys;
import dev.ssefs.objectcore.internal.MetaStore;
import dev.ssefs.objectcore.internal.ObjectRecord;
import dev.ssefs.objectcore.internal.Origins;
import dev.ssefs.objectcore.internal.Versions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The object store of one data dir: {@code meta.db} (MapDB with atomic, journaled commits) and the blob store under
 * {@code blobs/}.
 * <p>
 * Commit protocol: a new version is streamed (encrypted) into a fresh blob named by its random version id, the blob
 * is forced to disk, and then one MapDB commit publishes it in the index. Only then is the replaced blob deleted.
 * A crash before the commit leaves an unpublished blob, after it an unreferenced one; both are reclaimed when the
 * store is next opened (every blob not referenced by the index is deleted, in a background thread so that opening
 * stays O(1); see {@link #awaitReclamation()}). So after a crash at any instant the old or the new version is
 * readable, never a mix.
 * <p>
 * Concurrency: blob writing, encryption and decryption run in the calling thread without any store-wide lock; only
 * the short index mutation plus MapDB commit is serialised. Concurrent writers of one key: the last commit wins.
 * Appends use an optimistic check at commit (the object must still be the version appended to).
 */
public final class EmbeddedObjectStore implements ObjectStore {
    private static final Logger LOG = Logger.getLogger(EmbeddedObjectStore.class.getName());

    final MetaStore meta;
    final Versions versions;
    final DataKeys keys;
    final KeyManagement kms;
    final Clock clock;
    final Origins origins = new Origins();
    /** When a change becomes durable. */
    public enum Durability {
        /**
         * Every change is durable when its call returns: the blob is forced, then the meta.db commit is forced.
         * About three fsyncs per object write, one per metadata change.
         */
        EACH_CHANGE,
        /**
         * Changes are visible at once and become durable together, within {@link Options#commitInterval()} or at
         * {@link #sync()}. Blobs are forced before the commit that publishes them durably, and a replaced blob is deleted only after
         * the commit that replaced it is durable, so after a crash of the process or the machine the store holds a
         * consistent earlier state: every object its old or its new version, never a mix. What the last interval
         * changed may be lost unless {@link #sync()} was called (an fsync). One meta.db fsync per interval
         * instead of one per change, and new blobs are forced together (concurrently) just before that commit
         * instead of one by one as they are written.
         */
        GROUPED
    }

    /**
     * How the store commits, and how long after open the background reclamation of unreferenced blobs starts (it
     * lists the whole blob store: a mount daemon lets its own start-up, and the first requests, have the disk and
     * the cores first).
     */
    public record Options(Durability durability, java.time.Duration commitInterval, java.time.Duration reclaimDelay,
                          FileSystemSync fileSystemSync, int inlineLimit) {
        /**
         * Blobs up to this size (encrypted bytes; ~85 % of a source tree's files) live in meta.db instead of a file each
         * (see {@link InliningBlobStore}).
         */
        public static final int DEFAULT_INLINE_LIMIT = 32 << 10;

        public Options(Durability durability, java.time.Duration commitInterval) {
            this(durability, commitInterval, java.time.Duration.ZERO, null, DEFAULT_INLINE_LIMIT);
        }

        public Options {
            if (reclaimDelay.isNegative()) throw new IllegalArgumentException("negative reclaim delay");
            if (inlineLimit < 0) throw new IllegalArgumentException("negative inline limit");
        }

        public static Options defaults() { return new Options(Durability.EACH_CHANGE, java.time.Duration.ofMillis(200)); }

        public static Options grouped(java.time.Duration interval) { return new Options(Durability.GROUPED, interval); }

        public Options withReclaimDelay(java.time.Duration delay) { return new Options(durability, commitInterval, delay, fileSystemSync, inlineLimit); }

        /** Blobs up to {@code bytes} in meta.db (0: every blob a file); only for the data dir's own blob store. */
        public Options withInlineLimit(int bytes) { return new Options(durability, commitInterval, reclaimDelay, fileSystemSync, bytes); }

        /**
         * Grouped mode: makes a group's new blobs durable with one sync of the file system that holds them (syncfs)
         * instead of an fsync per blob and per directory; null (the default) forces them one by one.
         */
        public Options withFileSystemSync(FileSystemSync sync) { return new Options(durability, commitInterval, reclaimDelay, sync, inlineLimit); }
    }

    /**
     * Writes everything written to the file system of the data dir to stable storage (Linux syncfs), reporting any
     * write-back error since the last call. The mount daemon supplies one; objectcore has no native access.
     */
    @FunctionalInterface
    public interface FileSystemSync {
        void sync() throws IOException;
    }

    private final java.util.concurrent.ScheduledExecutorService committer;
    private final java.util.concurrent.CompletableFuture<Integer> reclaimed = new java.util.concurrent.CompletableFuture<>();
    private final Thread reclaimer;
    private final java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean closed;

    private EmbeddedObjectStore(MetaStore meta, Versions versions, KeyManagement kms, Clock clock, Options options) {
        this.meta = meta;
        this.versions = versions;
        this.keys = new DataKeys(kms);
        this.kms = kms;
        this.clock = clock;
        // reclaiming lists the whole blob store: do it in the background so that opening a big store stays O(1)
        versions.startGuard();
        long delayNanos = options.reclaimDelay().toNanos();
        reclaimer = new Thread(() -> {
            if (delayNanos > 0 && awaitClose(delayNanos)) { // closed before it started: the next open reclaims
                versions.endGuard();
                reclaimed.complete(0);
                return;
            }
            reclaim();
        }, "ssefs-blob-reclaimer");
        reclaimer.setDaemon(true);
        reclaimer.setPriority(Thread.MIN_PRIORITY); // background work: foreground requests first
        reclaimer.start();
        if (options.durability() == Durability.GROUPED) {
            committer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ssefs-meta-committer");
                t.setDaemon(true);
                return t;
            });
            long ms = Math.max(1, options.commitInterval().toMillis());
            committer.scheduleWithFixedDelay(() -> {
                try {
                    meta.sync();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "grouped commit of meta.db failed: " + e.getMessage(), e);
                }
            }, ms, ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        } else {
            committer = null;
        }
    }

    /**
     * Opens (creating if needed) the store in {@code dataDir}: {@code meta.db} and {@code blobs/}. The data dir is
     * made 0700 and meta.db 0600. Blobs never published are reclaimed.
     * @throws IllegalStateException when meta.db is locked by another process or unreadable
     */
    public static EmbeddedObjectStore open(Path dataDir, KeyManagement kms, Clock clock) {
        return open(dataDir, kms, clock, Options.defaults());
    }

    /** As {@link #open(Path, KeyManagement, Clock)}, with the given durability. */
    public static EmbeddedObjectStore open(Path dataDir, KeyManagement kms, Clock clock, Options options) {
        try {
            createPrivateDir(dataDir);
            Path blobDir = dataDir.resolve("blobs");
            createPrivateDir(blobDir);
            // always inlining-aware: with limit 0 no new blob goes to meta.db, but those already there stay readable
            return open(dataDir, new InliningBlobStore(new FileBlobStore(blobDir), options.inlineLimit()), kms, clock, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the object store in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #open(Path, KeyManagement, Clock)} with another blob store (meta.db still lives in {@code dataDir}). */
    public static EmbeddedObjectStore open(Path dataDir, BlobStore blobs, KeyManagement kms, Clock clock) {
        return open(dataDir, blobs, kms, clock, Options.defaults());
    }

    public static EmbeddedObjectStore open(Path dataDir, BlobStore blobs, KeyManagement kms, Clock clock, Options options) {
        return open(dataDir, blobs, kms, clock, options, dev.ssefs.keys.store.JournaledVolume.Channels.DEFAULT);
    }

    /** As above; {@code metaChannels} opens meta.db's files (tests inject I/O faults). */
    static EmbeddedObjectStore open(Path dataDir, BlobStore blobs, KeyManagement kms, Clock clock, Options options,
                                    dev.ssefs.keys.store.JournaledVolume.Channels metaChannels) {
        try {
            createPrivateDir(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the object store in " + dataDir + ": " + e.getMessage(), e);
        }
        java.util.concurrent.atomic.AtomicReference<BlobStore> forDeletes = new java.util.concurrent.atomic.AtomicReference<>(blobs);
        boolean grouped = options.durability() == Durability.GROUPED;
        Versions versions = new Versions(blobs);
        if (grouped) versions.deferDurability(options.fileSystemSync());
        MetaStore m = new MetaStore(dataDir.resolve("meta.db"), grouped, ids -> deleteQuietly(forDeletes.get(), ids),
                versions::takePending, metaChannels);
        if (blobs instanceof InliningBlobStore inlining) m.attachInline(inlining);
        try {
            return new EmbeddedObjectStore(m, versions, kms, clock, options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static void createPrivateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException ignored) {
                // not POSIX
            }
        }
    }

    /**
     * Deletes every blob the index does not reference (never published, or freed before a crash). Runs once, in the
     * background, after open. Blobs created by this process meanwhile are guarded: checked first, so a blob is only
     * taken for an orphan if it existed before open and is not in the index.
     */
    private void reclaim() {
        int[] n = {0};
        try {
            // batch by batch (a fan-out directory at a time): a million blob ids never sit in memory at once
            versions.blobs().forEachBatch(batch -> {
                for (String id : batch) {
                    if (closed) return;
                    // order matters: a blob created since open is guarded before it exists; a live blob freed meanwhile
                    // is a pending free until its commit is durable
                    if (versions.guarded(id) || meta.isLiveBlob(id) || meta.isPendingFree(id)) continue;
                    try {
                        if (versions.blobs().delete(id)) n[0]++;
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            if (n[0] > 0) LOG.info("reclaimed " + n[0] + " unpublished or freed blob(s)");
            reclaimed.complete(n[0]);
        } catch (java.io.UncheckedIOException e) {
            if (!closed) LOG.log(Level.WARNING, "cannot reclaim unpublished blobs: " + e.getCause().getMessage(), e.getCause());
            reclaimed.completeExceptionally(e.getCause());
        } catch (IOException | RuntimeException | IllegalAccessError e) { // MapDB: "Store was closed" (a rollback reopened it)
            if (!closed) LOG.log(Level.WARNING, "cannot reclaim unpublished blobs: " + e.getMessage(), e);
            reclaimed.completeExceptionally(e);
        } finally {
            versions.endGuard();
        }
    }

    /** Waits up to {@code nanos} for {@link #close()}; true if the store was closed meanwhile. */
    private boolean awaitClose(long nanos) {
        try {
            return closing.await(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /**
     * Waits for the background reclamation that {@link #open} started, and returns how many unreferenced blobs it
     * deleted. @throws IllegalStateException if it failed
     */
    public int awaitReclamation() {
        try {
            return reclaimed.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("blob reclamation failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Every blob id the blob store holds (files and, for small objects, meta.db): for checks and diagnostics. */
    public List<String> storedBlobIds() throws IOException { return versions.blobs().list(); }

    /** Same as {@link #awaitReclamation()}. */
    public int reclaimedOnOpen() { return awaitReclamation(); }

    @Override
    public Oss as(String principal) {
        if (principal == null || principal.isEmpty()) throw new IllegalArgumentException("principal must be named");
        return new EmbeddedOss(this, principal);
    }

    /**
     * After a failed commit that would have published {@code id}: deletes it only if the index (re-read after the
     * rollback) does not reference it. A commit whose journal was forced is durable even if it failed later; a blob it
     * published must stay. If the index cannot be read, the blob stays (an orphan is reclaimed on the next open).
     */
    void deleteUnreferencedBlob(String id) {
        boolean referenced;
        try {
            referenced = meta.isLiveBlob(id) || meta.isPendingFree(id);
        } catch (RuntimeException unreadable) {
            LOG.log(Level.WARNING, "cannot tell whether blob " + id + " is referenced after a failed commit; keeping it", unreadable);
            return;
        }
        if (!referenced) deleteBlobs(List.of(id));
    }

    /** Best-effort deletion of blobs a commit freed; a failure leaves an orphan reclaimed on the next open. */
    void deleteBlobs(List<String> ids) { deleteQuietly(versions.blobs(), ids); }

    private static void deleteQuietly(BlobStore blobs, List<String> ids) {
        for (String id : ids) {
            try {
                blobs.delete(id);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "could not delete freed blob " + id + "; it is reclaimed on the next open", e);
            }
        }
    }

    /** Makes every change so far durable (grouped mode); a no-op when each change is durable anyway. */
    @Override
    public void sync() { meta.sync(); }

    String accountId() { return kms.accountId(); }

    ObjectRecord record(String bucket, String key) { return meta.object(bucket, key); }

    @Override
    public void close() {
        closed = true;
        closing.countDown();
        if (committer != null) {
            committer.shutdown();
            try {
                committer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            reclaimer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        meta.close();
    }
}
