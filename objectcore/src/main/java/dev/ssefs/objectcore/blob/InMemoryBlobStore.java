package dev.ssefs.objectcore.blob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Blobs in heap memory, for tests and benchmarks. Uncommitted blobs are listed (as on disk) until committed or
 * aborted; {@link #open} sees only committed ones.
 */
public final class InMemoryBlobStore implements BlobStore {
    private final ConcurrentMap<String, byte[]> committed = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Boolean> pending = new ConcurrentHashMap<>();

    @Override
    public BlobWriter create(String blobId) throws IOException {
        BlobIds.requireValid(blobId);
        if (committed.containsKey(blobId) || pending.putIfAbsent(blobId, Boolean.TRUE) != null) {
            throw new FileAlreadyExistsException(blobId);
        }
        return new Writer(blobId);
    }

    @Override
    public BlobReader open(String blobId) throws IOException {
        BlobIds.requireValid(blobId);
        byte[] b = committed.get(blobId);
        if (b == null) throw new NoSuchFileException(blobId);
        return reader(b);
    }

    /** A reader over bytes already in memory. */
    public static BlobReader reader(byte[] bytes) {
        return new BlobReader() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public int read(long position, ByteBuffer dst) {
                if (position < 0) throw new IllegalArgumentException("negative position");
                if (position >= bytes.length) return dst.hasRemaining() ? -1 : 0;
                int n = (int) Math.min(dst.remaining(), bytes.length - position);
                dst.put(bytes, (int) position, n);
                return n;
            }

            @Override
            public ByteBuffer view(long position, int length) throws java.io.EOFException {
                if (position < 0 || length < 0) throw new IllegalArgumentException("negative position or length");
                if (position + length > bytes.length) {
                    throw new java.io.EOFException("blob ends at " + bytes.length + ", before " + (position + length));
                }
                return ByteBuffer.wrap(bytes, (int) position, length).slice(); // zero-copy; callers only read
            }

            @Override
            public void close() {}
        };
    }

    /** A copy of a committed blob's bytes, or null. */
    public byte[] bytes(String blobId) {
        byte[] b = committed.get(BlobIds.requireValid(blobId));
        return b == null ? null : b.clone();
    }

    /** Replaces a committed blob's bytes (tamper tests). */
    public void replace(String blobId, byte[] bytes) throws NoSuchFileException {
        if (committed.replace(BlobIds.requireValid(blobId), bytes.clone()) == null) throw new NoSuchFileException(blobId);
    }

    @Override
    public boolean delete(String blobId) {
        BlobIds.requireValid(blobId);
        return committed.remove(blobId) != null;
    }

    @Override
    public boolean exists(String blobId) {
        return committed.containsKey(BlobIds.requireValid(blobId)) || pending.containsKey(blobId);
    }

    @Override
    public List<String> list() {
        List<String> ids = new ArrayList<>(committed.keySet());
        ids.addAll(pending.keySet());
        Collections.sort(ids);
        return ids;
    }

    private final class Writer implements BlobWriter {
        private final String blobId;
        private byte[] buf = new byte[4096];
        private int size;
        private boolean done;
        private boolean isCommitted;

        Writer(String blobId) {
            this.blobId = blobId;
        }

        @Override
        public String blobId() {
            return blobId;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public int write(ByteBuffer src) {
            if (done) throw new IllegalStateException("blob " + blobId + " is closed");
            int n = src.remaining();
            if ((long) size + n > Integer.MAX_VALUE - 8) throw new IllegalStateException("in-memory blob too large");
            if (size + n > buf.length) buf = Arrays.copyOf(buf, Math.max(size + n, (int) Math.min(Integer.MAX_VALUE - 8, buf.length * 2L)));
            src.get(buf, size, n);
            size += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return !done;
        }

        @Override
        public void commit() {
            if (isCommitted) return;
            if (done) throw new IllegalStateException("blob " + blobId + " was aborted");
            done = true;
            isCommitted = true;
            committed.put(blobId, Arrays.copyOf(buf, size));
            pending.remove(blobId);
        }

        @Override
        public void abort() {
            if (done) return;
            done = true;
            pending.remove(blobId);
        }

        @Override
        public void close() {
            abort();
        }
    }
}
