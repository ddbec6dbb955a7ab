package dev.ssefs.objectcore;

/**
 * The object store of one data dir ({@code meta.db} plus the blob store), standing on the KMS.
 * Thread-safe; one per process. Open with {@code EmbeddedObjectStore.open(...)}.
 */
public interface ObjectStore extends AutoCloseable {
    Oss as(String principal);

    /** Closes meta.db. Open readers and writers must be closed first. */
    @Override
    void close();
}
