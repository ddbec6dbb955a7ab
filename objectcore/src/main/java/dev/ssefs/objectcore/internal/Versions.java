package dev.ssefs.objectcore.internal;

import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.blob.BlobStore;
import dev.ssefs.objectcore.blob.BlobWriter;
import dev.ssefs.objectcore.format.ChunkLayout;
import dev.ssefs.objectcore.format.IntegrityException;
import dev.ssefs.objectcore.format.ObjectDecryptor;
import dev.ssefs.objectcore.format.ObjectEncryptor;
import dev.ssefs.objectcore.format.ObjectFormats;
import dev.ssefs.objectcore.format.ObjectHeader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Object versions in the blob store: one blob per version, named by the version id authenticated in its header.
 * Encrypted versions use the chunked format; back-to-origin versions are plain blobs (the only plaintext at rest,
 * as OSS stores mirrored objects).
 */
public final class Versions {
    private final BlobStore blobs;
    /**
     * While the store reclaims unreferenced blobs in the background, the ids of blobs created meanwhile: the
     * reclaimer must not take them for orphans before they are published. Null once reclamation is done.
     */
    private volatile java.util.Set<String> createdDuringReclaim;

    public Versions(BlobStore blobs) { this.blobs = blobs; }

    /**
     * Grouped durability: committed blobs are closed without an fsync each, and {@link #forcePending()} forces them
     * all together (concurrently, so the file system can share journal commits) before the metadata commit that
     * makes them referenced durably. Null: every blob is forced when it is committed.
     */
    private volatile java.util.concurrent.ConcurrentLinkedQueue<BlobWriter.Deferred> deferred;

    /** Switches to deferred forcing (see {@link #forcePending()}); call before any writer is made. */
    public void deferDurability() { deferDurability(null); }

    /** As {@link #deferDurability()}; with {@code fsSync} set, a group is made durable by one file-system sync. */
    public void deferDurability(dev.ssefs.objectcore.EmbeddedObjectStore.FileSystemSync fsSync) {
        this.fsSync = fsSync;
        deferred = new java.util.concurrent.ConcurrentLinkedQueue<>();
    }

    private volatile dev.ssefs.objectcore.EmbeddedObjectStore.FileSystemSync fsSync;

    /** Parallel fsyncs: one waiting journal commit serves them all. */
    private static final java.util.concurrent.ExecutorService FORCING = java.util.concurrent.Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "ssefs-blob-fsync");
        t.setDaemon(true);
        return t;
    });

    /**
     * Forces every blob committed so far with deferred durability: their bytes (concurrently), then each directory
     * entry once. On failure the blobs stay pending and the error is thrown, so no metadata commit may follow.
     */
    public void forcePending() { takePending().run(); }

    /**
     * Takes the blobs committed so far with deferred durability; the returned task forces them as
     * {@link #forcePending()} does (on failure they are pending again and it throws). Lets a store take them under
     * its lock, together with the metadata that references them, and force them after releasing it.
     */
    public Runnable takePending() {
        java.util.concurrent.ConcurrentLinkedQueue<BlobWriter.Deferred> q = deferred;
        if (q == null || q.isEmpty()) return () -> { };
        java.util.List<BlobWriter.Deferred> batch = new java.util.ArrayList<>();
        for (BlobWriter.Deferred d; (d = q.poll()) != null; ) batch.add(d);
        dev.ssefs.objectcore.EmbeddedObjectStore.FileSystemSync sync = fsSync;
        return () -> force(q, batch, sync);
    }

    private static void force(java.util.Queue<BlobWriter.Deferred> q, java.util.List<BlobWriter.Deferred> batch,
                              dev.ssefs.objectcore.EmbeddedObjectStore.FileSystemSync sync) {
        try {
            if (sync != null) {
                // one syncfs writes every blob's bytes and directory entry: no fsync per file and per directory
                try {
                    sync.sync();
                    return;
                } catch (IOException fsError) {
                    // syncfs reports a write-back error once, and maybe of another file: each blob's own fsync below
                    // still reports its own (a retried syncfs would return 0 for data the kernel dropped)
                }
            }
            // each directory once (a concurrent set): all tasks are awaited, so a skipped one is forced by then
            java.util.Set<Object> done = java.util.concurrent.ConcurrentHashMap.newKeySet();
            if (batch.size() == 1) {
                batch.get(0).forceData();
                batch.get(0).forceDirectories(done);
            } else {
                java.util.List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>(batch.size());
                for (BlobWriter.Deferred d : batch) {
                    fs.add(FORCING.submit(() -> {
                        d.forceData();
                        d.forceDirectories(done);
                        return null;
                    }));
                }
                IOException failed = null;
                for (java.util.concurrent.Future<?> f : fs) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (failed == null) failed = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                    }
                }
                if (failed != null) throw failed;
            }
        } catch (IOException e) {
            q.addAll(batch);
            throw new java.io.UncheckedIOException("cannot force new blobs to disk: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            q.addAll(batch);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while forcing new blobs to disk", e);
        }
    }

    public void startGuard() { createdDuringReclaim = java.util.concurrent.ConcurrentHashMap.newKeySet(); }

    public void endGuard() { createdDuringReclaim = null; }

    /** True if the blob was created by this process since reclamation started. */
    public boolean guarded(String blobId) {
        java.util.Set<String> g = createdDuringReclaim;
        return g != null && g.contains(blobId);
    }

    private String register(byte[] versionId) {
        String id = HexFormat.of().formatHex(versionId);
        java.util.Set<String> g = createdDuringReclaim;
        if (g != null) g.add(id);
        return id;
    }

    public BlobStore blobs() { return blobs; }

    /** A new random 16-byte version id as 32 hex digits; also the blob id. */
    public static byte[] newVersionId() {
        byte[] id = new byte[ObjectHeader.VERSION_ID_LENGTH];
        RANDOM.nextBytes(id);
        return id;
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    public Writer newEncrypted(byte[] versionId, DataKeys.NewKey key, String objectName) throws IOException {
        register(versionId);
        ObjectHeader header = new ObjectHeader(ObjectFormats.LATEST_VERSION, key.cipher(), ChunkLayout.DEFAULT_CHUNK_SIZE,
                versionId, key.keySource(), key.cmkId() == null ? "" : key.cmkId(), key.keyVersionId(), key.wrapped());
        BlobWriter bw = blobs.create(header.versionIdHex());
        try {
            ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(header, key.plaintext(), bw, objectName);
            return new Writer(bw, enc, deferred);
        } catch (IOException | RuntimeException e) {
            bw.abort();
            throw e;
        }
    }

    public Writer newPlain(byte[] versionId) throws IOException {
        return new Writer(blobs.createPlaintext(register(versionId)), null, deferred);
    }

    /** Streams plaintext into a new blob and computes its MD5 (the ETag). */
    public static final class Writer implements AutoCloseable {
        private final BlobWriter blob;
        private final ObjectEncryptor enc;
        private final PipelinedMd5 md5 = new PipelinedMd5();
        private final java.util.Queue<BlobWriter.Deferred> deferred;
        private long size;
        private boolean committed;
        private boolean closed;

        Writer(BlobWriter blob, ObjectEncryptor enc, java.util.Queue<BlobWriter.Deferred> deferred) {
            this.blob = blob;
            this.enc = enc;
            this.deferred = deferred;
        }

        public String blobId() { return blob.blobId(); }

        public long size() { return size; }

        public void write(ByteBuffer src) throws IOException {
            if (closed) throw new IOException("writer is closed");
            md5.update(src);
            int n = src.remaining();
            if (enc != null) {
                while (src.hasRemaining()) enc.write(src);
            } else {
                while (src.hasRemaining()) blob.write(src);
            }
            size += n;
        }

        public void write(byte[] b, int off, int len) throws IOException { write(ByteBuffer.wrap(b, off, len)); }

        /** Streams {@code in} to the end (MD5 pipelined with encryption, see {@link PipelinedMd5}). */
        public void writeAll(InputStream in) throws IOException {
            if (closed) throw new IOException("writer is closed");
            byte[] buf = new byte[256 * 1024];
            for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) write(ByteBuffer.wrap(buf, 0, n));
        }

        /** The plaintext's MD5, or null when it was longer than {@link #limitMd5}. */
        public byte[] md5Digest() { return md5.digest(); }

        /** Computes the MD5 only for content up to {@code limit} bytes (see {@link PipelinedMd5#limit}); before any write. */
        public void limitMd5(long limit) { md5.limit(limit); }

        /** Seals the last chunk and forces the blob to stable storage (deferred durability: queues the forcing). */
        public void commit() throws IOException {
            if (enc != null) {
                enc.finish();
                enc.close();
            }
            if (deferred != null) {
                BlobWriter.Deferred d = blob.commitDeferred();
                if (d != BlobWriter.Deferred.NONE) deferred.add(d); // a small blob in meta.db: nothing to force
            } else {
                blob.commit();
            }
            committed = true;
            closed = true;
        }

        /** Aborts unless committed. */
        @Override
        public void close() {
            if (committed) return;
            closed = true;
            try {
                if (enc != null) enc.close();
            } catch (IOException ignored) {
                // aborting anyway
            }
            try {
                blob.abort();
            } catch (IOException ignored) {
                // an unpublished blob is reclaimed on the next open
            }
        }
    }

    /**
     * The ETag of a version whose content MD5 was not computed: unique to the version (it derives from the random version
     * id), 32 hex digits and a "-1" suffix, the shape OSS gives objects not made by one PutObject, which says it is not
     * the content's MD5 (tools that check ETags against MD5 skip such ETags).
     */
    public static String versionEtag(String blobId) {
        MessageDigest md = md5();
        md.update("ssefs version etag\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        md.update(HexFormat.of().parseHex(blobId));
        return hex(md.digest()) + "-1";
    }

    public static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(byte[] digest) { return HexFormat.of().formatHex(digest).toUpperCase(Locale.ROOT); }

    /** Positional plaintext of one version, authenticated against the index entry. */
    public interface Reader extends AutoCloseable {
        long size();

        int read(long position, ByteBuffer dst) throws IOException;

        void verifyAll() throws IOException;

        InputStream stream(long offset, long length);

        @Override
        void close();
    }

    /**
     * Opens the version the index entry names. The blob's authenticated header must carry that version id, and its
     * authenticated size must equal the indexed size, so a blob swapped for another object's or an older version's
     * fails even when the keys happen to match.
     */
    public Reader open(ObjectRecord r, byte[] dataKey, String objectName) throws IOException {
        BlobReader br = blobs.open(r.blobId());
        try {
            if (r.plain()) {
                long sz = br.size();
                if (sz != r.size()) {
                    throw IntegrityException.size(objectName, "stored " + sz + " bytes, index says " + r.size());
                }
                return new PlainReader(br, r, objectName);
            }
            ObjectDecryptor d = ObjectFormats.open(br, dataKey, objectName);
            if (!d.header().versionIdHex().equals(r.blobId())) {
                d.close();
                throw IntegrityException.header(objectName, "blob holds version " + d.header().versionIdHex()
                        + ", the index expects " + r.blobId());
            }
            if (d.plaintextSize() != r.size()) {
                d.close();
                throw IntegrityException.size(objectName, "authenticated size " + d.plaintextSize() + ", index says " + r.size());
            }
            return new EncryptedReader(br, d);
        } catch (IOException | RuntimeException e) {
            br.close();
            throw e;
        }
    }

    private record EncryptedReader(BlobReader blob, ObjectDecryptor dec) implements Reader {
        public long size() { return dec.plaintextSize(); }

        public int read(long position, ByteBuffer dst) throws IOException { return dec.read(position, dst); }

        public void verifyAll() throws IOException { dec.verifyAll(); }

        public InputStream stream(long offset, long length) { return dec.newInputStream(offset, length); }

        public void close() {
            dec.close();
            try { blob.close(); } catch (IOException ignored) { }
        }
    }

    /** Back-to-origin objects: no authentication at rest, but the size and (on full reads) the MD5 are checked. */
    private static final class PlainReader implements Reader {
        private final BlobReader blob;
        private final ObjectRecord rec;
        private final String name;

        PlainReader(BlobReader blob, ObjectRecord rec, String name) {
            this.blob = blob;
            this.rec = rec;
            this.name = name;
        }

        public long size() { return rec.size(); }

        public int read(long position, ByteBuffer dst) throws IOException {
            if (position >= rec.size()) return dst.hasRemaining() ? -1 : 0;
            ByteBuffer d = dst;
            long left = rec.size() - position;
            if (dst.remaining() > left) d = dst.slice().limit((int) left);
            int total = 0;
            while (d.hasRemaining()) {
                int n = blob.read(position + total, d);
                if (n < 0) throw IntegrityException.size(name, "blob ends early");
                total += n;
            }
            if (d != dst) dst.position(dst.position() + total);
            return total;
        }

        public void verifyAll() throws IOException {
            MessageDigest md = md5();
            ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
            long pos = 0;
            while (pos < rec.size()) {
                buf.clear();
                int n = read(pos, buf);
                buf.flip();
                md.update(buf);
                pos += n;
            }
            if (!hex(md.digest()).equals(rec.etag())) throw IntegrityException.size(name, "content MD5 does not match the ETag");
        }

        public InputStream stream(long offset, long length) {
            return new PositionalInputStream(this::read, offset, Math.min(length, Math.max(0, rec.size() - offset)));
        }

        public void close() { try { blob.close(); } catch (IOException ignored) { } }
    }

    /** A sequential stream over a positional read function. */
    public static final class PositionalInputStream extends InputStream {
        public interface PositionalRead { int read(long position, ByteBuffer dst) throws IOException; }

        private final PositionalRead src;
        private long pos;
        private long left;

        public PositionalInputStream(PositionalRead src, long offset, long length) {
            this.src = src;
            this.pos = offset;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            int n = read(b, 0, 1);
            return n < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (left <= 0) return -1;
            int want = (int) Math.min(len, left);
            int n = src.read(pos, ByteBuffer.wrap(b, off, want));
            if (n <= 0) return -1;
            pos += n;
            left -= n;
            return n;
        }
    }
}
