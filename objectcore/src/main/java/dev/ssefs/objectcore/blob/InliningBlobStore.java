package dev.ssefs.objectcore.blob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Small blobs kept in the metadata store instead of one file each; larger ones go to {@code files}. A file per object
 * costs an inode on the backing file system (creating one was most of a small write, and reading it back cold most of a
 * small read), where a small blob in the metadata store costs a record next to its index entry.
 * <p>
 * A blob whose writer has seen at most {@link #limit()} bytes by its commit is held in memory ("staged") until the
 * metadata change that publishes it takes it ({@link #staged}, {@link #published}) and stores it in the same commit as the index entry
 * (see {@link Table}): it becomes durable exactly when its reference does, and a crash loses both or neither. A larger
 * blob is a file from the moment it outgrows the limit, and so is a small one committed while the metadata store
 * holds more unsynced bytes than it should ({@link #inlineAllowed}: those bytes sit in memory until their commit is
 * durable). What the table holds is the same encrypted blob a file would hold ({@link #createPlaintext} keeps plain
 * back-to-origin blobs out of it); a blob never published is dropped with {@link #delete}, or, after a crash,
 * reclaimed like any unreferenced blob ({@link #forEachBatch} lists the table's ids too). With limit 0 no new blob goes
 * to the table, and the ones already there stay readable.
 */
public final class InliningBlobStore implements BlobStore {
    /** The metadata store's side: small blobs that were published. Implementations are thread-safe. */
    public interface Table {
        /** The blob's bytes, or null. */
        byte[] get(String blobId);

        /** Whether the table holds the blob (without reading it). */
        default boolean contains(String blobId) { return get(blobId) != null; }

        /** Drops a blob (durable with the next metadata commit); whether it was there. */
        boolean remove(String blobId);

        /** Every id held, in batches. */
        void forEachBatch(Consumer<List<String>> batch);
    }

    private final BlobStore files;
    private final int limit;
    private final ConcurrentHashMap<String, byte[]> staged = new ConcurrentHashMap<>();
    private volatile Table table;
    /** Whether the metadata store can take more inline bytes now (see {@link #attach}). */
    private volatile java.util.function.BooleanSupplier inlineAllowed = () -> true;

    /** @param limit the largest blob (bytes) kept in the table; 0 keeps every blob a file */
    public InliningBlobStore(BlobStore files, int limit) {
        this.files = Objects.requireNonNull(files, "files");
        if (limit < 0) throw new IllegalArgumentException("negative inline limit " + limit);
        this.limit = limit;
    }

    /** Connects the table once the metadata store is open (it needs this store's {@link #staged} first). */
    public void attach(Table t) { this.table = Objects.requireNonNull(t, "table"); }

    /**
     * As {@link #attach(Table)}; {@code allowed} says whether a small blob committed now may go to the table (false:
     * the metadata store holds too many unsynced bytes, and it becomes a file).
     */
    public void attach(Table t, java.util.function.BooleanSupplier allowed) {
        this.inlineAllowed = Objects.requireNonNull(allowed, "allowed");
        attach(t);
    }

    /** Always a file: no plaintext goes into the metadata store. */
    @Override
    public BlobWriter createPlaintext(String blobId) throws IOException {
        BlobIds.requireValid(blobId);
        if (heldHere(blobId)) throw new FileAlreadyExistsException(blobId);
        return files.create(blobId);
    }

    /** Staged or in the table (not a file). */
    private boolean heldHere(String blobId) { return staged.containsKey(blobId) || table().contains(blobId); }

    public int limit() { return limit; }

    public BlobStore files() { return files; }

    /**
     * For the metadata change that publishes {@code blobId}: its bytes if it is a committed small blob not yet in the
     * table, else null. The change puts them in the table, then calls {@link #published}: a concurrent reader finds the
     * blob in one of the two at every instant.
     */
    public byte[] staged(String blobId) { return staged.get(blobId); }

    /** The change that publishes {@code blobId} has put its bytes in the table. */
    public void published(String blobId) { staged.remove(blobId); }

    private Table table() {
        Table t = table;
        if (t == null) throw new IllegalStateException("inline blob table not attached");
        return t;
    }

    @Override
    public BlobWriter create(String blobId) throws IOException {
        BlobIds.requireValid(blobId);
        if (exists(blobId)) throw new FileAlreadyExistsException(blobId);
        return new Writer(blobId);
    }

    @Override
    public BlobReader open(String blobId) throws IOException {
        byte[] b = staged.get(blobId);
        if (b == null) b = table().get(blobId);
        if (b != null) return InMemoryBlobStore.reader(b); // views without copying
        return files.open(blobId);
    }

    @Override
    public boolean delete(String blobId) throws IOException {
        boolean any = staged.remove(blobId) != null;
        any |= table().remove(blobId);
        any |= files.delete(blobId);
        return any;
    }

    @Override
    public boolean exists(String blobId) throws IOException {
        return heldHere(blobId) || files.exists(blobId);
    }

    @Override
    public List<String> list() throws IOException {
        List<String> ids = new ArrayList<>();
        forEachBatch(ids::addAll);
        ids.sort(null);
        return ids;
    }

    @Override
    public void forEachBatch(Consumer<List<String>> batch) throws IOException {
        files.forEachBatch(batch);
        table().forEachBatch(batch);
        List<String> s = new ArrayList<>(staged.keySet());
        if (!s.isEmpty()) batch.accept(s);
    }

    @Override
    public long usableSpace() throws IOException { return files.usableSpace(); }

    @Override
    public String toString() { return "InliningBlobStore[" + files + ", up to " + limit + " bytes inline]"; }

    /** Buffers up to the limit; past it, becomes a file blob holding what was buffered. */
    private final class Writer implements BlobWriter {
        private final String blobId;
        private byte[] buf = new byte[Math.min(limit, 4096)];
        private int count;
        private BlobWriter file;
        private boolean committed;
        private boolean aborted;

        Writer(String blobId) { this.blobId = blobId; }

        @Override
        public String blobId() { return blobId; }

        @Override
        public long size() { return file != null ? file.size() : count; }

        @Override
        public boolean isOpen() { return !committed && !aborted; }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!isOpen()) throw new IllegalStateException("blob " + blobId + " is already " + (committed ? "committed" : "aborted"));
            int n = src.remaining();
            if (file == null && (long) count + n > limit) toFile();
            if (file != null) {
                while (src.hasRemaining()) file.write(src);
                return n;
            }
            if (count + n > buf.length) buf = Arrays.copyOf(buf, Math.min(limit, Math.max(count + n, buf.length * 2)));
            src.get(buf, count, n);
            count += n;
            return n;
        }

        @Override
        public void commit() throws IOException {
            if (committed) return;
            BlobWriter f = settle();
            if (f != null) f.commit();
            committed = true;
        }

        @Override
        public Deferred commitDeferred() throws IOException {
            if (committed) return Deferred.NONE;
            BlobWriter f = settle();
            Deferred d = f != null ? f.commitDeferred() : Deferred.NONE;
            committed = true;
            return d;
        }

        /** The first step of a commit: stages a small blob (null), or returns the file blob the caller commits. */
        private BlobWriter settle() throws IOException {
            if (aborted) throw new IllegalStateException("blob " + blobId + " was aborted");
            if (file == null && !inline()) toFile();
            if (file == null) stage();
            return file;
        }

        /** Whether this small blob may go to the table: a limit above 0 and room in the metadata store. */
        private boolean inline() { return limit > 0 && inlineAllowed.getAsBoolean(); }

        /** Becomes a file blob holding what was buffered. */
        private void toFile() throws IOException {
            file = files.create(blobId);
            ByteBuffer held = ByteBuffer.wrap(buf, 0, count);
            while (held.hasRemaining()) file.write(held);
            buf = null;
        }

        /** Durable with the metadata commit that publishes it, which takes it from here. */
        private void stage() {
            staged.put(blobId, count == buf.length ? buf : Arrays.copyOf(buf, count));
            buf = null;
        }

        @Override
        public void abort() throws IOException {
            if (committed || aborted) return;
            aborted = true;
            buf = null;
            if (file != null) file.abort();
        }

        @Override
        public void close() throws IOException { abort(); }
    }
}
