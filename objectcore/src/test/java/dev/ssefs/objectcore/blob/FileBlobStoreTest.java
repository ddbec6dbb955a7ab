package dev.ssefs.objectcore.blob;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("FileBlobStore")
class FileBlobStoreTest {

    /** The same specification, run on Jimfs and on the real disk. */
    abstract static class Spec {
        BlobStore store;
        Path root;

        abstract Path root() throws IOException;

        @BeforeEach
        void open() throws IOException {
            root = root();
            store = new FileBlobStore(root);
        }

        byte[] put(String id, byte[] data) throws IOException {
            try (BlobWriter w = store.create(id)) {
                w.write(ByteBuffer.wrap(data));
                assertEquals(data.length, w.size());
                w.commit();
            }
            return data;
        }

        @org.junit.jupiter.params.ParameterizedTest(name = "deferred commit: {0}")
        @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
        @DisplayName("a blob larger than several early write-backs, written in odd pieces, reads back whole")
        void pastEarlyWriteBack(boolean deferred) throws IOException {
            int size = (int) (2.5 * FileBlobStore.EARLY_WRITEBACK) + 12345;
            byte[] data = new byte[size];
            new java.util.Random(size).nextBytes(data);
            String id = BlobIds.random();
            try (BlobWriter w = store.create(id)) {
                for (int off = 0; off < size; off += 777_777) w.write(ByteBuffer.wrap(data, off, Math.min(777_777, size - off)));
                if (deferred) {
                    BlobWriter.Deferred d = w.commitDeferred();
                    d.forceData();
                    d.forceDirectories(new java.util.HashSet<>());
                } else {
                    w.commit();
                }
            }
            try (BlobReader r = store.open(id)) {
                ByteBuffer all = ByteBuffer.allocate(size);
                r.readFully(0, all);
                assertArrayEquals(data, all.array());
            }
        }

        @Test
        @DisplayName("aborting a blob while a write-back may be in flight leaves nothing behind")
        void abortPastEarlyWriteBack() throws IOException {
            String id = BlobIds.random();
            try (BlobWriter w = store.create(id)) {
                w.write(ByteBuffer.allocate((int) FileBlobStore.EARLY_WRITEBACK + 1));
            }
            assertFalse(store.exists(id));
        }

        @Test
        @DisplayName("a committed blob reads back: size and positional reads")
        void roundTrip() throws IOException {
            byte[] data = new byte[100_000];
            new java.util.Random(1).nextBytes(data);
            String id = BlobIds.random();
            put(id, data);
            assertTrue(store.exists(id));
            try (BlobReader r = store.open(id)) {
                assertEquals(data.length, r.size());
                ByteBuffer b = ByteBuffer.allocate(10);
                r.readFully(99_990, b);
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 99_990, 100_000), b.array());
                assertEquals(-1, r.read(100_000, ByteBuffer.allocate(1)));
                assertThrows(EOFException.class, () -> r.readFully(99_995, ByteBuffer.allocate(10)));
                ByteBuffer all = ByteBuffer.allocate(data.length);
                r.readFully(0, all);
                assertArrayEquals(data, all.array());
            }
        }

        @Test
        @DisplayName("blobs fan out into subdirectories by the first two characters of the id")
        void fanOut() throws IOException {
            put("abcdef0123", new byte[] {1});
            assertTrue(Files.isRegularFile(root.resolve("ab").resolve("abcdef0123")));
        }

        @Test
        @DisplayName("files get mode 0600 and directories 0700")
        void modes() throws IOException {
            put("cafe0001", new byte[] {1});
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("ca").resolve("cafe0001"))));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("ca"))));
        }

        @Test
        @DisplayName("close() without commit() aborts: the blob is gone")
        void abortOnClose() throws IOException {
            String id = BlobIds.random();
            try (BlobWriter w = store.create(id)) {
                w.write(ByteBuffer.wrap(new byte[10]));
                assertEquals(List.of(id), store.list(), "an uncommitted blob is listed (for reclaiming)");
                assertTrue(store.exists(id));
            }
            assertFalse(store.exists(id));
            assertEquals(List.of(), store.list());
            assertThrows(NoSuchFileException.class, () -> store.open(id));
        }

        @Test
        @DisplayName("abort() is idempotent, a no-op after commit; commit after abort is refused")
        void lifecycle() throws IOException {
            String id = BlobIds.random();
            BlobWriter w = store.create(id);
            w.write(ByteBuffer.wrap(new byte[3]));
            w.commit();
            w.abort();
            w.close();
            assertTrue(store.exists(id));
            assertThrows(IllegalStateException.class, () -> w.write(ByteBuffer.allocate(1)));
            BlobWriter w2 = store.create(BlobIds.random());
            w2.abort();
            w2.abort();
            assertThrows(IllegalStateException.class, w2::commit);
        }

        @Test
        @DisplayName("creating an existing id fails and leaves the blob intact")
        void noOverwrite() throws IOException {
            String id = BlobIds.random();
            put(id, new byte[] {1, 2, 3});
            assertThrows(FileAlreadyExistsException.class, () -> store.create(id));
            try (BlobReader r = store.open(id)) {
                assertEquals(3, r.size());
            }
        }

        @Test
        @DisplayName("list() returns every blob id, sorted; delete() removes one")
        void listAndDelete() throws IOException {
            put("bb000001", new byte[1]);
            put("aa000002", new byte[1]);
            put("aa000001", new byte[1]);
            Files.writeString(root.resolve("stray.txt"), "not a blob");
            Files.createDirectories(root.resolve("zz"));
            Files.writeString(root.resolve("zz").resolve("aa000009"), "wrong fan-out dir");
            assertEquals(List.of("aa000001", "aa000002", "bb000001"), store.list());
            assertTrue(store.delete("aa000002"));
            assertFalse(store.delete("aa000002"));
            assertEquals(List.of("aa000001", "bb000001"), store.list());
        }

        @Test
        @DisplayName("ids that could escape the root or are not canonical are refused")
        void badIds() {
            for (String bad : new String[] {"../../etc/passwd", "..", "ab/cd", "ab\\cd", "", "abc", "ABCDEF01", "-abcdef",
                    "abc.def", "abcd\u0000", "x".repeat(129), null}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.create(bad), bad);
                assertTrue(e.getMessage().startsWith("invalid blob id"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> store.open(bad));
                assertThrows(IllegalArgumentException.class, () -> store.delete(bad));
            }
            assertTrue(BlobIds.isValid(BlobIds.random()));
            assertEquals(32, BlobIds.random().length());
        }

        @Test
        @DisplayName("usable space is reported")
        void space() throws IOException {
            assertTrue(store.usableSpace() > 0);
        }
    }

    @Nested
    @DisplayName("on Jimfs")
    class OnJimfs extends Spec {
        FileSystem fs;

        @Override
        Path root() throws IOException {
            fs = Jimfs.newFileSystem(Configuration.unix().toBuilder().setAttributeViews("basic", "owner", "posix").build());
            return fs.getPath("/data/blobs");
        }

        @AfterEach
        void close() throws IOException {
            fs.close();
        }
    }

    @Nested
    @DisplayName("on the real disk")
    class OnDisk extends Spec {
        @TempDir
        Path tmp;

        @Override
        Path root() {
            return tmp.resolve("blobs");
        }
    }
}
