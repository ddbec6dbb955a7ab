package dev.ssefs.objectcore.format;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.ssefs.objectcore.blob.BlobIds;
import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.blob.BlobStore;
import dev.ssefs.objectcore.blob.BlobWriter;
import dev.ssefs.objectcore.blob.FileBlobStore;
import dev.ssefs.objectcore.blob.InMemoryBlobStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static dev.ssefs.objectcore.format.TestObjects.*;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("encrypted objects in a blob store")
class StoredObjectTest {
    static final byte[] KNOWN = ("THE QUICK BROWN FOX SECRET PLAINTEXT 0123456789 ").repeat(3000).getBytes(StandardCharsets.US_ASCII);

    static String store(BlobStore store, DataAlgorithm alg, byte[] key, byte[] plain) throws IOException {
        String id = BlobIds.random();
        ObjectHeader h = ObjectHeader.newVersion(alg, "KMS", "key-1", "v1", random(40, 1));
        try (BlobWriter w = store.create(id)) {
            try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(h, key, w, NAME)) {
                for (int off = 0; off < plain.length; off += 5000) {
                    enc.write(ByteBuffer.wrap(plain, off, Math.min(5000, plain.length - off)));
                }
                assertEquals(plain.length, enc.finish().plaintextSize());
            }
            w.commit();
        }
        return id;
    }

    static void assertReadsBack(BlobStore store, String id, byte[] key, byte[] plain) throws IOException {
        try (BlobReader r = store.open(id)) {
            ObjectHeader h = ObjectFormats.readHeader(r, NAME);
            assertEquals("KMS", h.keySource());
            assertEquals("key-1", h.keyId());
            try (ObjectDecryptor d = ObjectFormats.open(r, key, NAME); InputStream in = d.newInputStream()) {
                assertEquals(h, d.header());
                assertArrayEquals(plain, in.readAllBytes());
            }
        }
    }

    /** No file under {@code root} contains any 32-byte window of the plaintext, nor the data key. */
    static void assertNoPlaintextOnDisk(Path root, byte[] plain, byte[] key) throws IOException {
        byte[] needle = Arrays.copyOf(plain, 32);
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertFalse(files.isEmpty());
        for (Path f : files) {
            byte[] content = Files.readAllBytes(f);
            assertEquals(-1, indexOf(content, needle), "plaintext found in " + f);
            assertEquals(-1, indexOf(content, key), "data key found in " + f);
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    @Nested
    @DisplayName("on the real disk")
    class OnDisk {
        @TempDir
        Path tmp;

        @Test
        @DisplayName("AES and SM4 objects read back, and no file contains the plaintext or the data key")
        void plaintextScan() throws IOException {
            FileBlobStore store = new FileBlobStore(tmp.resolve("blobs"));
            for (DataAlgorithm alg : DataAlgorithm.values()) {
                byte[] key = key(alg, 3);
                String id = store(store, alg, key, KNOWN);
                assertReadsBack(store, id, key, KNOWN);
                assertNoPlaintextOnDisk(tmp, KNOWN, key);
            }
        }
    }

    @Nested
    @DisplayName("on Jimfs")
    class OnJimfs {
        @Test
        @DisplayName("AES and SM4 objects read back, and no file contains the plaintext or the data key")
        void plaintextScan() throws IOException {
            try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
                FileBlobStore store = new FileBlobStore(fs.getPath("/d/blobs"));
                for (DataAlgorithm alg : DataAlgorithm.values()) {
                    byte[] key = key(alg, 4);
                    String id = store(store, alg, key, KNOWN);
                    assertReadsBack(store, id, key, KNOWN);
                    assertNoPlaintextOnDisk(fs.getPath("/d"), KNOWN, key);
                }
            }
        }
    }

    @Nested
    @DisplayName("re-wrapping the data key (new KMS key version) rewrites only the header")
    class Rewrap {
        @Test
        @DisplayName("the new header + the old chunks decrypt; the old header with a rewrapped one's chunks still decrypts; fields changed")
        void rewrap() throws IOException {
            InMemoryBlobStore store = new InMemoryBlobStore();
            byte[] key = key(DataAlgorithm.AES_256_GCM, 5);
            String id = store(store, DataAlgorithm.AES_256_GCM, key, KNOWN);
            byte[] old = store.bytes(id);
            ObjectHeader oldHeader = ObjectFormats.readHeader(InMemoryBlobStore.reader(old), NAME);
            int oldLen = ObjectFormats.latest().headerLength(oldHeader);

            ObjectHeader rewrapped = oldHeader.withKeyWrapping("KMS", "key-1", "v2-longer-version-id", random(60, 2));
            byte[] newHeader = ObjectFormats.latest().encodeHeader(rewrapped, key);
            byte[] blob = TamperTest.concat(newHeader, Arrays.copyOfRange(old, oldLen, old.length));

            try (ObjectDecryptor d = ObjectFormats.open(InMemoryBlobStore.reader(blob), key, NAME)) {
                assertEquals("v2-longer-version-id", d.header().keyVersionId());
                assertArrayEquals(oldHeader.versionId(), d.header().versionId());
                d.verifyAll();
                try (InputStream in = d.newInputStream()) {
                    assertArrayEquals(KNOWN, in.readAllBytes());
                }
            }
        }

        @Test
        @DisplayName("rewrap() writes the new header and copies the chunks; the result verifies and decrypts")
        void rewrapApi() throws IOException {
            InMemoryBlobStore store = new InMemoryBlobStore();
            byte[] key = key(DataAlgorithm.SM4_GCM, 6);
            String id = store(store, DataAlgorithm.SM4_GCM, key, KNOWN);
            String id2 = BlobIds.random();
            try (BlobReader r = store.open(id); BlobWriter w = store.create(id2)) {
                ObjectHeader h = ObjectFormats.readHeader(r, NAME).withKeyWrapping("KMS", "key-2", "v9", random(33, 3));
                long n = ObjectFormats.latest().rewrap(r, h, key, w, NAME);
                assertEquals(n, w.size());
                w.commit();
            }
            try (BlobReader r = store.open(id2); ObjectDecryptor d = ObjectFormats.open(r, key, NAME)) {
                assertEquals("key-2", d.header().keyId());
                d.verifyAll();
                try (InputStream in = d.newInputStream()) {
                    assertArrayEquals(KNOWN, in.readAllBytes());
                }
            }
            try (BlobReader r = store.open(id); BlobWriter w = store.create(BlobIds.random())) {
                ObjectHeader other = header(DataAlgorithm.SM4_GCM, ChunkLayout.DEFAULT_CHUNK_SIZE);
                assertThrows(IllegalArgumentException.class, () -> ObjectFormats.latest().rewrap(r, other, key, w, NAME));
                assertThrows(IntegrityException.class, () -> ObjectFormats.latest().rewrap(r,
                        ObjectFormats.readHeader(r, NAME), key(DataAlgorithm.SM4_GCM, 7), w, NAME));
            }
        }

        @Test
        @DisplayName("a changed algorithm or chunk size cannot be re-wrapped: withKeyWrapping keeps them")
        void keepsLayout() {
            ObjectHeader h = header(DataAlgorithm.SM4_GCM, 4096);
            ObjectHeader r = h.withKeyWrapping("KMS", "k", "v", new byte[3]);
            assertEquals(DataAlgorithm.SM4_GCM, r.algorithm());
            assertEquals(4096, r.chunkSize());
            assertArrayEquals(h.versionId(), r.versionId());
        }
    }

    @Test
    @DisplayName("the in-memory store: open sees committed blobs only; list includes uncommitted ones")
    void inMemoryStore() throws IOException {
        InMemoryBlobStore store = new InMemoryBlobStore();
        BlobWriter w = store.create("aaaa0001");
        w.write(ByteBuffer.wrap(new byte[] {1, 2}));
        assertEquals(List.of("aaaa0001"), store.list());
        assertTrue(store.exists("aaaa0001"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> store.open("aaaa0001"));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> store.create("aaaa0001"));
        w.commit();
        try (BlobReader r = store.open("aaaa0001")) {
            assertEquals(2, r.size());
        }
        BlobWriter w2 = store.create("aaaa0002");
        w2.close();
        assertEquals(List.of("aaaa0001"), store.list());
        assertTrue(store.delete("aaaa0001"));
        assertEquals(List.of(), store.list());
    }

    @Test
    @DisplayName("header toString() never shows key material")
    void headerToString() {
        ObjectHeader h = ObjectHeader.newVersion(DataAlgorithm.AES_256_GCM, "KMS", "key-1", "v1", new byte[] {(byte) 0xAB, (byte) 0xCD});
        String s = h.toString();
        assertTrue(s.contains("wrappedKey=2 bytes"), s);
        assertFalse(s.toLowerCase().contains("abcd"), s);
    }
}
