package dev.ssefs.objectcore.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("MetaStore's cache of index entries")
class MetaStoreEntryCacheTest {
    @TempDir Path dir;

    static ObjectRecord record(String blobId, long size) {
        return new ObjectRecord(ObjectRecord.NORMAL, false, size, "etag", 1L, "text/plain", "AES256", null, false, "v1",
                new byte[] {1, 2, 3}, blobId, Map.of(), null);
    }

    @Nested
    @DisplayName("the cache itself")
    class Unit {
        @Test
        @DisplayName("a reader's result is kept only if no writer changed anything since it started reading")
        void staleReadsAreNotKept() {
            MetaStore.EntryCache c = new MetaStore.EntryCache(10);
            long g = c.generation();
            c.changed("b/k", new byte[] {2}); // a writer overtakes the reader
            c.offer("b/k", new byte[] {1}, g);
            assertArrayEquals(new byte[] {2}, c.get("b/k"), "the writer's value stays");
            c.clear();
            long g2 = c.generation();
            c.offer("b/k", new byte[] {3}, g2);
            assertArrayEquals(new byte[] {3}, c.get("b/k"));
        }

        @Test
        @DisplayName("a removed or missing key is cached as absent, distinct from unknown")
        void absent() {
            MetaStore.EntryCache c = new MetaStore.EntryCache(10);
            assertNull(c.get("b/x"), "unknown");
            c.offer("b/x", null, c.generation());
            assertSame(MetaStore.EntryCache.ABSENT, c.get("b/x"));
            c.changed("b/y", null);
            assertSame(MetaStore.EntryCache.ABSENT, c.get("b/y"));
        }

        @Test
        @DisplayName("it stays bounded, and a bound of 0 disables it")
        void bounded() {
            MetaStore.EntryCache c = new MetaStore.EntryCache(4);
            for (int i = 0; i < 100; i++) c.changed("b/k" + i, new byte[] {(byte) i});
            assertTrue(c.get("b/k99") != null);
            int cached = 0;
            for (int i = 0; i < 100; i++) if (c.get("b/k" + i) != null) cached++;
            assertTrue(cached <= 4, cached + " entries cached");
            MetaStore.EntryCache off = new MetaStore.EntryCache(0);
            off.changed("b/k", new byte[] {1});
            off.offer("b/k", new byte[] {1}, off.generation());
            assertNull(off.get("b/k"));
        }
    }

    @Nested
    @DisplayName("through MetaStore")
    class Store {
        @Test
        @DisplayName("puts, metadata updates, moves and removes are read back at once")
        void readsFollowWrites() {
            try (MetaStore m = new MetaStore(dir.resolve("meta.db"))) {
                assertNull(m.object("b", "k"), "missing (now cached as absent)");
                m.commit(tx -> { m.putObject(tx, "b", "k", record("aa01", 1)); return null; });
                assertEquals(1, m.object("b", "k").size());
                m.putObjectMetadata("b", "k", record("aa01", 2));
                assertEquals(2, m.object("b", "k").size());
                m.commit(tx -> { m.moveObject(tx, "b", "k", "k2"); return null; });
                assertNull(m.object("b", "k"));
                assertEquals(2, m.object("b", "k2").size());
                MetaStore.Committed<ObjectRecord> c = m.commit(tx -> m.removeObject(tx, "b", "k2"));
                assertEquals(List.of("aa01"), c.freedBlobs());
                assertNull(m.object("b", "k2"));
            }
        }

        @Test
        @DisplayName("a change that fails is rolled back, and the cache does not keep what it wrote")
        void rollbackClears() {
            for (boolean grouped : new boolean[] {false, true}) {
                Path f = dir.resolve("meta-" + grouped + ".db");
                try (MetaStore m = new MetaStore(f, grouped, ids -> { })) {
                    m.commit(tx -> { m.putObject(tx, "b", "k", record("aa01", 1)); return null; });
                    m.sync();
                    assertThrows(IllegalStateException.class, () -> m.commit(tx -> {
                        m.putObject(tx, "b", "k", record("aa02", 2));
                        m.putObject(tx, "b", "new", record("aa03", 3));
                        assertEquals(2, m.object("b", "k").size(), "applied changes are visible to the change itself");
                        throw new IllegalStateException("boom");
                    }));
                    assertEquals(1, m.object("b", "k").size(), "grouped=" + grouped + ": back to the committed entry");
                    assertNull(m.object("b", "new"), "grouped=" + grouped);
                }
                try (MetaStore m = new MetaStore(f)) {
                    assertEquals(1, m.object("b", "k").size());
                    assertNull(m.object("b", "new"));
                }
            }
        }
    }
}
