package dev.ssefs.objectcore;

/**
 * The object store of one data dir ({@code meta.db} plus the blob store), standing on the KMS.
 * Thread-safe; one per process. Open with {@code EmbeddedObjectStore.open(...)}.
 */
public interface ObjectStore extends AutoCloseable {
    Oss as(String principal);

    /**
     * Makes every change made so far durable (meta.db commit forced, freed blobs deleted). A no-op for a store that
     * commits each change durably anyway; with grouped commits (see {@code EmbeddedObjectStore.Durability.GROUPED})
     * this is what an fsync needs.
     */
    default void sync() {}

    /** Closes meta.db. Open readers and writers must be closed first. */
    @Override
    void close();
}
