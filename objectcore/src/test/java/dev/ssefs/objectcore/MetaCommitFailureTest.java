package dev.ssefs.objectcore;

import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.objectcore.blob.FileBlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A meta.db commit that fails part-way (full disk, EIO) must have exactly one outcome: committed (then the caller sees
 * success and the new blob stays) or not (then the caller sees the error and the old version with its blob stays).
 * Review finding 2: a failure after the journal was forced used to be reported as a failure and the new blob deleted,
 * while the journal replay published it: both versions lost.
 */
@DisplayName("meta.db commit failures: the outcome is never ambiguous")
class MetaCommitFailureTest {
    static final String B = "bucket";
    @TempDir Path dir;
    final MutableClock clock = new MutableClock();
    final FaultyChannels channels = new FaultyChannels();
    EmbeddedKms kms;
    EmbeddedObjectStore store;

    @BeforeEach
    void open() throws Exception {
        kms = StoreFixture.openKms(dir, clock);
        store = openStore(channels);
        store.as("root").createBucket(B, null);
    }

    EmbeddedObjectStore openStore(FaultyChannels ch) throws Exception {
        Path blobs = dir.resolve("blobs");
        Files.createDirectories(blobs);
        return EmbeddedObjectStore.open(dir, blobStore(blobs), kms, clock,
                EmbeddedObjectStore.Options.defaults(), ch);
    }

    /** Every blob a file here; {@link MetaCommitFailureInlineTest} runs the same cases with small blobs in meta.db. */
    dev.ssefs.objectcore.blob.BlobStore blobStore(Path blobs) throws Exception { return new FileBlobStore(blobs); }

    @AfterEach
    void close() {
        channels.heal();
        if (store != null) store.close();
        kms.close();
    }

    void reopen() throws Exception {
        channels.heal();
        store.close();
        store = openStore(new FaultyChannels());
        store.awaitReclamation();
    }

    /** The object reads as {@code expected}, and its blob exists. */
    void assertObject(String key, String expected) throws Exception {
        assertEquals(expected, StoreFixture.read(store.as("root"), B, key));
        String blob = store.record(B, key).blobId();
        assertTrue(store.versions.blobs().list().contains(blob), "the blob the index references exists");
        assertTrue(store.as("root").verify(B, null, null).ok());
    }

    @Test
    @DisplayName("applying a forced journal fails (ENOSPC growing meta.db): the put succeeds, the new version is live with its blob, also after reopen")
    void applyFailsAfterJournalForced() throws Exception {
        Oss oss = store.as("root");
        oss.putObject(B, "k", StoreFixture.in("old version"), Map.of());
        channels.fail("meta.db", "write", "No space left on device");
        ObjectMeta m = oss.putObject(B, "k", StoreFixture.in("new version, somewhat longer"), Map.of());
        assertEquals(28, m.size());
        assertObject("k", "new version, somewhat longer");
        assertTrue(Files.exists(dir.resolve("meta.db.journal")), "the durable, unapplied commit stays journaled");

        // while the disk stays full the next commit cannot even apply the previous one: it fails, and is not committed
        RuntimeException notCommitted = assertThrows(RuntimeException.class,
                () -> oss.putObject(B, "other", StoreFixture.in("x"), Map.of()));
        assertFalse(notCommitted instanceof OssException, "an I/O failure, not an OSS error: " + notCommitted);
        assertEquals(404, assertThrows(OssException.class, () -> oss.headObject(B, "other")).httpStatus());
        assertObject("k", "new version, somewhat longer");

        reopen();
        assertObject("k", "new version, somewhat longer");
        assertEquals(404, assertThrows(OssException.class, () -> store.as("root").headObject(B, "other")).httpStatus());
        assertFalse(Files.exists(dir.resolve("meta.db.journal")));
        assertOnlyReferencedBlobs();
    }

    @Test
    @DisplayName("the fault clears: the next commit applies the pending one first, and both are live")
    void applyRetriedBeforeNextCommit() throws Exception {
        Oss oss = store.as("root");
        oss.putObject(B, "k", StoreFixture.in("old"), Map.of());
        channels.fail("meta.db", "force", "Input/output error");
        oss.putObject(B, "k", StoreFixture.in("new"), Map.of());
        channels.heal();
        oss.putObject(B, "j", StoreFixture.in("next"), Map.of());
        assertFalse(Files.exists(dir.resolve("meta.db.journal")));
        assertObject("k", "new");
        assertObject("j", "next");
        reopen();
        assertObject("k", "new");
        assertObject("j", "next");
        assertOnlyReferencedBlobs();
    }

    @Test
    @DisplayName("the journal cannot be forced (EIO): the put fails, the old version stays live with its blob, also after reopen")
    void journalForceFails() throws Exception {
        Oss oss = store.as("root");
        oss.putObject(B, "k", StoreFixture.in("old version"), Map.of());
        channels.fail("meta.db.journal", "force", "Input/output error");
        assertThrows(RuntimeException.class, () -> oss.putObject(B, "k", StoreFixture.in("new version"), Map.of()));
        assertObject("k", "old version");
        assertFalse(Files.exists(dir.resolve("meta.db.journal")), "a journal that was not forced is removed");
        channels.heal();
        oss.putObject(B, "k2", StoreFixture.in("after"), Map.of());
        reopen();
        assertObject("k", "old version");
        assertObject("k2", "after");
        assertOnlyReferencedBlobs();
    }

    void assertOnlyReferencedBlobs() throws Exception {
        Set<String> referenced = new HashSet<>();
        for (String k : List.of("k", "k2", "j", "other")) {
            var r = store.record(B, k);
            if (r != null) referenced.add(r.blobId());
        }
        assertEquals(referenced, new HashSet<>(store.versions.blobs().list()));
    }
}
