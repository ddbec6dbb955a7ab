package dev.ssefs.objectcore;

import dev.ssefs.objectcore.blob.BlobStore;
import dev.ssefs.objectcore.blob.FileBlobStore;
import dev.ssefs.objectcore.blob.InliningBlobStore;
import org.junit.jupiter.api.DisplayName;

import java.nio.file.Path;

/** {@link MetaCommitFailureTest}'s cases with the small blobs inside meta.db, in the same failing commits. */
@DisplayName("meta.db commit failures with small objects in meta.db: the outcome is never ambiguous")
class MetaCommitFailureInlineTest extends MetaCommitFailureTest {
    @Override
    BlobStore blobStore(Path blobs) throws Exception {
        return new InliningBlobStore(new FileBlobStore(blobs), EmbeddedObjectStore.Options.DEFAULT_INLINE_LIMIT);
    }
}
