package dev.ssefs.objectcore.internal;

import dev.ssefs.keys.store.JournaledVolume;
import dev.ssefs.keys.store.MapDbs;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.Serializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * meta.db: buckets, the object index, multipart uploads and parts, and the set of referenced blobs, in one
 * MapDB (StoreDirect on a {@link JournaledVolume}: atomic commits). Every change goes through {@link #commit}:
 * mutations and the MapDB commit are serialised
 * by one short lock (no blob I/O or encryption ever happens under it), and a failed mutation is rolled back.
 * Reads take no lock; each single entry read is atomic.
 * <p>
 * Object keys in the index are {@code bucket + "/" + key}: bucket names contain no '/', so a bucket's objects are
 * exactly the range {@code [bucket + "/", bucket + "0")}, sorted lexicographically (UTF-16 order).
 */
public final class MetaStore implements AutoCloseable {
    private final Path file;
    private volatile JournaledVolume volume;
    private volatile boolean closed;
    private volatile DB db;
    private volatile Map<String, byte[]> buckets;
    private volatile BTreeMap<String, byte[]> objects;
    private volatile Map<String, byte[]> uploads;
    private volatile BTreeMap<String, byte[]> parts;
    /** Blob ids referenced by an object or a part: the blob store minus these is garbage. */
    private volatile Set<String> liveBlobs;
    /** Small blobs stored here instead of as files (see InliningBlobStore): blob id to the encrypted blob. */
    private volatile Map<String, byte[]> inline;
    /** The blob store whose small blobs live here, or null. */
    private volatile dev.ssefs.objectcore.blob.InliningBlobStore inlining;
    private final ReentrantLock commitLock = new ReentrantLock();
    /** Grouped mode: changes are applied at once and committed durably by {@link #sync} (called periodically). */
    private final boolean grouped;
    /** Grouped mode: whether applied changes await a commit. Guarded by commitLock. */
    private boolean dirty;
    /** Grouped mode: blobs freed by applied but not yet durable changes; deleted only after the commit. */
    private final java.util.Set<String> pendingFrees = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.function.Consumer<List<String>> deleteBlobs;
    private final JournaledVolume.Channels channels;
    /**
     * Grouped mode: takes the blobs published since the last durable commit and returns the task that forces them;
     * taken with the commit's pages (under the commit lock), forced before those are written (outside it).
     */
    private final java.util.function.Supplier<Runnable> takeUndurableBlobs;
    /** Counts rollbacks, so that a grouped commit that failed outside the lock knows whether one undid its changes. */
    private long rollbacks;
    /** Index entries as last read or written (getattr, lookup and open each read an entry, often the same one). */
    private final EntryCache entryCache = new EntryCache(Integer.getInteger("ssefs.metaEntryCache", 16384));

    /**
     * Index entries (encoded), and absent keys, as the B-tree holds them: MapDB deserialises every key of each B-tree
     * node on the way down, for every get. Writers (under the commit lock) update an entry right after the B-tree;
     * a reader caches what it read only if no writer changed anything meanwhile (a generation count, checked under
     * the cache's monitor), so a cached entry is never older than the B-tree. Cleared on rollback and reopen.
     */
    static final class EntryCache {
        static final byte[] ABSENT = new byte[0];
        private final java.util.concurrent.ConcurrentHashMap<String, byte[]> entries = new java.util.concurrent.ConcurrentHashMap<>();
        private final int max;
        private volatile long generation;

        EntryCache(int max) { this.max = max; }

        /** The cached entry: null when unknown, {@link #ABSENT} when known to be missing. */
        byte[] get(String key) { return max <= 0 ? null : entries.get(key); }

        long generation() { return generation; }

        /** A reader's result, read in {@code readGeneration}: kept only if nothing changed since. */
        synchronized void offer(String key, byte[] value, long readGeneration) {
            if (max <= 0 || readGeneration != generation) return;
            if (entries.size() >= max) entries.clear(); // simple bound; a full scan of the index is not cached anyway
            entries.put(key, value == null ? ABSENT : value);
        }

        /** A writer changed {@code key} to {@code value} (null: removed) in the B-tree. */
        synchronized void changed(String key, byte[] value) {
            generation++;
            if (max <= 0) return;
            if (entries.size() >= max) entries.clear();
            entries.put(key, value == null ? ABSENT : value);
        }

        synchronized void clear() {
            generation++;
            entries.clear();
        }
    }
    /** Serialises whole {@link #sync} calls, so no commit overtakes another caller's blob forcing. */
    private final ReentrantLock syncLock = new ReentrantLock();

    public MetaStore(Path file) { this(file, false, ids -> { }); }

    public MetaStore(Path file, boolean grouped, java.util.function.Consumer<List<String>> deleteBlobs) {
        this(file, grouped, deleteBlobs, () -> () -> { }, JournaledVolume.Channels.DEFAULT);
    }

    public MetaStore(Path file, boolean grouped, java.util.function.Consumer<List<String>> deleteBlobs,
                     JournaledVolume.Channels channels) {
        this(file, grouped, deleteBlobs, () -> () -> { }, channels);
    }

    public MetaStore(Path file, boolean grouped, java.util.function.Consumer<List<String>> deleteBlobs,
                     java.util.function.Supplier<Runnable> takeUndurableBlobs) {
        this(file, grouped, deleteBlobs, takeUndurableBlobs, JournaledVolume.Channels.DEFAULT);
    }

    /**
     * @param grouped     commit lazily: {@link #commit} applies a change and returns; {@link #sync} makes all applied
     *                    changes durable in one MapDB commit and then hands the blobs they freed to {@code deleteBlobs}
     * @param deleteBlobs deletes blobs freed by a durable commit (grouped mode)
     * @param takeUndurableBlobs takes the blobs published since the last durable commit and returns what forces
     *                    them (grouped mode; see Versions#takePending)
     * @param channels    opens meta.db's files (tests inject I/O faults)
     */
    public MetaStore(Path file, boolean grouped, java.util.function.Consumer<List<String>> deleteBlobs,
                     java.util.function.Supplier<Runnable> takeUndurableBlobs, JournaledVolume.Channels channels) {
        this.file = file;
        this.grouped = grouped;
        this.deleteBlobs = deleteBlobs;
        this.takeUndurableBlobs = takeUndurableBlobs;
        this.channels = channels;
        openDb(null);
        restrictPermissions(file);
    }

    /**
     * meta.db is a MapDB StoreDirect on a {@link JournaledVolume} (atomic commits; see there why not MapDB's own
     * write-ahead log). Its commit is {@code db.commit()}, which syncs the volume: it returns once the commit is
     * durable and throws only if it is not (see JournaledVolume).
     *
     * @param reuse a volume just rolled back (null: open the file)
     */
    private void openDb(JournaledVolume reuse) {
        JournaledVolume v = reuse;
        DB made;
        try {
            if (v == null) {
                v = new JournaledVolume(file.toFile(), null, channels);
            } else {
                v.reuse();
            }
            made = MapDbs.make(v, v.length() > 0);
        } catch (DBException.FileLocked e) {
            throw new IllegalStateException("metadata store " + file + " is in use by another process", e);
        } catch (DBException e) {
            if (v != null) v.release();
            throw new IllegalStateException("cannot open metadata store " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (v != null) v.release();
            throw e;
        }
        volume = v;
        db = made;
        buckets = db.hashMap("buckets", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        objects = db.treeMap("objects", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        uploads = db.hashMap("uploads", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        parts = db.treeMap("parts", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        liveBlobs = db.hashSet("blobs", Serializer.STRING).createOrOpen();
        // a hash map: looked up by random blob id, never in order (a B-tree decodes every key of each node on the way)
        inline = db.hashMap("inlineBlobs", Serializer.STRING, Serializer.BYTE_ARRAY).createOrOpen();
        entryCache.clear(); // after the new maps are in place: a reader in between would cache the old map's entry
        db.commit();
    }

    /**
     * Undoes every uncommitted change: drops the volume's dirty pages and rebuilds MapDB on the volume, which holds the
     * last commit (the file stays open and locked). If the last sync's outcome is unknown, meta.db is closed and
     * reopened instead, so that its journal decides.
     */
    /**
     * Reopens meta.db if a failed commit's rollback could not (e.g. the disk was still full): without this one
     * failed commit would leave the store closed for good ("Store was closed"), even once space is freed.
     */
    private void ensureOpen() {
        if (closed || !db.isClosed()) return;
        commitLock.lock();
        try {
            if (db.isClosed() && !closed) openDb(null);
        } finally {
            commitLock.unlock();
        }
    }

    private void rollback() {
        rollbacks++;
        entryCache.clear();
        JournaledVolume v = volume;
        boolean reopen = v.rollbackOrRelease();
        try {
            db.close();
        } catch (RuntimeException ignored) {
            // the volume writes nothing now
        }
        openDb(reopen ? null : v);
    }

    /** meta.db and its journal are 0600 (the data dir itself is 0700). */
    static void restrictPermissions(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            String name = file.getFileName().toString();
            try (var s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (p.getFileName().toString().startsWith(name) && Files.isRegularFile(p)) {
                        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
                    }
                }
            }
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a committed change wants done after the commit: blobs no longer referenced. */
    public static final class Tx {
        final List<String> freedBlobs = new ArrayList<>();

        public void freeBlob(String blobId) { if (blobId != null) freedBlobs.add(blobId); }
    }

    public record Committed<T>(T value, List<String> freedBlobs) {}

    /**
     * Runs {@code change} under the commit lock and commits it as one MapDB transaction (grouped mode: applies it; it
     * becomes durable at the next {@link #sync}). A change must validate before it modifies anything, and reject with
     * an {@link dev.ssefs.objectcore.OssException}: that leaves nothing to undo (and other threads' applied changes
     * stay). Any other exception rolls back every uncommitted change.
     * The returned freed blobs may be deleted by the caller at once (each-change mode; empty in grouped mode, where
     * they are deleted after the commit that frees them is durable).
     */
    public <T> Committed<T> commit(Function<Tx, T> change) {
        commitLock.lock();
        try {
            if (db.isClosed() && !closed) openDb(null);
            Tx tx = new Tx();
            T value;
            try {
                value = change.apply(tx);
                for (String b : tx.freedBlobs) liveBlobs.remove(b);
                if (grouped) {
                    pendingFrees.addAll(tx.freedBlobs);
                    dirty = true;
                    return new Committed<>(value, List.of());
                }
                // freed small blobs go in the same commit (a file blob is deleted by the caller right after it)
                for (String b : tx.freedBlobs) inline.remove(b);
                db.commit();
            } catch (dev.ssefs.objectcore.OssException rejected) {
                throw rejected;
            } catch (RuntimeException | Error e) {
                try {
                    rollback();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                // the rolled-back state references these again
                pendingFrees.clear();
                dirty = false;
                throw e;
            }
            return new Committed<>(value, tx.freedBlobs);
        } finally {
            commitLock.unlock();
        }
    }

    /**
     * Grouped mode: makes every applied change durable in one commit, then deletes the blobs they freed. Only the
     * capture of the commit runs under the commit lock (the volume's dirty pages as a snapshot, and the blobs they may
     * reference); forcing those blobs, then the journal and its fsyncs, run after it, while writers go on. If that
     * part fails nothing of the commit is durable: its changes stay applied, to go with the next commit (unless a
     * rollback has dropped them meanwhile), and its freed blobs stay.
     */
    public void sync() {
        List<String> frees;
        syncLock.lock();
        try {
            JournaledVolume v;
            JournaledVolume.Captured captured;
            Runnable forceBlobs;
            long generation;
            commitLock.lock();
            try {
                if (!dirty || db.isClosed()) return;
                v = volume;
                // every blob the captured state references was queued before the change that published it
                forceBlobs = takeUndurableBlobs.get();
                v.captureNextSync();
                try {
                    db.commit(); // StoreDirect writes its header checksum, then syncs the volume: a capture
                    captured = v.takeCaptured();
                } catch (RuntimeException | Error e) {
                    v.cancelCapture();
                    try {
                        forceBlobs.run(); // durable early, or queued again
                    } catch (RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                }
                dirty = false;
                // freed blobs stay pending frees (never reclaimed) until the commit that frees them is durable
                frees = new ArrayList<>(pendingFrees);
                generation = rollbacks;
            } finally {
                commitLock.unlock();
            }
            try {
                forceBlobs.run();
            } catch (RuntimeException | Error e) {
                v.abortCommit(captured);
                notDurable(generation);
                throw e;
            }
            try {
                v.completeCommit(captured);
            } catch (RuntimeException | Error e) {
                notDurable(generation);
                throw e;
            }
            frees.forEach(pendingFrees::remove);
        } finally {
            syncLock.unlock();
        }
        if (!frees.isEmpty()) deleteBlobs.accept(frees);
    }

    /** A captured commit was not durable: its changes (still applied, unless rolled back since) await the next. */
    private void notDurable(long generation) {
        commitLock.lock();
        try {
            if (generation == rollbacks) dirty = true;
        } finally {
            commitLock.unlock();
        }
    }

    /** Freed by a change that is not durable yet: must not be deleted. */
    public boolean isPendingFree(String blobId) { return pendingFrees.contains(blobId); }

    // ---- buckets
    public BucketRecord bucket(String name) {
        ensureOpen();
        byte[] b = buckets.get(name);
        return b == null ? null : BucketRecord.decode(b);
    }

    public List<BucketRecord> allBuckets() {
        ensureOpen();
        List<BucketRecord> l = new ArrayList<>();
        for (byte[] b : buckets.values()) l.add(BucketRecord.decode(b));
        l.sort((a, c) -> a.name().compareTo(c.name()));
        return l;
    }

    public void putBucket(BucketRecord r) { buckets.put(r.name(), r.encode()); }

    public void removeBucket(String name) { buckets.remove(name); }

    // ---- objects
    public static String indexKey(String bucket, String key) { return bucket + "/" + key; }

    public ObjectRecord object(String bucket, String key) {
        ensureOpen();
        String ik = indexKey(bucket, key);
        byte[] b = entryCache.get(ik);
        if (b == null) {
            long generation = entryCache.generation();
            b = objects.get(ik);
            entryCache.offer(ik, b, generation);
        } else if (b == EntryCache.ABSENT) {
            b = null;
        }
        return b == null ? null : ObjectRecord.decode(b);
    }

    /** Publishes {@code r} (whose blob must already be durable) and frees the blob it replaces. */
    public void putObject(Tx tx, String bucket, String key, ObjectRecord r) {
        String ik = indexKey(bucket, key);
        byte[] enc = r.encode();
        byte[] old = objects.put(ik, enc);
        entryCache.changed(ik, enc);
        addLive(r.blobId());
        if (old != null) {
            String oldBlob = ObjectRecord.decode(old).blobId();
            if (!oldBlob.equals(r.blobId())) tx.freeBlob(oldBlob);
        }
    }

    /** Replaces the index entry only (metadata change, same blob). */
    public void putObjectMetadata(String bucket, String key, ObjectRecord r) {
        String ik = indexKey(bucket, key);
        byte[] enc = r.encode();
        objects.put(ik, enc);
        entryCache.changed(ik, enc);
    }

    public ObjectRecord removeObject(Tx tx, String bucket, String key) {
        String ik = indexKey(bucket, key);
        byte[] old = objects.remove(ik);
        entryCache.changed(ik, null);
        if (old == null) return null;
        ObjectRecord r = ObjectRecord.decode(old);
        tx.freeBlob(r.blobId());
        return r;
    }

    /** Moves an index entry without touching its blob. */
    public void moveObject(Tx tx, String bucket, String from, String to) {
        String fromKey = indexKey(bucket, from);
        byte[] rec = objects.remove(fromKey);
        entryCache.changed(fromKey, null);
        if (rec == null) return;
        String toKey = indexKey(bucket, to);
        byte[] old = objects.put(toKey, rec);
        entryCache.changed(toKey, rec);
        if (old != null) tx.freeBlob(ObjectRecord.decode(old).blobId());
    }

    /** The bucket's index entries with keys in [fromKey, toKey) ({@code toKey} null = to the end of the bucket). */
    public NavigableMap<String, byte[]> range(String bucket, String fromKey, boolean fromInclusive, String toKey) {
        ensureOpen();
        String lo = indexKey(bucket, fromKey == null ? "" : fromKey);
        String hi = toKey == null ? bucket + "0" : indexKey(bucket, toKey);
        if (lo.compareTo(hi) > 0) lo = hi;
        return objects.subMap(lo, fromInclusive, hi, false);
    }

    public boolean bucketHasObjects(String bucket) {
        ensureOpen();
        return !range(bucket, "", true, null).isEmpty();
    }


    // ---- multipart
    public UploadRecord upload(String uploadId) {
        ensureOpen();
        byte[] b = uploads.get(uploadId);
        return b == null ? null : UploadRecord.decode(b);
    }

    public void putUpload(String uploadId, UploadRecord r) { uploads.put(uploadId, r.encode()); }

    public boolean bucketHasUploads(String bucket) {
        ensureOpen();
        for (byte[] b : uploads.values()) if (UploadRecord.decode(b).bucket().equals(bucket)) return true;
        return false;
    }

    static String partKey(String uploadId, int partNumber) { return uploadId + "/" + String.format("%05d", partNumber); }

    public void putPart(Tx tx, String uploadId, int partNumber, ObjectRecord part) {
        byte[] old = parts.put(partKey(uploadId, partNumber), part.encode());
        addLive(part.blobId());
        if (old != null) tx.freeBlob(ObjectRecord.decode(old).blobId());
    }

    public ObjectRecord part(String uploadId, int partNumber) {
        ensureOpen();
        byte[] b = parts.get(partKey(uploadId, partNumber));
        return b == null ? null : ObjectRecord.decode(b);
    }

    /** Removes the upload and its parts; with {@code freeParts} their blobs are freed too. */
    public List<ObjectRecord> removeUpload(Tx tx, String uploadId, boolean freeParts) {
        uploads.remove(uploadId);
        NavigableMap<String, byte[]> ps = parts.subMap(uploadId + "/", true, uploadId + "0", false);
        List<ObjectRecord> removed = new ArrayList<>();
        for (String k : new ArrayList<>(ps.keySet())) {
            byte[] b = parts.remove(k);
            if (b != null) {
                ObjectRecord r = ObjectRecord.decode(b);
                removed.add(r);
                if (freeParts) tx.freeBlob(r.blobId());
            }
        }
        return removed;
    }

    // ---- blobs
    /** A blob becomes referenced; a small one's bytes join the same commit (durable exactly when its reference is). */
    private void addLive(String blobId) {
        liveBlobs.add(blobId);
        dev.ssefs.objectcore.blob.InliningBlobStore in = inlining;
        byte[] small = in == null ? null : in.staged(blobId);
        if (small != null) {
            inline.put(blobId, small); // then out of the staged ones: readers find it in one or the other
            in.published(blobId);
        }
    }

    /**
     * Small blobs go to meta.db only while it holds fewer unsynced pages than this (16 MiB): they stay in memory until
     * their commit is durable, and a slow disk must not let writers fill the heap; past it they become files.
     */
    static final int INLINE_BUDGET_PAGES = Integer.getInteger("ssefs.inlineBudgetPages", 4096);

    /** Keeps {@code blobs}' small blobs in meta.db: connects both sides. */
    public void attachInline(dev.ssefs.objectcore.blob.InliningBlobStore blobs) {
        blobs.attach(new InlineTable(), () -> volume.unsyncedPages() < INLINE_BUDGET_PAGES);
        inlining = blobs;
    }

    /** meta.db's side of {@link dev.ssefs.objectcore.blob.InliningBlobStore}. */
    private final class InlineTable implements dev.ssefs.objectcore.blob.InliningBlobStore.Table {
        private static final int BATCH = 4096;

        @Override
        public byte[] get(String blobId) {
            ensureOpen();
            return inline.get(blobId);
        }

        @Override
        public boolean contains(String blobId) {
            ensureOpen();
            return inline.containsKey(blobId);
        }

        /** A change like any other: durable at once, or with the group (a crash before leaves an orphan, reclaimed). */
        @Override
        public boolean remove(String blobId) {
            if (!contains(blobId)) return false; // a file blob: no commit
            // checked again in the change: a rollback may have made it referenced since the caller looked
            return commit(tx -> !liveBlobs.contains(blobId) && !pendingFrees.contains(blobId) && inline.remove(blobId) != null).value();
        }

        @Override
        public void forEachBatch(java.util.function.Consumer<List<String>> batch) {
            ensureOpen();
            List<String> ids = new ArrayList<>(BATCH);
            for (String id : inline.keySet()) {
                ids.add(id);
                if (ids.size() == BATCH) {
                    batch.accept(ids);
                    ids = new ArrayList<>(BATCH);
                }
            }
            if (!ids.isEmpty()) batch.accept(ids);
        }
    }

    public boolean isLiveBlob(String blobId) {
        ensureOpen();
        return liveBlobs.contains(blobId);
    }

    @Override
    public void close() {
        if (grouped && !db.isClosed()) sync();
        commitLock.lock();
        try {
            closed = true;
            if (!db.isClosed()) db.close();
        } finally {
            commitLock.unlock();
        }
    }
}
