package dev.ssefs.objectcore;

import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.blob.FileBlobStore;
import dev.ssefs.objectcore.format.ChunkLayout;
import dev.ssefs.objectcore.format.ObjectFormats;
import dev.ssefs.objectcore.format.ObjectHeader;
import dev.ssefs.objectcore.internal.ObjectRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static dev.ssefs.objectcore.StoreFixture.h;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Edits the stored blobs (and index entries) under a live store: every read must fail with an error naming the
 * object, and never return a wrong byte.
 */
@DisplayName("Tampering with objects at rest")
class TamperTest {
    @TempDir Path dir;
    StoreFixture f;
    Oss oss;

    @BeforeEach
    void setUp() {
        f = StoreFixture.filesOnly(dir); // tampers with blob files (small blobs in meta.db: see InlineTamper)
        oss = f.root();
        oss.createBucket("tamp", new BucketEncryptionRule("AES256", null, null));
    }

    @AfterEach
    void tearDown() { f.close(); }

    Path blobFile(String key) {
        ObjectRecord r = f.store.record("tamp", key);
        return ((FileBlobStore) ((dev.ssefs.objectcore.blob.InliningBlobStore) f.store.versions.blobs()).files()).pathOf(r.blobId());
    }

    ChunkLayout layout(String key) throws IOException {
        ObjectRecord r = f.store.record("tamp", key);
        try (BlobReader br = f.store.versions.blobs().open(r.blobId())) {
            ObjectHeader h = ObjectFormats.readHeader(br, "x");
            return ObjectFormats.latest().layout(h);
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    byte[] put(String key, byte[] data, Map<String, String> headers) throws IOException {
        oss.putObject("tamp", key, StoreFixture.in(data), headers);
        return data;
    }

    /** Every way of reading the object fails naming it; a read that succeeds must return the right bytes. */
    void assertTamperDetected(String key, byte[] original) {
        String name = "oss://tamp/" + key;
        Exception e = assertThrows(Exception.class, () -> {
            ObjectContent c = oss.getObject("tamp", key, null);
            try (InputStream in = c.body()) {
                byte[] got = in.readAllBytes();
                assertArrayEquals(original, got, "a tampered read returned bytes; they must at least be the original ones");
                fail("tampering not detected for " + name);
            }
        });
        assertTrue(e instanceof IOException || e instanceof OssException, () -> "unexpected " + e);
        assertTrue(e.getMessage().contains(name), () -> "error must name the object: " + e.getMessage());
        VerifyReport report = oss.verify("tamp", key, null);
        assertEquals(1, report.failures().size(), () -> "verify must fail " + name);
        assertEquals(name, report.failures().get(0).url());
    }

    /** Reads via the positional reader: wherever a read succeeds, its bytes are the original ones. */
    void assertNoWrongBytes(String key, byte[] original) {
        try (Oss.ObjectReader r = oss.openReader("tamp", key)) {
            for (long pos = 0; pos < original.length; pos += 4096) {
                ByteBuffer b = ByteBuffer.allocate(4096);
                try {
                    int n = r.read(pos, b);
                    if (n > 0) assertArrayEquals(Arrays.copyOfRange(original, (int) pos, (int) pos + n), Arrays.copyOf(b.array(), n));
                } catch (IOException expected) {
                    assertTrue(expected.getMessage().contains("oss://tamp/" + key), expected.getMessage());
                }
            }
        } catch (IOException | OssException e) {
            assertTrue(e.getMessage().contains("oss://tamp/" + key), e.getMessage());
        }
    }

    @Test
    @DisplayName("flipping any single byte of a small object's blob is detected")
    void flipEveryByte() throws Exception {
        byte[] data = put("small", random(100, 1), Map.of());
        Path p = blobFile("small");
        byte[] blob = Files.readAllBytes(p);
        for (int i = 0; i < blob.length; i++) {
            byte[] t = blob.clone();
            t[i] ^= 0x01;
            Files.write(p, t);
            assertTamperDetected("small", data);
        }
        Files.write(p, blob);
        assertArrayEquals(data, StoreFixture.readBytes(oss, "tamp", "small", null));
    }

    @Test
    @DisplayName("flipping bytes of a KMS + SM4 object is detected too")
    void flipKmsSm4() throws Exception {
        byte[] data = put("kms", random(70_000, 2), h("x-oss-server-side-encryption", "KMS", "x-oss-server-side-data-encryption", "SM4"));
        Path p = blobFile("kms");
        byte[] blob = Files.readAllBytes(p);
        Random rnd = new Random(3);
        for (int i = 0; i < 40; i++) {
            int pos = i < 20 ? i * 13 : rnd.nextInt(blob.length);
            byte[] t = blob.clone();
            t[pos] ^= (byte) (1 << rnd.nextInt(8));
            Files.write(p, t);
            assertTamperDetected("kms", data);
        }
    }

    @Nested
    @DisplayName("multi-chunk objects")
    class MultiChunk {
        byte[] data;
        Path p;
        byte[] blob;
        ChunkLayout layout;

        @BeforeEach
        void write() throws Exception {
            data = put("big", random(3 * 65536 + 5000, 4), Map.of());
            p = blobFile("big");
            blob = Files.readAllBytes(p);
            layout = layout("big");
        }

        long chunkStart(int i) { return layout.headerLength() + i * layout.sealedChunkSize(); }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 3})
        @DisplayName("truncation at a chunk boundary is detected")
        void truncateAtBoundary(int chunks) throws Exception {
            Files.write(p, Arrays.copyOf(blob, (int) chunkStart(chunks)));
            assertTamperDetected("big", data);
            assertNoWrongBytes("big", data);
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 17, 65536, 100_000, -1})
        @DisplayName("truncation off chunk boundaries is detected")
        void truncateOffBoundary(int cut) throws Exception {
            int len = cut < 0 ? blob.length - 1 : cut;
            Files.write(p, Arrays.copyOf(blob, len));
            assertTamperDetected("big", data);
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 28, 65536 + 28})
        @DisplayName("appended data is detected")
        void appended(int extra) throws Exception {
            byte[] t = Arrays.copyOf(blob, blob.length + extra);
            Files.write(p, t);
            assertTamperDetected("big", data);
        }

        @Test
        @DisplayName("swapping two chunks is detected")
        void swapChunks() throws Exception {
            byte[] t = blob.clone();
            int a = (int) chunkStart(0);
            int b = (int) chunkStart(1);
            int n = (int) layout.sealedChunkSize();
            System.arraycopy(blob, a, t, b, n);
            System.arraycopy(blob, b, t, a, n);
            Files.write(p, t);
            assertTamperDetected("big", data);
            assertNoWrongBytes("big", data);
        }

        @Test
        @DisplayName("dropping a middle chunk is detected")
        void dropChunk() throws Exception {
            int a = (int) chunkStart(1);
            int n = (int) layout.sealedChunkSize();
            byte[] t = new byte[blob.length - n];
            System.arraycopy(blob, 0, t, 0, a);
            System.arraycopy(blob, a + n, t, a, blob.length - a - n);
            Files.write(p, t);
            assertTamperDetected("big", data);
        }

        @Test
        @DisplayName("a chunk spliced in from another object is detected")
        void spliceFromOtherObject() throws Exception {
            put("other", random(3 * 65536 + 5000, 5), Map.of());
            byte[] other = Files.readAllBytes(blobFile("other"));
            byte[] t = blob.clone();
            int a = (int) chunkStart(1);
            System.arraycopy(other, a, t, a, (int) layout.sealedChunkSize());
            Files.write(p, t);
            assertTamperDetected("big", data);
            assertNoWrongBytes("big", data);
        }

        @Test
        @DisplayName("the blob replaced by another object's blob is detected")
        void swapWithOtherObject() throws Exception {
            put("other", random(3 * 65536 + 5000, 6), Map.of());
            Files.write(p, Files.readAllBytes(blobFile("other")));
            assertTamperDetected("big", data);
        }

        @Test
        @DisplayName("the blob replaced by an older version of the same object is detected, and so is a chunk from it")
        void olderVersion() throws Exception {
            byte[] newer = put("big", random(3 * 65536 + 5000, 7), Map.of());
            Path np = blobFile("big");
            byte[] newBlob = Files.readAllBytes(np);
            Files.write(np, blob);
            assertTamperDetected("big", newer);
            byte[] t = newBlob.clone();
            int a = (int) chunkStart(2);
            System.arraycopy(blob, a, t, a, (int) layout.sealedChunkSize());
            Files.write(np, t);
            assertTamperDetected("big", newer);
        }

        @Test
        @DisplayName("a deleted blob is a clear error naming the object")
        void missingBlob() throws Exception {
            Files.delete(p);
            assertTamperDetected("big", data);
        }
    }

    @Nested
    @DisplayName("a small object's blob inside meta.db")
    class InlineTamper {
        @Test
        @DisplayName("flipping bytes of an inline blob in meta.db is detected (header, wrapped key, chunk and tag)")
        void flipInMetaDb() throws Exception {
            f.close();
            f = new StoreFixture(dir); // small blobs inline
            oss = f.root();
            byte[] data = put("inline", random(3000, 7), Map.of());
            ObjectRecord r = f.store.record("tamp", "inline");
            byte[] blob;
            try (BlobReader br = f.store.versions.blobs().open(r.blobId())) {
                ByteBuffer b = ByteBuffer.allocate((int) br.size());
                br.readFully(0, b);
                blob = b.array();
            }
            FileBlobStore files = (FileBlobStore) ((dev.ssefs.objectcore.blob.InliningBlobStore) f.store.versions.blobs()).files();
            assertFalse(Files.exists(files.pathOf(r.blobId())), "the blob is not a file");
            f.close();
            Path db = dir.resolve("meta.db");
            byte[] original = Files.readAllBytes(db);
            int at = com.google.common.primitives.Bytes.indexOf(original, blob);
            assertTrue(at >= 0, "the blob is stored whole in meta.db");
            Random rnd = new Random(8);
            for (int i = 0; i < 24; i++) {
                int pos = i < 12 ? i * (blob.length / 12) : rnd.nextInt(blob.length);
                byte[] t = original.clone();
                t[at + pos] ^= (byte) (1 << rnd.nextInt(8));
                Files.write(db, t);
                f.open();
                oss = f.root();
                assertTamperDetected("inline", data);
                f.close();
            }
            Files.write(db, original);
            f.open();
            oss = f.root();
            assertArrayEquals(data, StoreFixture.readBytes(oss, "tamp", "inline", null));
        }
    }

    @Nested
    @DisplayName("edited index entries")
    class Index {
        @Test
        @DisplayName("an index entry pointing at another object's blob fails")
        void blobIdSwapped() throws Exception {
            byte[] a = put("a", random(1000, 8), Map.of());
            put("b", random(1000, 9), Map.of());
            ObjectRecord ra = f.store.record("tamp", "a");
            ObjectRecord rb = f.store.record("tamp", "b");
            f.store.meta.commit(tx -> {
                f.store.meta.putObjectMetadata("tamp", "a", new ObjectRecord(ra.kind(), ra.plain(), ra.size(), ra.etag(),
                        ra.lastModifiedMillis(), ra.contentType(), ra.sseAlgorithm(), ra.cmkId(), ra.sm4Data(), ra.keyVersionId(),
                        ra.wrappedKey(), rb.blobId(), ra.userMetadata(), ra.posix()));
                return null;
            });
            assertTamperDetected("a", a);
        }

        @Test
        @DisplayName("an index entry with another object's wrapped key fails")
        void wrappedKeySwapped() throws Exception {
            byte[] a = put("a", random(1000, 10), Map.of());
            put("b", random(1000, 11), Map.of());
            ObjectRecord ra = f.store.record("tamp", "a");
            ObjectRecord rb = f.store.record("tamp", "b");
            f.store.meta.commit(tx -> {
                f.store.meta.putObjectMetadata("tamp", "a", new ObjectRecord(ra.kind(), ra.plain(), ra.size(), ra.etag(),
                        ra.lastModifiedMillis(), ra.contentType(), ra.sseAlgorithm(), ra.cmkId(), ra.sm4Data(), ra.keyVersionId(),
                        rb.wrappedKey(), ra.blobId(), ra.userMetadata(), ra.posix()));
                return null;
            });
            Exception e = assertThrows(Exception.class, () -> StoreFixture.readBytes(oss, "tamp", "a", null));
            assertNotNull(e.getMessage());
            assertFalse(oss.verify("tamp", "a", null).ok());
        }

        @Test
        @DisplayName("an index entry with a wrong size fails")
        void wrongSize() throws Exception {
            byte[] a = put("a", random(1000, 12), Map.of());
            ObjectRecord ra = f.store.record("tamp", "a");
            f.store.meta.commit(tx -> {
                f.store.meta.putObjectMetadata("tamp", "a", new ObjectRecord(ra.kind(), ra.plain(), 999, ra.etag(),
                        ra.lastModifiedMillis(), ra.contentType(), ra.sseAlgorithm(), ra.cmkId(), ra.sm4Data(), ra.keyVersionId(),
                        ra.wrappedKey(), ra.blobId(), ra.userMetadata(), ra.posix()));
                return null;
            });
            assertTamperDetected("a", a);
        }
    }

    @Test
    @DisplayName("verify passes a clean bucket and lists every failing object")
    void verifyReport() throws Exception {
        put("ok1", random(10, 13), Map.of());
        put("ok2", random(200_000, 14), h("x-oss-server-side-encryption", "KMS"));
        put("bad", random(200_000, 15), Map.of());
        VerifyReport clean = oss.verify("tamp", null, null);
        assertTrue(clean.ok());
        assertEquals(3, clean.objectsChecked());
        assertEquals(400_010, clean.bytesChecked());
        byte[] t = Files.readAllBytes(blobFile("bad"));
        t[t.length - 100] ^= 4;
        Files.write(blobFile("bad"), t);
        long[] started = new long[2];
        int[] checked = new int[1];
        VerifyReport r = oss.verify("tamp", null, new VerifyReport.Listener() {
            @Override public void started(long objects, long bytes) { started[0] = objects; started[1] = bytes; }
            @Override public void checked(String key, long bytes, VerifyReport.Failure failure) { checked[0]++; }
        });
        assertEquals(3, started[0]);
        assertEquals(3, checked[0]);
        assertEquals(1, r.failures().size());
        assertEquals("oss://tamp/bad", r.failures().get(0).url());
        assertTrue(r.failures().get(0).reason().contains("oss://tamp/bad"));
    }
}
