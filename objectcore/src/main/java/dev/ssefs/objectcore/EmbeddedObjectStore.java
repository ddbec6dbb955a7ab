package dev.ssefs.objectcore;

import dev.ssefs.keys.KeyManagement;
import dev.ssefs.objectcore.blob.BlobStore;
import dev.ssefs.objectcore.blob.FileBlobStore;
import dev.ssefs.objectcore.internal.DataKeys;
import dev.ssefs.objectcore.internal.MetaStore;
import dev.ssefs.objectcore.internal.ObjectRecord;
import dev.ssefs.objectcore.internal.Origins;
import dev.ssefs.objectcore.internal.Versions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The object store of one data dir: {@code meta.db} (MapDB, transactional) and the blob store under {@code blobs/}.
 * <p>
 * Commit protocol: a new version is streamed (encrypted) into a fresh blob named by its random version id, the blob
 * is forced to disk, and then one MapDB commit publishes it in the index. Only then is the replaced blob deleted.
 * A crash before the commit leaves an unpublished blob, after it an unreferenced one; both are reclaimed when the
 * store is next opened (every blob not referenced by the index is deleted). So after a crash at any instant the old
 * or the new version is readable, never a mix.
 * <p>
 * Concurrency: blob writing, encryption and decryption run in the calling thread without any store-wide lock; only
 * the short index mutation plus MapDB commit is serialised. Concurrent writers of one key: the last commit wins.
 * Appends use an optimistic check at commit (the object must still be the version appended to).
 */
public final class EmbeddedObjectStore implements ObjectStore {
    private static final Logger LOG = Logger.getLogger(EmbeddedObjectStore.class.getName());

    final MetaStore meta;
    final Versions versions;
    final DataKeys keys;
    final KeyManagement kms;
    final Clock clock;
    final Origins origins = new Origins();
    private final int reclaimedOnOpen;

    private EmbeddedObjectStore(MetaStore meta, BlobStore blobs, KeyManagement kms, Clock clock) {
        this.meta = meta;
        this.versions = new Versions(blobs);
        this.keys = new DataKeys(kms);
        this.kms = kms;
        this.clock = clock;
        this.reclaimedOnOpen = reclaim();
    }

    /**
     * Opens (creating if needed) the store in {@code dataDir}: {@code meta.db} and {@code blobs/}. The data dir is
     * made 0700 and meta.db 0600. Blobs never published are reclaimed.
     * @throws IllegalStateException when meta.db is locked by another process or unreadable
     */
    public static EmbeddedObjectStore open(Path dataDir, KeyManagement kms, Clock clock) {
        try {
            createPrivateDir(dataDir);
            Path blobDir = dataDir.resolve("blobs");
            createPrivateDir(blobDir);
            return open(dataDir, new FileBlobStore(blobDir), kms, clock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the object store in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #open(Path, KeyManagement, Clock)} with another blob store (meta.db still lives in {@code dataDir}). */
    public static EmbeddedObjectStore open(Path dataDir, BlobStore blobs, KeyManagement kms, Clock clock) {
        try {
            createPrivateDir(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the object store in " + dataDir + ": " + e.getMessage(), e);
        }
        MetaStore m = new MetaStore(dataDir.resolve("meta.db"));
        try {
            return new EmbeddedObjectStore(m, blobs, kms, clock);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static void createPrivateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException ignored) {
                // not POSIX
            }
        }
    }

    /** Deletes every blob the index does not reference (never published, or freed before a crash). */
    private int reclaim() {
        int n = 0;
        try {
            List<String> all = versions.blobs().list();
            for (String id : all) {
                if (!meta.isLiveBlob(id)) {
                    if (versions.blobs().delete(id)) n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reclaim unpublished blobs: " + e.getMessage(), e);
        }
        if (n > 0) LOG.info("reclaimed " + n + " unpublished or freed blob(s)");
        return n;
    }

    /** How many unreferenced blobs {@link #open} deleted. */
    public int reclaimedOnOpen() { return reclaimedOnOpen; }

    @Override
    public Oss as(String principal) {
        if (principal == null || principal.isEmpty()) throw new IllegalArgumentException("principal must be named");
        return new EmbeddedOss(this, principal);
    }

    /** Best-effort deletion of blobs a commit freed; a failure leaves an orphan reclaimed on the next open. */
    void deleteBlobs(List<String> ids) {
        for (String id : ids) {
            try {
                versions.blobs().delete(id);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "could not delete freed blob " + id + "; it is reclaimed on the next open", e);
            }
        }
    }

    String accountId() { return kms.accountId(); }

    ObjectRecord record(String bucket, String key) { return meta.object(bucket, key); }

    @Override
    public void close() {
        meta.close();
    }
}
