package dev.ssefs.objectcore.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Streams one object version into its target: the header at creation, then each full chunk as soon as more plaintext
 * follows it (a chunk is held back until it is known whether it is the final one), then the final chunk on
 * {@link #finish()}. Not thread-safe.
 */
public interface ObjectEncryptor extends WritableByteChannel {
    /** Consumes all of {@code src}; returns the number of bytes consumed. */
    @Override
    int write(ByteBuffer src) throws IOException;

    /** Plaintext size of the object so far (for an appender: the existing bytes included). */
    long plaintextSize();

    /**
     * Seals and writes the final chunk (an empty plaintext gets one empty final chunk). Does not close, force or commit
     * the target. Idempotent: later calls return the same result.
     */
    Result finish() throws IOException;

    /**
     * {@link #finish()} if not yet finished, then drops the key material. Does not close the target.
     * On an error path, simply never commit the target: an unfinished blob never verifies.
     */
    @Override
    void close() throws IOException;

    /** What was written: plaintext bytes, stored bytes (header included) and chunks. */
    record Result(long plaintextSize, long ciphertextSize, long chunkCount) {}
}
