package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.format.ChunkLayout;
import dev.ssefs.objectcore.format.IntegrityException;
import dev.ssefs.objectcore.format.ObjectDecryptor;
import dev.ssefs.objectcore.format.ObjectHeader;

import javax.crypto.AEADBadTagException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

final class V1Decryptor implements ObjectDecryptor {
    /** Per-thread buffers for positional reads, so concurrent reads share no mutable state. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(ChunkLayout.DEFAULT_CHUNK_SIZE));

    private final BlobReader blob;
    private final ObjectHeader header;
    private final ChunkLayout layout;
    private final V1Keys keys;
    private final String objectName;
    private final byte[] versionId;
    private final long blobSize;
    private final long plaintextSize;
    private final long lastChunk;
    private volatile boolean closed;
    /** Identifies this decryptor's chunk in a thread's scratch cache (an id, so the cache keeps nothing reachable). */
    private final long id = NEXT_ID.incrementAndGet();
    private static final java.util.concurrent.atomic.AtomicLong NEXT_ID = new java.util.concurrent.atomic.AtomicLong();

    private V1Decryptor(BlobReader blob, ObjectHeader header, ChunkLayout layout, V1Keys keys, String objectName,
                        long blobSize, long plaintextSize) {
        this.blob = blob;
        this.header = header;
        this.layout = layout;
        this.keys = keys;
        this.objectName = objectName;
        this.versionId = header.versionId();
        this.blobSize = blobSize;
        this.plaintextSize = plaintextSize;
        this.lastChunk = layout.lastChunkIndex(plaintextSize);
    }

    /** The header is authenticated; checks the blob size and authenticates the final chunk, so the size is authentic. */
    static V1Decryptor open(BlobReader blob, ObjectHeader header, ChunkLayout layout, V1Keys keys, String objectName)
            throws IOException {
        long blobSize = blob.size();
        long plaintextSize;
        try {
            plaintextSize = layout.plaintextSize(blobSize);
        } catch (IllegalArgumentException e) {
            throw IntegrityException.size(objectName, e.getMessage());
        }
        V1Decryptor d = new V1Decryptor(blob, header, layout, keys, objectName, blobSize, plaintextSize);
        d.decryptChunk(d.lastChunk, d.scratch());
        return d;
    }

    @Override
    public ObjectHeader header() {
        return header;
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    @Override
    public long plaintextSize() {
        return plaintextSize;
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        if (position < 0) throw new IllegalArgumentException("negative position " + position);
        checkOpen();
        if (!dst.hasRemaining()) return 0;
        if (position >= plaintextSize) return -1;
        ChunkLayout.ChunkRange range = layout.chunkRange(position, dst.remaining(), plaintextSize);
        Scratch s = scratch();
        long end = position + range.plaintextLength();
        // a range over several chunks is read from the blob in one piece (from the first chunk this thread does not
        // hold verified already), then opened chunk by chunk
        long bulkFirst = s.cachedOwner == id && s.cachedIndex == range.firstChunk() ? range.firstChunk() + 1 : range.firstChunk();
        Bulk bulk = range.lastChunk() > bulkFirst ? readBulk(bulkFirst, range.lastChunk()) : null;
        for (long i = range.firstChunk(); i <= range.lastChunk(); i++) {
            // Small sequential reads (4 KiB) hit the same chunk many times: reuse this thread's last verified chunk.
            int n = s.cachedOwner == id && s.cachedIndex == i ? s.cachedLength
                    : bulk != null ? openChunk(i, bulk.bytes, (int) (layout.chunkCiphertextOffset(i) - bulk.first), s) : decryptChunk(i, s);
            long chunkStart = layout.chunkPlaintextOffset(i);
            int from = (int) Math.max(0, position - chunkStart);
            int to = (int) Math.min(n, end - chunkStart);
            dst.put(s.plain, from, to - from);
        }
        return (int) range.plaintextLength();
    }

    @Override
    public void verifyAll() throws IOException {
        checkOpen();
        Scratch s = scratch();
        for (long i = 0; i <= lastChunk; i++) {
            decryptChunk(i, s);
        }
        long now = blob.size();
        if (now != blobSize) {
            throw IntegrityException.size(objectName, "blob changed size from " + blobSize + " to " + now + " while open");
        }
    }

    /**
     * For appending: authenticates chunks {@code 0 .. lastChunk-1} and writes their sealed bytes, unchanged, to
     * {@code target}; then returns the plaintext of the final chunk in {@code lastPlain}.
     * @return the final chunk's plaintext length
     */
    int copyAllButFinalChunk(java.nio.channels.WritableByteChannel target, byte[] lastPlain) throws IOException {
        checkOpen();
        Scratch s = new Scratch(layout.chunkSize());
        for (long i = 0; i < lastChunk; i++) {
            int n = decryptChunk(i, s);
            ByteBuffer out = ByteBuffer.wrap(s.sealedFrom, s.sealedOffset, n + ChunkLayout.CHUNK_OVERHEAD);
            while (out.hasRemaining()) target.write(out);
        }
        int n = decryptChunk(lastChunk, s);
        System.arraycopy(s.plain, 0, lastPlain, 0, n);
        java.util.Arrays.fill(s.plain, (byte) 0);
        s.cachedOwner = 0;
        return n;
    }

    long lastChunkIndex() {
        return lastChunk;
    }

    @Override
    public InputStream newInputStream(long offset, long length) {
        if (offset < 0 || length < 0) throw new IllegalArgumentException("negative offset or length");
        long end = Math.min(plaintextSize, offset + length < 0 ? Long.MAX_VALUE : offset + length);
        return new ChunkStream(Math.min(offset, plaintextSize), end);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        keys.close();
    }

    private void checkOpen() throws IOException {
        if (closed) throw new IOException(objectName + ": decryptor is closed");
    }

    private Scratch scratch() {
        Scratch s = SCRATCH.get();
        if (s.plain.length < layout.chunkSize()) {
            s = new Scratch(layout.chunkSize());
            SCRATCH.set(s);
        }
        return s;
    }

    /**
     * Reads chunk {@code index} and opens it into {@code s.plain}. Returns its plaintext length only once its tag has
     * verified; otherwise throws, and {@code s.plain} must not be used.
     */
    private int decryptChunk(long index, Scratch s) throws IOException {
        s.cachedOwner = 0; // s.plain is about to be overwritten
        int sealedLen = layout.chunkCiphertextLength(index, plaintextSize);
        long offset = layout.chunkCiphertextOffset(index);
        byte[] in = s.sealed;
        int inOff = 0;
        try {
            ByteBuffer mem = blob.view(offset, sealedLen);
            if (mem != null && mem.hasArray()) { // the blob is in memory: decrypt from where it is
                in = mem.array();
                inOff = mem.arrayOffset() + mem.position();
            } else {
                ByteBuffer view = s.sealedView;
                view.clear().limit(sealedLen);
                blob.readFully(offset, view);
            }
        } catch (EOFException e) {
            throw IntegrityException.size(objectName, "blob ends inside chunk " + index + " (truncated while open)");
        }
        return openChunk(index, in, inOff, s);
    }

    /** The sealed bytes of chunks {@code first..last}, read in one piece; null when the blob is in memory or the span is large. */
    private Bulk readBulk(long first, long last) throws IOException {
        long from = layout.chunkCiphertextOffset(first);
        long to = layout.chunkCiphertextOffset(last) + layout.chunkCiphertextLength(last, plaintextSize);
        if (to - from > Bulk.MAX || blob.view(from, 1) != null) return null;
        Bulk b = BULK.get();
        b.first = from;
        ByteBuffer view = ByteBuffer.wrap(b.bytes, 0, (int) (to - from));
        try {
            blob.readFully(from, view);
        } catch (EOFException e) {
            throw IntegrityException.size(objectName, "blob ends inside chunk " + last + " (truncated while open)");
        }
        return b;
    }

    /** Per-thread buffer for multi-chunk reads (sealed bytes only: ciphertext, never plaintext). */
    private static final ThreadLocal<Bulk> BULK = ThreadLocal.withInitial(Bulk::new);

    static final class Bulk {
        static final int MAX = 256 * 1024;
        final byte[] bytes = new byte[MAX];
        long first;
    }

    /**
     * Opens chunk {@code index} from its sealed bytes at {@code in[inOff..]} into {@code s.plain}; returns its plaintext
     * length only once its tag has verified, otherwise throws ({@code s.plain} must then not be used).
     */
    private int openChunk(long index, byte[] in, int inOff, Scratch s) throws IOException {
        s.cachedOwner = 0; // s.plain is about to be overwritten
        int sealedLen = layout.chunkCiphertextLength(index, plaintextSize);
        s.sealedFrom = in;
        s.sealedOffset = inOff;
        boolean last = index == lastChunk;
        FormatV1.chunkAad(s.aad, versionId, index, last);
        try {
            int n = keys.aead.open(s.aad, in, inOff, sealedLen, s.plain, 0);
            if (n != sealedLen - ChunkLayout.CHUNK_OVERHEAD) throw new IllegalStateException("short chunk");
            s.cachedOwner = id;
            s.cachedIndex = index;
            s.cachedLength = n;
            return n;
        } catch (AEADBadTagException e) {
            throw IntegrityException.chunk(objectName, index, lastChunk + 1, last
                    ? "authentication failed (edited, spliced or reordered chunk, or the object was truncated or extended)"
                    : "authentication failed (edited, spliced or reordered chunk, or a former final chunk: truncated or extended)");
        }
    }

    static final class Scratch {
        final byte[] sealed;
        final ByteBuffer sealedView;
        final byte[] plain;
        final byte[] aad = new byte[FormatV1.AAD_LENGTH];
        /** Where the last opened chunk's sealed bytes are: {@link #sealed}, or the blob's own memory. */
        byte[] sealedFrom;
        int sealedOffset;
        /** {@link #plain} holds the verified chunk {@code cachedIndex} of decryptor {@code cachedOwner} (0: nothing). */
        long cachedOwner;
        long cachedIndex;
        int cachedLength;

        Scratch(int chunkSize) {
            this.sealed = new byte[chunkSize + ChunkLayout.CHUNK_OVERHEAD];
            this.sealedView = ByteBuffer.wrap(sealed);
            this.plain = new byte[chunkSize];
        }
    }

    /** Sequential plaintext of [pos, end); decrypts each chunk once, when first reached. */
    private final class ChunkStream extends InputStream {
        private final Scratch s = new Scratch(layout.chunkSize());
        private long pos;
        private final long end;
        private long loaded = -1;
        private int loadedLength;
        private boolean streamClosed;

        ChunkStream(long pos, long end) {
            this.pos = pos;
            this.end = end;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (streamClosed) throw new IOException(objectName + ": stream closed");
            checkOpen();
            if (len == 0) return 0;
            if (pos >= end) return -1;
            int total = 0;
            while (total < len && pos < end) {
                long index = layout.chunkIndex(pos);
                if (index != loaded) {
                    loaded = -1;
                    loadedLength = decryptChunk(index, s);
                    loaded = index;
                }
                int from = (int) (pos - layout.chunkPlaintextOffset(index));
                int n = (int) Math.min(Math.min(loadedLength - from, len - total), end - pos);
                System.arraycopy(s.plain, from, b, off + total, n);
                total += n;
                pos += n;
            }
            return total;
        }

        @Override
        public long skip(long n) {
            if (n <= 0) return 0;
            long k = Math.min(n, end - pos);
            pos += k;
            return k;
        }

        @Override
        public int available() {
            if (loaded < 0 || pos >= end || layout.chunkIndex(pos) != loaded) return 0;
            return (int) Math.min(end - pos, loaded * layout.chunkSize() + loadedLength - pos);
        }

        @Override
        public void close() {
            streamClosed = true;
        }
    }
}
