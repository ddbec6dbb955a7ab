package dev.ssefs.objectcore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static dev.ssefs.objectcore.StoreFixture.h;
import static dev.ssefs.objectcore.StoreFixture.in;
import static dev.ssefs.objectcore.StoreFixture.read;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("EmbeddedObjectStore: objects")
class EmbeddedObjectStoreTest {
    @TempDir Path dir;
    StoreFixture f;
    Oss oss;

    @BeforeEach
    void setUp() {
        f = new StoreFixture(dir);
        oss = f.root();
        oss.createBucket("bk1", new BucketEncryptionRule("AES256", null, null));
    }

    @AfterEach
    void tearDown() { f.close(); }

    @Nested
    @DisplayName("Put, Get, Head, Delete")
    class Basics {
        @Test
        @DisplayName("round-trips data, with ETag = upper-case MD5, Content-Type and Content-Length")
        void roundTrip() throws Exception {
            ObjectMeta m = oss.putObject("bk1", "a/b.txt", in("hello"), h("Content-Type", "text/plain"));
            assertEquals("5D41402ABC4B2A76B9719D911017C592", m.etag());
            assertEquals(5, m.size());
            assertEquals("hello", read(oss, "bk1", "a/b.txt"));
            ObjectMeta head = oss.headObject("bk1", "a/b.txt");
            assertEquals("text/plain", head.contentType());
            assertEquals("5", head.responseHeaders().get("Content-Length"));
            assertEquals("\"5D41402ABC4B2A76B9719D911017C592\"", head.responseHeaders().get("ETag"));
        }

        @Test
        @DisplayName("survives a reopen")
        void reopen() throws Exception {
            oss.putObject("bk1", "k", in("persist me"), Map.of());
            f.reopen();
            assertEquals("persist me", read(f.root(), "bk1", "k"));
        }

        @Test
        @DisplayName("overwrite replaces and frees the old blob; delete removes; missing key is 404 NoSuchKey")
        void overwriteDelete() throws Exception {
            oss.putObject("bk1", "k", in("one"), Map.of());
            oss.putObject("bk1", "k", in("two"), Map.of());
            assertEquals("two", read(oss, "bk1", "k"));
            oss.deleteObject("bk1", "k");
            OssException e = assertThrows(OssException.class, () -> oss.headObject("bk1", "k"));
            assertEquals(404, e.httpStatus());
            assertEquals("NoSuchKey", e.code());
            assertEquals("The specified key does not exist. Object: oss://bk1/k", e.getMessage());
            f.reopen();
            assertEquals(0, f.store.reclaimedOnOpen());
        }

        @Test
        @DisplayName("ranges: inclusive, to the end, and 416 InvalidRange")
        void ranges() throws Exception {
            byte[] data = new byte[200_000];
            new Random(1).nextBytes(data);
            oss.putObject("bk1", "r", StoreFixture.in(data), Map.of());
            byte[] got = StoreFixture.readBytes(oss, "bk1", "r", new ByteRange(70_000, 140_000));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 70_000, 140_001), got);
            got = StoreFixture.readBytes(oss, "bk1", "r", new ByteRange(199_990, -1));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 199_990, 200_000), got);
            OssException e = assertThrows(OssException.class, () -> oss.getObject("bk1", "r", new ByteRange(200_000, -1)));
            assertEquals(416, e.httpStatus());
            assertEquals("InvalidRange", e.code());
            e = assertThrows(OssException.class, () -> oss.getObject("bk1", "r", new ByteRange(10, 5)));
            assertEquals("InvalidRange", e.code());
        }
    }

    @Nested
    @DisplayName("The mount's extras")
    class MountExtras {
        @Test
        @DisplayName("newWriter streams a version visible only after commit; openReader reads at any position")
        void writerReader() throws Exception {
            byte[] data = new byte[300_000];
            new Random(2).nextBytes(data);
            PosixAttributes attrs = new PosixAttributes(0100644, 1000, 1000, 1, 2, 3, null);
            try (Oss.ObjectWriter w = oss.newWriter("bk1", "f", Map.of(), attrs)) {
                w.write(ByteBuffer.wrap(data, 0, 100_000));
                assertThrows(OssException.class, () -> oss.headObject("bk1", "f"));
                w.write(ByteBuffer.wrap(data, 100_000, 200_000));
                ObjectMeta m = w.commit();
                assertEquals(300_000, m.size());
                assertEquals(attrs, m.posix());
            }
            try (Oss.ObjectReader r = oss.openReader("bk1", "f")) {
                ByteBuffer b = ByteBuffer.allocate(4096);
                assertEquals(4096, r.read(65_000, b));
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 65_000, 69_096), b.array());
                assertEquals(-1, r.read(300_000, ByteBuffer.allocate(10)));
            }
        }

        @Test
        @DisplayName("a writer closed without commit publishes nothing")
        void abortWriter() throws Exception {
            try (Oss.ObjectWriter w = oss.newWriter("bk1", "g", Map.of(), null)) {
                w.write(ByteBuffer.wrap("xyz".getBytes(StandardCharsets.UTF_8)));
            }
            assertThrows(OssException.class, () -> oss.headObject("bk1", "g"));
            f.reopen();
            assertEquals(0, f.store.reclaimedOnOpen());
        }

        @Test
        @DisplayName("rename of a key and of a whole prefix is metadata-only and replaces targets")
        void rename() throws Exception {
            oss.putObject("bk1", "d/x", in("x"), Map.of());
            oss.putObject("bk1", "d/y", in("y"), Map.of());
            oss.putObject("bk1", "e/x", in("old"), Map.of());
            oss.rename("bk1", "d/", "e/", true);
            assertEquals("x", read(oss, "bk1", "e/x"));
            assertEquals("y", read(oss, "bk1", "e/y"));
            assertThrows(OssException.class, () -> oss.headObject("bk1", "d/x"));
            oss.rename("bk1", "e/x", "z", false);
            assertEquals("x", read(oss, "bk1", "z"));
            OssException e = assertThrows(OssException.class, () -> oss.rename("bk1", "nope", "z2", false));
            assertEquals("NoSuchKey", e.code());
        }

        @Test
        @DisplayName("updateMetadata changes POSIX attributes and user metadata only")
        void updateMetadata() throws Exception {
            oss.putObject("bk1", "m", in("data"), h("x-oss-meta-A", "1"));
            PosixAttributes p = new PosixAttributes(0100600, 5, 6, 7, 8, 9, null);
            ObjectMeta m = oss.updateMetadata("bk1", "m", p, null);
            assertEquals(p, m.posix());
            assertEquals(Map.of("x-oss-meta-a", "1"), m.userMetadata());
            m = oss.updateMetadata("bk1", "m", null, Map.of("x-oss-meta-B", "2"));
            assertEquals(Map.of("x-oss-meta-b", "2"), m.userMetadata());
            assertEquals(p, m.posix());
            assertEquals("data", read(oss, "bk1", "m"));
        }
    }

    @Nested
    @DisplayName("Small objects in meta.db")
    class InlineBlobs {
        dev.ssefs.objectcore.blob.FileBlobStore files() throws Exception {
            return new dev.ssefs.objectcore.blob.FileBlobStore(dir.resolve("blobs"));
        }

        byte[] random(int n, long seed) {
            byte[] b = new byte[n];
            new Random(seed).nextBytes(b);
            return b;
        }

        @Test
        @DisplayName("an object whose blob fits the inline limit has no file; a larger one does; both read back after reopen")
        void placement() throws Exception {
            byte[] small = random(20_000, 1);
            byte[] large = random(EmbeddedObjectStore.Options.DEFAULT_INLINE_LIMIT + 1, 2);
            oss.putObject("bk1", "small", StoreFixture.in(small), Map.of());
            oss.putObject("bk1", "large", StoreFixture.in(large), Map.of());
            String smallBlob = f.store.record("bk1", "small").blobId();
            String largeBlob = f.store.record("bk1", "large").blobId();
            assertFalse(files().exists(smallBlob), "small: in meta.db");
            assertTrue(files().exists(largeBlob), "large: a file");
            f.reopen();
            assertArrayEquals(small, StoreFixture.readBytes(f.root(), "bk1", "small", null));
            assertArrayEquals(large, StoreFixture.readBytes(f.root(), "bk1", "large", null));
            assertArrayEquals(java.util.Arrays.copyOfRange(small, 16_000, 16_500),
                    StoreFixture.readBytes(f.root(), "bk1", "small", new ByteRange(16_000, 16_499)), "a range across a chunk boundary");
            assertTrue(f.root().verify("bk1", null, null).ok());
            assertEquals(0, f.store.awaitReclamation(), "nothing of either is an orphan");
        }

        @Test
        @DisplayName("overwrite and delete free the inline bytes at once (each-change durability), nothing left after reopen")
        void freed() throws Exception {
            oss.putObject("bk1", "k", in("v1"), Map.of());
            String v1 = f.store.record("bk1", "k").blobId();
            oss.putObject("bk1", "k", in("v2"), Map.of());
            assertFalse(f.store.versions.blobs().exists(v1));
            String v2 = f.store.record("bk1", "k").blobId();
            oss.deleteObject("bk1", "k");
            assertFalse(f.store.versions.blobs().exists(v2));
            f.reopen();
            assertEquals(0, f.store.awaitReclamation());
            assertTrue(f.store.versions.blobs().list().isEmpty());
        }

        @Test
        @DisplayName("reopened with inline limit 0: small objects already in meta.db stay readable and deletable; new ones are files")
        void limitZeroKeepsExisting() throws Exception {
            oss.putObject("bk1", "old", in("stored in meta.db"), Map.of());
            String oldBlob = f.store.record("bk1", "old").blobId();
            assertFalse(files().exists(oldBlob));
            f.close();
            f.kms = StoreFixture.openKms(dir, f.clock);
            f.store = EmbeddedObjectStore.open(dir, f.kms, f.clock, EmbeddedObjectStore.Options.defaults().withInlineLimit(0));
            Oss o = f.store.as("root");
            assertEquals("stored in meta.db", read(o, "bk1", "old"));
            assertTrue(o.verify("bk1", null, null).ok());
            o.putObject("bk1", "new", in("a file now"), Map.of());
            assertTrue(files().exists(f.store.record("bk1", "new").blobId()));
            o.deleteObject("bk1", "old");
            assertFalse(f.store.versions.blobs().exists(oldBlob), "deleted from meta.db");
            assertEquals(0, f.store.awaitReclamation());
        }

        @Test
        @DisplayName("back-to-origin objects (stored plain) are files, never in meta.db")
        void plainNeverInline(@org.junit.jupiter.api.io.TempDir Path origin) throws Exception {
            java.nio.file.Files.writeString(origin.resolve("small.txt"), "mirrored plaintext");
            oss.createBucket("mirror", new BucketEncryptionRule("KMS", null, null));
            oss.putBucketOrigin("mirror", origin.toString());
            assertEquals("mirrored plaintext", read(oss, "mirror", "small.txt"));
            assertTrue(files().exists(f.store.record("mirror", "small.txt").blobId()));
        }

        @Test
        @DisplayName("a copy is a small blob of its own: deleting the source keeps the copy readable")
        void copies() throws Exception {
            oss.putObject("bk1", "src", in("shared small content"), Map.of());
            oss.copyObject("bk1", "src", "bk1", "dst", Map.of());
            oss.deleteObject("bk1", "src");
            f.reopen();
            assertEquals("shared small content", read(f.root(), "bk1", "dst"));
            assertTrue(f.root().verify("bk1", null, null).ok());
        }

        @Test
        @DisplayName("meta.db holds the encrypted blob, never the plaintext")
        void noPlaintextInMetaDb() throws Exception {
            byte[] marker = "PLAINTEXT-MARKER-that-must-not-reach-disk-0123456789".getBytes(StandardCharsets.UTF_8);
            byte[] body = new byte[4000];
            for (int i = 0; i + marker.length <= body.length; i += marker.length) System.arraycopy(marker, 0, body, i, marker.length);
            oss.putObject("bk1", "secret", StoreFixture.in(body), Map.of());
            assertFalse(files().exists(f.store.record("bk1", "secret").blobId()), "the object is inline");
            f.reopen();
            assertArrayEquals(body, StoreFixture.readBytes(f.root(), "bk1", "secret", null));
            f.close();
            byte[] db = java.nio.file.Files.readAllBytes(dir.resolve("meta.db"));
            assertEquals(-1, com.google.common.primitives.Bytes.indexOf(db, java.util.Arrays.copyOf(marker, 24)), "plaintext found in meta.db");
            f.open();
        }
    }

    @Nested
    @DisplayName("Data dir")
    class DataDir {
        @Test
        @DisplayName("directories are 0700 and files 0600, WAL files included, after writes and a reopen")
        void modes() throws Exception {
            for (int i = 0; i < 20; i++) oss.putObject("bk1", "k" + i, in("x" + i), Map.of());
            f.reopen();
            f.root().putObject("bk1", "after", in("y"), Map.of());
            try (var s = java.nio.file.Files.walk(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String mode = java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(p));
                    if (p.equals(dir)) continue;
                    if (java.nio.file.Files.isDirectory(p)) assertEquals("rwx------", mode, p.toString());
                    else assertEquals("rw-------", mode, p.toString());
                }
            }
        }

        @Test
        @DisplayName("runs on a blob store in Jimfs (meta.db on disk)")
        void jimfsBlobs() throws Exception {
            try (var fs = com.google.common.jimfs.Jimfs.newFileSystem(com.google.common.jimfs.Configuration.unix())) {
                Path metaDir = dir.resolve("jimfs-meta");
                var blobs = new dev.ssefs.objectcore.blob.FileBlobStore(fs.getPath("/blobs"));
                try (EmbeddedObjectStore s = EmbeddedObjectStore.open(metaDir, blobs, f.kms, java.time.Clock.systemUTC())) {
                    Oss o = s.as("root");
                    o.createBucket("jim", new BucketEncryptionRule("SM4", null, null));
                    byte[] data = new byte[150_000];
                    new Random(3).nextBytes(data);
                    o.putObject("jim", "x", StoreFixture.in(data), Map.of());
                    assertArrayEquals(data, StoreFixture.readBytes(o, "jim", "x", null));
                    assertEquals(1, blobs.list().size());
                    o.deleteObject("jim", "x");
                    assertEquals(0, blobs.list().size());
                }
            }
        }

        private void plantOrphan() throws Exception {
            var disk = new dev.ssefs.objectcore.blob.FileBlobStore(dir.resolve("blobs"));
            try (var orphan = disk.create("0123456789abcdef0123456789abcdef")) {
                orphan.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
                orphan.commit();
            }
        }

        private boolean orphanExists() throws Exception {
            return new dev.ssefs.objectcore.blob.FileBlobStore(dir.resolve("blobs")).exists("0123456789abcdef0123456789abcdef");
        }

        @Test
        @DisplayName("a reclaim delay (the mount daemon's) starts reclamation that much after open, and it still runs")
        void reclaimDelay() throws Exception {
            f.close();
            plantOrphan();
            f.kms = StoreFixture.openKms(dir, f.clock);
            long t0 = System.nanoTime();
            f.store = EmbeddedObjectStore.open(dir, f.kms, f.clock,
                    EmbeddedObjectStore.Options.defaults().withReclaimDelay(java.time.Duration.ofMillis(600)));
            assertTrue(orphanExists(), "not yet");
            assertEquals(1, f.store.awaitReclamation());
            assertTrue(System.nanoTime() - t0 >= 600_000_000L, "not before the delay");
            assertFalse(orphanExists());
        }

        @Test
        @DisplayName("closing before a delayed reclamation started skips it (the next open reclaims), without waiting")
        void closedBeforeReclaimDelay() throws Exception {
            f.close();
            plantOrphan();
            f.kms = StoreFixture.openKms(dir, f.clock);
            f.store = EmbeddedObjectStore.open(dir, f.kms, f.clock,
                    EmbeddedObjectStore.Options.defaults().withReclaimDelay(java.time.Duration.ofHours(1)));
            long t0 = System.nanoTime();
            f.store.close();
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "close does not wait for the delay");
            assertEquals(0, f.store.awaitReclamation());
            assertTrue(orphanExists(), "left for the next open");
            f.store = EmbeddedObjectStore.open(dir, f.kms, f.clock);
            assertEquals(1, f.store.awaitReclamation());
            assertFalse(orphanExists());
        }

        @Test
        @DisplayName("a negative reclaim delay is refused")
        void negativeReclaimDelay() {
            assertThrows(IllegalArgumentException.class,
                    () -> EmbeddedObjectStore.Options.defaults().withReclaimDelay(java.time.Duration.ofMillis(-1)));
        }

        @Test
        @DisplayName("background reclamation deletes pre-open orphans but never a blob being written meanwhile")
        void reclamationGuard() throws Exception {
            f.close();
            f = StoreFixture.filesOnly(dir); // reopened below on a plain file blob store
            oss = f.root();
            oss.putObject("bk1", "kept", in("kept"), Map.of());
            f.close();
            var disk = new dev.ssefs.objectcore.blob.FileBlobStore(dir.resolve("blobs"));
            try (var orphan = disk.create("0123456789abcdef0123456789abcdef")) {
                orphan.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
                orphan.commit();
            }
            var release = new java.util.concurrent.CountDownLatch(1);
            dev.ssefs.objectcore.blob.BlobStore gated = new dev.ssefs.objectcore.blob.BlobStore() {
                public dev.ssefs.objectcore.blob.BlobWriter create(String id) throws java.io.IOException { return disk.create(id); }
                public dev.ssefs.objectcore.blob.BlobReader open(String id) throws java.io.IOException { return disk.open(id); }
                public boolean delete(String id) throws java.io.IOException { return disk.delete(id); }
                public boolean exists(String id) throws java.io.IOException { return disk.exists(id); }
                public java.util.List<String> list() throws java.io.IOException {
                    try { release.await(); } catch (InterruptedException e) { throw new java.io.InterruptedIOException(); }
                    return disk.list();
                }
            };
            f.kms = StoreFixture.openKms(dir, f.clock);
            f.store = EmbeddedObjectStore.open(dir, gated, f.kms, f.clock);
            Oss o = f.store.as("root");
            Oss.ObjectWriter w = o.newWriter("bk1", "during", Map.of(), null);
            w.write(ByteBuffer.wrap("written during reclamation".getBytes(StandardCharsets.UTF_8)));
            release.countDown();
            assertEquals(1, f.store.awaitReclamation(), "only the pre-open orphan");
            assertFalse(disk.exists("0123456789abcdef0123456789abcdef"));
            w.commit();
            assertEquals("written during reclamation", read(o, "bk1", "during"));
            assertEquals("kept", read(o, "bk1", "kept"));
        }

        /** Closes the fixture's store and opens it again on the same data dir with {@code options}; root's view. */
        Oss reopenGrouped(EmbeddedObjectStore.Options options) {
            f.close();
            f.kms = StoreFixture.openKms(dir, f.clock);
            f.store = EmbeddedObjectStore.open(dir, f.kms, f.clock, options);
            return f.store.as("root");
        }

        @Test
        @DisplayName("GROUPED durability: changes visible at once, replaced blobs deleted only after sync, all durable after close")
        void grouped() throws Exception {
            Oss o = reopenGrouped(EmbeddedObjectStore.Options.grouped(java.time.Duration.ofHours(1)));
            o.putObject("bk1", "g", in("v1"), Map.of());
            f.store.sync();
            String v1Blob = f.store.record("bk1", "g").blobId();
            o.putObject("bk1", "g", in("v2"), Map.of());
            assertEquals("v2", read(o, "bk1", "g"));
            assertTrue(f.store.versions.blobs().exists(v1Blob), "the replaced blob stays until the replacing commit is durable");
            f.store.sync();
            assertFalse(f.store.versions.blobs().exists(v1Blob));
            o.putObject("bk1", "h", in("unsynced"), Map.of());
            f.reopen();
            assertEquals("v2", read(f.root(), "bk1", "g"));
            assertEquals("unsynced", read(f.root(), "bk1", "h"), "close commits");
            assertEquals(0, f.store.awaitReclamation(), "no orphan (the blobs here are small: in meta.db)");
        }

        @Test
        @DisplayName("GROUPED durability with a file-system sync: one sync per group instead of a force per blob; after a failed sync the group's blobs are forced one by one")
        void groupedWithFileSystemSync() throws Exception {
            java.util.concurrent.atomic.AtomicInteger syncs = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean failNext = new java.util.concurrent.atomic.AtomicBoolean();
            EmbeddedObjectStore.FileSystemSync fs = () -> {
                syncs.incrementAndGet();
                if (failNext.getAndSet(false)) throw new java.io.IOException("EIO from syncfs");
            };
            // file blobs: a small blob in meta.db needs no file-system sync
            Oss o = reopenGrouped(EmbeddedObjectStore.Options.grouped(java.time.Duration.ofHours(1)).withFileSystemSync(fs).withInlineLimit(0));
            for (int i = 0; i < 5; i++) o.putObject("bk1", "s" + i, in("v" + i), Map.of());
            f.store.sync();
            assertEquals(1, syncs.get(), "one file-system sync for the five new blobs");
            f.store.sync();
            assertEquals(1, syncs.get(), "nothing new: no sync");
            o.putObject("bk1", "s5", in("v5"), Map.of());
            failNext.set(true);
            // syncfs reports an error once (maybe another file's): the group's blobs are then forced one by one,
            // whose own fsyncs report their own errors; here there are none, so the group is durable
            f.store.sync();
            assertEquals(2, syncs.get());
            f.store.sync();
            assertEquals(2, syncs.get(), "nothing new: no sync");
            f.reopen();
            for (int i = 0; i < 6; i++) assertEquals("v" + i, read(f.root(), "bk1", "s" + i));
        }

        @Test
        @DisplayName("GROUPED durability: a copy onto itself that loses its race rolls back nothing of what others published")
        void lostCopyRaceKeepsOthersChanges() throws Exception {
            Oss o = reopenGrouped(EmbeddedObjectStore.Options.grouped(java.time.Duration.ofHours(1)));
            byte[] big = new byte[8 << 20];
            new java.util.Random(5).nextBytes(big);
            for (int round = 0; round < 3; round++) {
                o.putObject("bk1", "k", new java.io.ByteArrayInputStream(big), Map.of());
                java.util.concurrent.CompletableFuture<String> copy = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        // SM4 runs at tens of MB/s: the copy is still reading when k and other change below
                        return o.copyObject("bk1", "k", "bk1", "k", Map.of("x-oss-server-side-encryption", "SM4")).etag();
                    } catch (OssException e) {
                        return e.code();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                Thread.sleep(40);
                o.putObject("bk1", "other", in("other " + round), Map.of());
                o.putObject("bk1", "k", in("fresh " + round), Map.of());
                String outcome = copy.get();
                assertEquals("other " + round, read(o, "bk1", "other"), "round " + round + ", copy: " + outcome);
                assertEquals("fresh " + round, read(o, "bk1", "k"), "round " + round + ", copy: " + outcome);
            }
        }
    }
}
