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

    /**
     * Closes the blob as committed without forcing it yet (grouped durability): the returned action forces its bytes
     * and directory entry later, and must have run before anything that references the blob is made durable. The
     * default forces at once.
     */
    default Deferred commitDeferred() throws IOException {
        commit();
        return Deferred.NONE;
    }

    /** The forcing left to do for a blob committed with {@link #commitDeferred()}. */
    interface Deferred {
        Deferred NONE = new Deferred() {
            @Override public void forceData() { }

            @Override public void forceDirectories(java.util.Set<Object> done) { }
        };

        /** Forces the blob's bytes (a blob deleted meanwhile needs nothing). */
        void forceData() throws IOException;

        /** Forces the directory entries that name the blob, skipping directories already in {@code done}. */
        void forceDirectories(java.util.Set<Object> done) throws IOException;
    }

    /** Discards the blob. Idempotent; a no-op after {@link #commit()}. */
    void abort() throws IOException;

    /** Aborts unless committed. */
    @Override
    void close() throws IOException;
}
