package dev.ssefs.objectcore.blob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Blobs as files under {@code root}, fanned out by the first two characters of the id: {@code root/ab/abcdef...}.
 * Written against java.nio.file only (runs on Jimfs). Files get mode 0600 and directories 0700 where the file
 * system has POSIX permissions. A blob is written in place under its final name: an uncommitted blob left by a crash
 * is still listed by {@link #list()}, so the owner of the metadata can reclaim it.
 */
public final class FileBlobStore implements BlobStore {
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private final Path root;
    private final boolean posix;

    /** Creates {@code root} (mode 0700) if it does not exist. */
    public FileBlobStore(Path root) throws IOException {
        this.root = Objects.requireNonNull(root, "root");
        this.posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(root)) {
            Files.createDirectories(root, dirAttributes());
            if (root.toAbsolutePath().getParent() != null) forceDirectory(root.toAbsolutePath().getParent());
        }
    }

    public Path root() {
        return root;
    }

    /** The file of a blob (for tests and diagnostics). */
    public Path pathOf(String blobId) {
        BlobIds.requireValid(blobId);
        return root.resolve(blobId.substring(0, 2)).resolve(blobId);
    }

    @Override
    public BlobWriter create(String blobId) throws IOException {
        Path file = pathOf(blobId);
        Path dir = file.getParent();
        boolean newDir = false;
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, dirAttributes());
                newDir = true;
            } catch (FileAlreadyExistsException raced) {
                // another writer made it
            }
        }
        FileChannel ch = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                fileAttributes());
        return new FileBlobWriter(blobId, file, ch, newDir);
    }

    @Override
    public BlobReader open(String blobId) throws IOException {
        FileChannel ch = FileChannel.open(pathOf(blobId), StandardOpenOption.READ);
        return new FileBlobReader(ch);
    }

    @Override
    public boolean delete(String blobId) throws IOException {
        return Files.deleteIfExists(pathOf(blobId));
    }

    @Override
    public boolean exists(String blobId) {
        return Files.isRegularFile(pathOf(blobId));
    }

    @Override
    public List<String> list() throws IOException {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                String prefix = dir.getFileName().toString();
                if (prefix.length() != 2 || !Files.isDirectory(dir)) continue;
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    for (Path f : files) {
                        String id = f.getFileName().toString();
                        if (BlobIds.isValid(id) && id.startsWith(prefix)) ids.add(id);
                    }
                }
            }
        }
        Collections.sort(ids);
        return ids;
    }

    /** One fan-out directory at a time (1/256 of the blobs for random ids). */
    @Override
    public void forEachBatch(java.util.function.Consumer<List<String>> batch) throws IOException {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                String prefix = dir.getFileName().toString();
                if (prefix.length() != 2 || !Files.isDirectory(dir)) continue;
                List<String> ids = new ArrayList<>();
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    for (Path f : files) {
                        String id = f.getFileName().toString();
                        if (BlobIds.isValid(id) && id.startsWith(prefix)) ids.add(id);
                    }
                }
                batch.accept(ids);
            }
        }
    }

    @Override
    public long usableSpace() throws IOException {
        return Files.getFileStore(root).getUsableSpace();
    }

    private FileAttribute<?>[] fileAttributes() {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_MODE)} : new FileAttribute<?>[0];
    }

    private FileAttribute<?>[] dirAttributes() {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIR_MODE)} : new FileAttribute<?>[0];
    }

    /**
     * fsync of a directory, so a new entry in it survives a crash. Only the default file system on a POSIX OS can do
     * it (and there it must succeed); elsewhere (Jimfs, Windows) it is skipped.
     */
    static void forceDirectory(Path dir) throws IOException {
        if (dir.getFileSystem() != FileSystems.getDefault()
                || !dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * A large blob starts going to disk while it is still being written (an fdatasync on another thread every this many
     * bytes), so the commit's fsync finds little left to write: disk and encryption overlap instead of taking turns.
     */
    static final long EARLY_WRITEBACK = 32L << 20;

    /** Two threads: at most one write-back per blob is in flight anyway, and each is a device flush. */
    private static final java.util.concurrent.ExecutorService WRITEBACK = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "ssefs-blob-writeback");
        t.setDaemon(true);
        return t;
    });

    private final class FileBlobWriter implements BlobWriter {
        private final String blobId;
        private final Path file;
        private final FileChannel ch;
        private final boolean newDir;
        private long size;
        private long unflushed;
        /** The early write-back in flight (see {@link #EARLY_WRITEBACK}), or null. */
        private java.util.concurrent.Future<?> flushing;
        private boolean committed;
        private boolean aborted;

        FileBlobWriter(String blobId, Path file, FileChannel ch, boolean newDir) {
            this.blobId = blobId;
            this.file = file;
            this.ch = ch;
            this.newDir = newDir;
        }

        @Override
        public String blobId() {
            return blobId;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (committed || aborted) throw new IllegalStateException("blob " + blobId + " is already "
                    + (committed ? "committed" : "aborted"));
            int n = 0;
            while (src.hasRemaining()) n += ch.write(src);
            size += n;
            unflushed += n;
            if (unflushed >= EARLY_WRITEBACK && (flushing == null || flushing.isDone())) {
                unflushed = 0;
                if (flushing != null) awaitFlush(); // reports an earlier write-back failure now
                flushing = WRITEBACK.submit(() -> {
                    ch.force(false);
                    return null;
                });
            }
            return n;
        }

        /** Waits for the early write-back in flight; its failure fails the blob (the bytes may not be on disk). */
        private void awaitFlush() throws IOException {
            java.util.concurrent.Future<?> f = flushing;
            if (f == null) return;
            flushing = null;
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                throw c instanceof IOException io ? io : new IOException("write-back of blob " + blobId + " failed", c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing back blob " + blobId);
            }
        }

        @Override
        public boolean isOpen() {
            return !committed && !aborted;
        }

        @Override
        public void commit() throws IOException {
            if (committed) return;
            if (aborted) throw new IllegalStateException("blob " + blobId + " was aborted");
            try {
                awaitFlush();
                ch.force(true);
                ch.close();
                forceDirectory(file.getParent());
                if (newDir) forceDirectory(root);
                committed = true;
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
        }

        @Override
        public Deferred commitDeferred() throws IOException {
            if (committed) return Deferred.NONE;
            if (aborted) throw new IllegalStateException("blob " + blobId + " was aborted");
            try {
                // an fsync error is reported once per open file: the later forcing, on a new descriptor, would miss it
                awaitFlush();
                ch.close();
                committed = true;
            } catch (IOException | RuntimeException e) {
                abort();
                throw e;
            }
            Path dir = file.getParent();
            boolean madeDir = newDir;
            return new Deferred() {
                @Override
                public void forceData() throws IOException {
                    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        c.force(true);
                    } catch (java.nio.file.NoSuchFileException deleted) {
                        // deleted before it was made durable: nothing references it
                    }
                }

                @Override
                public void forceDirectories(Set<Object> done) throws IOException {
                    if (done.add(dir)) forceDirectory(dir);
                    if (madeDir && done.add(root)) forceDirectory(root);
                }
            };
        }

        @Override
        public void abort() throws IOException {
            if (committed || aborted) return;
            aborted = true;
            try {
                try {
                    awaitFlush();
                } catch (IOException ignored) {
                    // discarded anyway
                }
                ch.close();
            } finally {
                Files.deleteIfExists(file);
            }
        }

        @Override
        public void close() throws IOException {
            abort();
        }
    }

    private static final class FileBlobReader implements BlobReader {
        private final FileChannel ch;

        FileBlobReader(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    @Override
    public String toString() {
        return "FileBlobStore[" + root + "]";
    }

}
