package dev.ssefs.objectcore.blob;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * Where encrypted object bytes live: put (sequential write + commit), ranged get, delete, list. Blobs are immutable
 * once committed. Ids are opaque strings the caller generates (see {@link BlobIds}). A backend on any S3-compatible
 * store can implement this. Implementations are thread-safe.
 */
public interface BlobStore {
    /** Starts a new blob. @throws FileAlreadyExistsException when the id exists */
    BlobWriter create(String blobId) throws IOException;

    /**
     * Starts a new blob whose bytes are plaintext (back-to-origin objects). A store that keeps small blobs inside the
     * metadata store keeps these out of it ({@link InliningBlobStore}); the default is {@link #create}.
     * @throws FileAlreadyExistsException when the id exists
     */
    default BlobWriter createPlaintext(String blobId) throws IOException { return create(blobId); }

    /** @throws NoSuchFileException when there is no such blob */
    BlobReader open(String blobId) throws IOException;

    /** @return whether a blob was deleted */
    boolean delete(String blobId) throws IOException;

    /** Whether a blob with this id is present, committed or not (as in {@link #list()}). */
    boolean exists(String blobId) throws IOException;

    /** Every blob id present, committed or not (to reclaim never-published blobs on open), sorted. */
    List<String> list() throws IOException;

    /**
     * Every blob id, in batches, so that memory stays bounded however many blobs there are (the default hands over
     * {@link #list()} at once). Order is unspecified.
     */
    default void forEachBatch(java.util.function.Consumer<List<String>> batch) throws IOException {
        batch.accept(list());
    }

    /** Bytes available for new blobs, or -1 when unknown. */
    default long usableSpace() throws IOException {
        return -1;
    }
}
