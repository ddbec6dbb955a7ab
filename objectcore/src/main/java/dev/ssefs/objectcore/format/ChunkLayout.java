package dev.ssefs.objectcore.format;

/**
 * All size and offset arithmetic of the chunked format, in one place (gocryptfs offsets.go style).
 *
 * <pre>
 * blob = header (headerLength bytes) | chunk 0 | chunk 1 | ... | chunk n-1
 * chunk i = nonce (12) | ciphertext (p_i) | tag (16)
 * </pre>
 * Every chunk but the last holds exactly {@code chunkSize} plaintext bytes. The last chunk holds 1..chunkSize bytes,
 * or 0 bytes when the whole plaintext is empty (then it is the only chunk). So a plaintext of size P has
 * {@code max(1, ceil(P / chunkSize))} chunks, and the map from plaintext size to ciphertext size is one-to-one:
 * a ciphertext size that no plaintext size produces is rejected by {@link #plaintextSize(long)}.
 * Immutable and thread-safe.
 */
public final class ChunkLayout {
    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    /** Bytes a chunk adds to its plaintext. */
    public static final int CHUNK_OVERHEAD = NONCE_LENGTH + TAG_LENGTH;
    /** 16 KiB: a random 4 KiB read opens (reads and decrypts) only 16 KiB; sequential I/O batches several chunks per system call. */
    public static final int DEFAULT_CHUNK_SIZE = 16 * 1024;
    public static final int MIN_CHUNK_SIZE = 1;
    /** Chunks are decrypted whole in memory, so keep them small. */
    public static final int MAX_CHUNK_SIZE = 8 * 1024 * 1024;

    private final long headerLength;
    private final int chunkSize;
    private final long sealedChunkSize;

    public ChunkLayout(long headerLength, int chunkSize) {
        if (headerLength < 0) throw new IllegalArgumentException("negative header length " + headerLength);
        if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " outside " + MIN_CHUNK_SIZE + ".." + MAX_CHUNK_SIZE);
        }
        this.headerLength = headerLength;
        this.chunkSize = chunkSize;
        this.sealedChunkSize = (long) chunkSize + CHUNK_OVERHEAD;
    }

    public long headerLength() { return headerLength; }

    /** Plaintext bytes in every chunk but the last. */
    public int chunkSize() { return chunkSize; }

    /** Stored bytes of a full chunk: chunkSize + 28. */
    public long sealedChunkSize() { return sealedChunkSize; }

    /** The chunk holding plaintext byte {@code plaintextOffset}. */
    public long chunkIndex(long plaintextOffset) {
        requireNonNegative(plaintextOffset, "plaintext offset");
        return plaintextOffset / chunkSize;
    }

    /** Number of chunks of a plaintext of this size: at least one (an empty plaintext has one empty final chunk). */
    public long chunkCount(long plaintextSize) {
        requireNonNegative(plaintextSize, "plaintext size");
        if (plaintextSize == 0) return 1;
        return (plaintextSize - 1) / chunkSize + 1;
    }

    public long lastChunkIndex(long plaintextSize) {
        return chunkCount(plaintextSize) - 1;
    }

    /** Plaintext offset of the first byte of chunk {@code index}. */
    public long chunkPlaintextOffset(long index) {
        requireNonNegative(index, "chunk index");
        return Math.multiplyExact(index, (long) chunkSize);
    }

    /** Plaintext bytes in chunk {@code index} of a plaintext of size {@code plaintextSize}. */
    public int chunkPlaintextLength(long index, long plaintextSize) {
        long count = chunkCount(plaintextSize);
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("chunk index " + index + " outside 0.." + (count - 1));
        }
        if (index < count - 1) return chunkSize;
        return (int) (plaintextSize - index * (long) chunkSize);
    }

    /** Stored bytes of chunk {@code index}: its plaintext length + 28. */
    public int chunkCiphertextLength(long index, long plaintextSize) {
        return chunkPlaintextLength(index, plaintextSize) + CHUNK_OVERHEAD;
    }

    /** Blob offset of chunk {@code index} (of its nonce). */
    public long chunkCiphertextOffset(long index) {
        requireNonNegative(index, "chunk index");
        try {
            return Math.addExact(headerLength, Math.multiplyExact(index, sealedChunkSize));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("chunk index " + index + " is beyond any representable blob size", e);
        }
    }

    /** Blob size of a plaintext of this size. @throws IllegalArgumentException when it does not fit in a long */
    public long ciphertextSize(long plaintextSize) {
        long count = chunkCount(plaintextSize);
        try {
            return Math.addExact(headerLength,
                    Math.addExact(plaintextSize, Math.multiplyExact(count, (long) CHUNK_OVERHEAD)));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("plaintext size " + plaintextSize + " is too large for the format", e);
        }
    }

    /** Whether some plaintext size has exactly this blob size. */
    public boolean isValidCiphertextSize(long ciphertextSize) {
        return plaintextSizeOrMinusOne(ciphertextSize) >= 0;
    }

    /**
     * The plaintext size of a blob of {@code ciphertextSize} bytes.
     * @throws IllegalArgumentException when no plaintext size produces this blob size: a truncated or extended blob
     */
    public long plaintextSize(long ciphertextSize) {
        long p = plaintextSizeOrMinusOne(ciphertextSize);
        if (p < 0) {
            throw new IllegalArgumentException("blob size " + ciphertextSize + " cannot come from any plaintext (header "
                    + headerLength + " bytes, chunk " + chunkSize + " + " + CHUNK_OVERHEAD + " bytes): truncated or appended data");
        }
        return p;
    }

    private long plaintextSizeOrMinusOne(long ciphertextSize) {
        long body = ciphertextSize - headerLength;
        if (ciphertextSize < headerLength || body < CHUNK_OVERHEAD) return -1; // no room for even the empty final chunk
        long fullChunks = body / sealedChunkSize;
        long rest = body % sealedChunkSize;
        if (rest == 0) return fullChunks * chunkSize; // last chunk is full
        if (fullChunks == 0) return rest - CHUNK_OVERHEAD; // the only chunk: 0..chunkSize-1 bytes
        if (rest <= CHUNK_OVERHEAD) return -1; // a torn nonce/tag, or an empty chunk after full ones: never written
        return fullChunks * chunkSize + rest - CHUNK_OVERHEAD;
    }

    /**
     * The chunks a plaintext range touches, clamped to the plaintext. An empty result (no chunks) when the range
     * starts at or after the end, or is empty.
     */
    public ChunkRange chunkRange(long offset, long length, long plaintextSize) {
        requireNonNegative(offset, "offset");
        requireNonNegative(length, "length");
        requireNonNegative(plaintextSize, "plaintext size");
        long end = Math.min(plaintextSize, offset + length < 0 ? Long.MAX_VALUE : offset + length); // saturating
        if (offset >= end) return ChunkRange.EMPTY;
        long first = offset / chunkSize;
        long last = (end - 1) / chunkSize;
        long cipherStart = chunkCiphertextOffset(first);
        long cipherEnd = chunkCiphertextOffset(last) + chunkCiphertextLength(last, plaintextSize);
        return new ChunkRange(first, last, offset, end - offset, cipherStart, cipherEnd - cipherStart);
    }

    /**
     * Chunks {@code firstChunk..lastChunk} (inclusive); plaintext range {@code plaintextOffset} + {@code plaintextLength};
     * stored bytes {@code ciphertextOffset} + {@code ciphertextLength} of the blob.
     */
    public record ChunkRange(long firstChunk, long lastChunk, long plaintextOffset, long plaintextLength,
                             long ciphertextOffset, long ciphertextLength) {
        public static final ChunkRange EMPTY = new ChunkRange(0, -1, 0, 0, 0, 0);

        public boolean isEmpty() { return lastChunk < firstChunk; }

        public long chunkCount() { return lastChunk - firstChunk + 1; }
    }

    private static void requireNonNegative(long v, String what) {
        if (v < 0) throw new IllegalArgumentException("negative " + what + " " + v);
    }

    @Override
    public String toString() {
        return "ChunkLayout[header=" + headerLength + ", chunk=" + chunkSize + "]";
    }
}
