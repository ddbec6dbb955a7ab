package dev.ssefs.objectcore.blob;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("InliningBlobStore: small blobs in the metadata store, larger ones as files")
class InliningBlobStoreTest {
    static final int LIMIT = 1000;

    /** The metadata store's side, as a map; {@link #publish} is what a metadata change does. */
    static final class MapTable implements InliningBlobStore.Table {
        final Map<String, byte[]> map = new ConcurrentSkipListMap<>();

        @Override public byte[] get(String id) { return map.get(id); }

        @Override public boolean remove(String id) { return map.remove(id) != null; }

        @Override
        public void forEachBatch(Consumer<List<String>> batch) { batch.accept(new ArrayList<>(map.keySet())); }
    }

    InMemoryBlobStore files;
    MapTable table;
    InliningBlobStore store;

    @BeforeEach
    void setUp() {
        files = new InMemoryBlobStore();
        table = new MapTable();
        store = new InliningBlobStore(files, LIMIT);
        store.attach(table);
    }

    static String id(int n) { return String.format("%032x", n); }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} in pieces of {@code piece} bytes and commits. */
    BlobWriter.Deferred put(String id, byte[] data, int piece, boolean deferred) throws IOException {
        BlobWriter w = store.create(id);
        for (int off = 0; off < data.length; off += piece) {
            assertEquals(Math.min(piece, data.length - off), w.write(ByteBuffer.wrap(data, off, Math.min(piece, data.length - off))));
        }
        assertEquals(data.length, w.size());
        if (deferred) return w.commitDeferred();
        w.commit();
        return BlobWriter.Deferred.NONE;
    }

    byte[] read(String id) throws IOException {
        try (BlobReader r = store.open(id)) {
            ByteBuffer b = ByteBuffer.allocate((int) r.size());
            r.readFully(0, b);
            return b.array();
        }
    }

    /** What the metadata change that references {@code id} does. */
    void publish(String id) {
        byte[] b = store.staged(id);
        if (b != null) {
            table.map.put(id, b);
            store.published(id);
        }
    }

    @Nested
    @DisplayName("where a blob goes")
    class Placement {
        @Test
        @DisplayName("up to the limit: staged in memory at commit, no file; the publishing change takes it into the table")
        void small() throws IOException {
            byte[] data = bytes(LIMIT, 1);
            assertEquals(BlobWriter.Deferred.NONE, put(id(1), data, 77, true), "nothing to force: durable with its reference");
            assertFalse(files.exists(id(1)));
            assertArrayEquals(data, read(id(1)), "readable while staged");
            publish(id(1));
            assertArrayEquals(data, table.map.get(id(1)));
            assertNull(store.staged(id(1)), "no longer staged once published");
            assertArrayEquals(data, read(id(1)), "readable from the table");
        }

        @Test
        @DisplayName("one byte past the limit: a file holding everything written, also what was buffered before")
        void large() throws IOException {
            byte[] data = bytes(LIMIT + 1, 2);
            put(id(2), data, 300, false);
            assertTrue(files.exists(id(2)));
            assertNull(store.staged(id(2)));
            assertArrayEquals(data, read(id(2)));
        }

        @Test
        @DisplayName("a single write larger than the limit goes straight to a file")
        void oneBigWrite() throws IOException {
            byte[] data = bytes(5 * LIMIT, 3);
            put(id(3), data, data.length, true);
            assertTrue(files.exists(id(3)));
            assertArrayEquals(data, read(id(3)));
        }

        @Test
        @DisplayName("an empty blob is inline too")
        void empty() throws IOException {
            put(id(4), new byte[0], 1, false);
            publish(id(4));
            assertEquals(0, table.map.get(id(4)).length);
            try (BlobReader r = store.open(id(4))) {
                assertEquals(0, r.size());
                assertEquals(-1, r.read(0, ByteBuffer.allocate(1)));
            }
        }

        @Test
        @DisplayName("limit 0 keeps every blob a file")
        void zeroLimit() throws IOException {
            InliningBlobStore s = new InliningBlobStore(files, 0);
            s.attach(table);
            try (BlobWriter w = s.create(id(5))) {
                w.write(ByteBuffer.wrap(new byte[]{1}));
                w.commit();
            }
            assertTrue(files.exists(id(5)));
        }

        @Test
        @DisplayName("limit 0: an empty blob is a file too, and blobs already in the table stay readable and deletable")
        void zeroLimitKeepsTheTable() throws IOException {
            put(id(6), bytes(10, 6), 10, false);
            publish(id(6));
            InliningBlobStore s = new InliningBlobStore(files, 0);
            s.attach(table);
            try (BlobWriter w = s.create(id(7))) {
                w.commit();
            }
            assertTrue(files.exists(id(7)), "an empty blob");
            assertArrayEquals(bytes(10, 6), s.open(id(6)).view(0, 10).array());
            assertTrue(s.delete(id(6)));
            assertFalse(table.map.containsKey(id(6)));
        }

        @Test
        @DisplayName("while the metadata store has no room (too many unsynced bytes) a small blob becomes a file")
        void noRoom() throws IOException {
            boolean[] room = {false};
            store.attach(table, () -> room[0]);
            byte[] data = bytes(100, 8);
            put(id(8), data, 100, true);
            assertTrue(files.exists(id(8)));
            assertNull(store.staged(id(8)));
            assertArrayEquals(data, read(id(8)));
            room[0] = true;
            put(id(9), data, 100, false);
            assertFalse(files.exists(id(9)));
            assertNotNull(store.staged(id(9)));
        }

        @Test
        @DisplayName("createPlaintext: always a file, however small (plain back-to-origin blobs)")
        void createPlaintext() throws IOException {
            try (BlobWriter w = store.createPlaintext(id(12))) {
                w.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
                w.commit();
            }
            assertTrue(files.exists(id(12)));
            assertNull(store.staged(id(12)));
            assertThrows(FileAlreadyExistsException.class, () -> store.createPlaintext(id(12)));
        }

        @Test
        @DisplayName("a negative limit is refused")
        void negativeLimit() {
            assertThrows(IllegalArgumentException.class, () -> new InliningBlobStore(files, -1));
        }
    }

    @Nested
    @DisplayName("the BlobStore contract")
    class Contract {
        @Test
        @DisplayName("create refuses an id that exists staged, in the table or as a file")
        void existingIds() throws IOException {
            put(id(10), bytes(10, 10), 10, false);
            assertThrows(FileAlreadyExistsException.class, () -> store.create(id(10)));
            publish(id(10));
            assertThrows(FileAlreadyExistsException.class, () -> store.create(id(10)));
            put(id(11), bytes(LIMIT * 2, 11), LIMIT * 2, false);
            assertThrows(FileAlreadyExistsException.class, () -> store.create(id(11)));
        }

        @Test
        @DisplayName("abort (or close without commit) leaves nothing, small or large")
        void abort() throws IOException {
            try (BlobWriter w = store.create(id(20))) {
                w.write(ByteBuffer.wrap(bytes(10, 20)));
            }
            try (BlobWriter w = store.create(id(21))) {
                w.write(ByteBuffer.wrap(bytes(LIMIT + 5, 21)));
            }
            assertFalse(store.exists(id(20)));
            assertFalse(store.exists(id(21)));
            assertNull(store.staged(id(20)));
            assertThrows(NoSuchFileException.class, () -> store.open(id(21)));
        }

        @Test
        @DisplayName("writes after commit are refused")
        void writeAfterCommit() throws IOException {
            BlobWriter w = store.create(id(30));
            w.commit();
            assertThrows(IllegalStateException.class, () -> w.write(ByteBuffer.wrap(new byte[1])));
        }

        @Test
        @DisplayName("delete removes a staged blob, a table entry and a file; false when there was nothing")
        void delete() throws IOException {
            put(id(40), bytes(5, 40), 5, false);
            put(id(41), bytes(5, 41), 5, false);
            publish(id(41));
            put(id(42), bytes(LIMIT + 1, 42), LIMIT + 1, false);
            for (int i = 40; i <= 42; i++) {
                assertTrue(store.exists(id(i)));
                assertTrue(store.delete(id(i)));
                assertFalse(store.exists(id(i)));
            }
            assertFalse(store.delete(id(43)));
            assertTrue(table.map.isEmpty());
        }

        @Test
        @DisplayName("list and forEachBatch include files, table entries and staged blobs (so orphans of any kind are reclaimed)")
        void listing() throws IOException {
            put(id(50), bytes(5, 50), 5, false);              // staged
            put(id(51), bytes(5, 51), 5, false);
            publish(id(51));                                   // in the table
            put(id(52), bytes(LIMIT + 1, 52), 400, false);     // a file
            assertEquals(List.of(id(50), id(51), id(52)), store.list());
            List<String> all = new ArrayList<>();
            store.forEachBatch(all::addAll);
            all.sort(null);
            assertEquals(List.of(id(50), id(51), id(52)), all);
        }

        @Test
        @DisplayName("an inline reader reads at any position, views without copying, and reports the end")
        void reader() throws IOException {
            byte[] data = bytes(100, 60);
            put(id(60), data, 100, false);
            try (BlobReader r = store.open(id(60))) {
                ByteBuffer b = ByteBuffer.allocate(30);
                assertEquals(30, r.read(50, b));
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 50, 80), b.array());
                ByteBuffer tail = ByteBuffer.allocate(30);
                assertEquals(20, r.read(80, tail));
                assertEquals(-1, r.read(100, ByteBuffer.allocate(1)));
                ByteBuffer v = r.view(10, 5);
                assertNotNull(v);
                assertTrue(v.hasArray());
                byte[] got = new byte[5];
                v.get(got);
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 10, 15), got);
                assertThrows(java.io.EOFException.class, () -> r.view(98, 5));
            }
        }

        @Test
        @DisplayName("used before the table is attached: a clear error")
        void unattached() {
            InliningBlobStore s = new InliningBlobStore(files, LIMIT);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.open(id(70)));
            assertEquals("inline blob table not attached", e.getMessage());
        }
    }
}
