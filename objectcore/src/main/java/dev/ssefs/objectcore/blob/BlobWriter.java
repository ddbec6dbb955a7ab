package dev.ssefs.objectcore.blob;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * Sequential writing of one new blob. Nothing is durable until {@link #commit()}; {@link #close()} without
 * {@link #commit()} aborts. Not thread-safe.
 */
public interface BlobWriter extends WritableByteChannel {
    String blobId();

    /** Bytes written so far. */
    long size();

    /** Forces the blob's bytes and its directory entry to stable storage, then closes it. */
    void commit() throws IOException;

    /** Discards the blob. Idempotent; a no-op after {@link #commit()}. */
    void abort() throws IOException;

    /** Aborts unless committed. */
    @Override
    void close() throws IOException;
}
