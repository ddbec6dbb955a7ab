package dev.ssefs.objectcore.format;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.ssefs.objectcore.blob.BlobReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.ssefs.objectcore.format.TestObjects.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every way of changing stored bytes is detected: each read either throws {@link IntegrityException} naming the
 * object, or returns exactly the original bytes of a range the change did not touch. Never wrong bytes.
 */
@DisplayName("tampering with a stored object is always detected")
class TamperTest {
    static final int CHUNK = 16;
    static final int SIZE = 2 * CHUNK + 9; // three chunks: 16, 16, 9 bytes

    DataAlgorithm alg;
    byte[] key;
    byte[] plain;
    ObjectHeader header;
    byte[] blob;
    ChunkLayout layout;

    void setUp(DataAlgorithm alg) throws IOException {
        this.alg = alg;
        key = key(alg, 77);
        plain = random(SIZE, 77);
        header = header(alg, CHUNK);
        blob = encrypt(header, key, plain);
        layout = ObjectFormats.latest().layout(header);
    }

    @BeforeEach
    void defaultSetUp() throws IOException {
        setUp(DataAlgorithm.AES_256_GCM);
    }

    /**
     * Opens {@code tampered} and reads it every way: whole, each chunk alone, and verifyAll. Asserts that at least
     * one fails and none returns a wrong byte. Returns the failures' messages.
     */
    private IntegrityException assertDetected(byte[] tampered, String what) {
        IntegrityException viaCopy = assertDetected(copyingReader(tampered), tampered, what + " (read path)");
        IntegrityException inPlace = assertDetected(blob(tampered), tampered, what + " (in-memory path)");
        assertEquals(viaCopy.getMessage(), inPlace.getMessage());
        return inPlace;
    }

    /** A reader without {@link BlobReader#view}, as for files: chunks are read into scratch buffers. */
    static BlobReader copyingReader(byte[] bytes) {
        BlobReader inner = blob(bytes);
        return new BlobReader() {
            @Override
            public long size() throws IOException {
                return inner.size();
            }

            @Override
            public int read(long position, java.nio.ByteBuffer dst) throws IOException {
                return inner.read(position, dst);
            }

            @Override
            public void close() {}
        };
    }

    private IntegrityException assertDetected(BlobReader reader, byte[] tampered, String what) {
        IntegrityException first = null;
        try (ObjectDecryptor d = ObjectFormats.open(reader, key, NAME)) {
            // the size is authenticated by open (final chunk); whatever it says must be the true size
            assertEquals(SIZE, d.plaintextSize(), what + ": opened with a wrong size");
            first = readsFail(d, what);
        } catch (IntegrityException e) {
            first = e;
        } catch (IOException e) {
            fail(what + ": not an IntegrityException: " + e);
        }
        assertNotNull(first, what + ": went undetected");
        assertTrue(first.getMessage().startsWith("integrity check failed for " + NAME + ": "), first.getMessage());
        return first;
    }

    private IntegrityException readsFail(ObjectDecryptor d, String what) {
        IntegrityException first = null;
        try (InputStream in = d.newInputStream()) {
            byte[] all = in.readAllBytes();
            fail(what + ": whole read returned " + all.length + " bytes" + (Arrays.equals(all, plain) ? " (the original)" : ""));
        } catch (IntegrityException e) {
            first = e;
        } catch (IOException e) {
            fail(what + ": " + e);
        }
        IntegrityException ve = assertThrows(IntegrityException.class, d::verifyAll, what + ": verifyAll passed");
        assertTrue(ve.getMessage().contains(NAME));
        for (int off = 0; off < SIZE; off += CHUNK) {
            int len = Math.min(CHUNK, SIZE - off);
            try {
                byte[] got = readRange(d, off, len);
                assertArrayEquals(Arrays.copyOfRange(plain, off, off + len), got, what + ": WRONG BYTES at " + off);
            } catch (IntegrityException e) {
                assertEquals(IntegrityException.Part.CHUNK, e.part());
                assertEquals(off / CHUNK, e.chunkIndex());
            } catch (IOException e) {
                fail(what + ": " + e);
            }
        }
        return first;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DataAlgorithm.class)
    @DisplayName("flipping any single bit of any byte, header or chunk, is detected")
    void flipEveryByte(DataAlgorithm a) throws IOException {
        setUp(a);
        for (int i = 0; i < blob.length; i++) {
            for (int bit : new int[] {0x01, 0x80}) {
                byte[] t = blob.clone();
                t[i] ^= (byte) bit;
                IntegrityException e = assertDetected(t, "flip " + bit + " at byte " + i);
                if (i < layout.headerLength()) {
                    assertNotEquals(IntegrityException.Part.CHUNK, e.part(), "byte " + i);
                } else {
                    long chunk = (i - layout.headerLength()) / layout.sealedChunkSize();
                    assertEquals(IntegrityException.Part.CHUNK, e.part(), "byte " + i);
                    assertEquals(chunk, e.chunkIndex(), "byte " + i);
                    assertTrue(e.getMessage().contains("chunk " + chunk + " of 3"), e.getMessage());
                }
            }
        }
    }

    @Nested
    @DisplayName("truncation and appended data")
    class Lengths {
        @Test
        @DisplayName("truncating at any length, at or off a chunk boundary, is detected")
        void truncateEverywhere() {
            for (int len = 0; len < blob.length; len++) {
                IntegrityException e = assertDetected(Arrays.copyOf(blob, len), "truncated to " + len);
                if (len >= layout.headerLength() && layout.isValidCiphertextSize(len)) {
                    // at a chunk boundary: the new last chunk was not sealed as final
                    assertEquals(IntegrityException.Part.CHUNK, e.part(), "truncated to " + len);
                }
            }
        }

        @Test
        @DisplayName("truncating exactly at each chunk boundary names the chunk that was not sealed as final")
        void truncateAtBoundaries() {
            for (long c = 1; c < 3; c++) {
                int len = (int) layout.chunkCiphertextOffset(c);
                IntegrityException e = assertDetected(Arrays.copyOf(blob, len), "boundary " + c);
                assertEquals(c - 1, e.chunkIndex());
            }
            IntegrityException e = assertDetected(Arrays.copyOf(blob, (int) layout.headerLength()), "header only");
            assertEquals(IntegrityException.Part.SIZE, e.part());
            assertTrue(e.getMessage().contains("cannot come from any plaintext"), e.getMessage());
        }

        @Test
        @DisplayName("appending any number of bytes (1 .. two chunks) is detected")
        void append() {
            for (int extra = 1; extra <= 2 * (int) layout.sealedChunkSize(); extra++) {
                byte[] t = Arrays.copyOf(blob, blob.length + extra);
                for (int i = blob.length; i < t.length; i++) t[i] = (byte) i;
                assertDetected(t, "appended " + extra);
            }
        }

        @Test
        @DisplayName("appending a chunk of the same object (a replayed final chunk) is detected")
        void appendReplayedChunk() {
            int last = (int) layout.chunkCiphertextOffset(2);
            byte[] t = concat(Arrays.copyOf(blob, last), Arrays.copyOfRange(blob, (int) layout.chunkCiphertextOffset(1), last),
                    Arrays.copyOfRange(blob, last, blob.length));
            assertDetected(t, "chunk 1 repeated");
        }

        @Test
        @DisplayName("dropping a middle chunk is detected")
        void dropChunk() {
            byte[] t = concat(Arrays.copyOf(blob, (int) layout.chunkCiphertextOffset(1)),
                    Arrays.copyOfRange(blob, (int) layout.chunkCiphertextOffset(2), blob.length));
            assertDetected(t, "chunk 1 dropped");
        }
    }

    @Nested
    @DisplayName("reordering and splicing")
    class Splicing {
        @Test
        @DisplayName("swapping two full chunks is detected")
        void swap() {
            int c0 = (int) layout.chunkCiphertextOffset(0), c1 = (int) layout.chunkCiphertextOffset(1),
                    c2 = (int) layout.chunkCiphertextOffset(2);
            byte[] t = concat(Arrays.copyOf(blob, c0), Arrays.copyOfRange(blob, c1, c2), Arrays.copyOfRange(blob, c0, c1),
                    Arrays.copyOfRange(blob, c2, blob.length));
            IntegrityException e = assertDetected(t, "chunks 0 and 1 swapped");
            assertEquals(IntegrityException.Part.CHUNK, e.part());
        }

        @Test
        @DisplayName("a chunk spliced in from another object (other key, other version id) is detected")
        void fromAnotherObject() throws IOException {
            byte[] otherKey = key(alg, 999);
            byte[] other = encrypt(header(alg, CHUNK), otherKey, plain);
            for (long c = 0; c < 3; c++) {
                assertDetected(spliceChunk(blob, other, c), "chunk " + c + " from another object");
            }
        }

        @Test
        @DisplayName("a chunk spliced in from another version of the same object (same key, new version id) is detected")
        void fromAnotherVersion() throws IOException {
            ObjectHeader v2 = header.withKeyWrapping("KMS", "key-1234", "ver-1", header.wrappedKey());
            // same key and header fields, but a new random version id
            ObjectHeader newVersion = new ObjectHeader(1, alg, CHUNK, random(16, 5), "KMS", "key-1234", "ver-1",
                    header.wrappedKey());
            assertEquals(header, v2);
            byte[] other = encrypt(newVersion, key, plain);
            for (long c = 0; c < 3; c++) {
                IntegrityException e = assertDetected(spliceChunk(blob, other, c), "chunk " + c + " from another version");
                assertEquals(c, e.chunkIndex());
            }
        }

        @Test
        @DisplayName("a re-encryption under the same version id and key: its chunks carry other nonces, and splicing is still harmless")
        void sameVersionReencrypted() throws IOException {
            byte[] again = encrypt(header, key, plain);
            assertFalse(Arrays.equals(again, blob));
            // same version id, key and plaintext: a spliced chunk decrypts to the same plaintext bytes, never wrong ones
            for (long c = 0; c < 3; c++) {
                byte[] t = spliceChunk(blob, again, c);
                assertArrayEquals(plain, decryptAll(t, key));
            }
        }

        @Test
        @DisplayName("the header of another version (same key) in front of these chunks is detected")
        void headerOfAnotherVersion() throws IOException {
            ObjectHeader newVersion = ObjectHeader.newVersion(alg, "KMS", "key-1234", "ver-1", header.wrappedKey(), CHUNK);
            byte[] other = encrypt(newVersion, key, plain);
            int h = (int) layout.headerLength();
            byte[] t = concat(Arrays.copyOf(other, h), Arrays.copyOfRange(blob, h, blob.length));
            IntegrityException e = assertDetected(t, "header of another version");
            assertEquals(IntegrityException.Part.CHUNK, e.part());
        }

        @Test
        @DisplayName("the whole body of one object under the header of another is detected")
        void bodyUnderOtherHeader() throws IOException {
            byte[] otherKey = key(alg, 1000);
            byte[] other = encrypt(header(alg, CHUNK), otherKey, plain);
            int h = (int) layout.headerLength();
            byte[] t = concat(Arrays.copyOf(blob, h), Arrays.copyOfRange(other, h, other.length));
            assertDetected(t, "foreign body");
        }

        private byte[] spliceChunk(byte[] into, byte[] from, long c) {
            int off = (int) layout.chunkCiphertextOffset(c);
            int len = layout.chunkCiphertextLength(c, SIZE);
            byte[] t = into.clone();
            System.arraycopy(from, off, t, off, len);
            return t;
        }
    }

    @Nested
    @DisplayName("header fields")
    class HeaderFields {
        @Test
        @DisplayName("a wrong data key fails as a header integrity error")
        void wrongKey() {
            IntegrityException e = assertThrows(IntegrityException.class,
                    () -> ObjectFormats.open(blob(blob), key(alg, 12345), NAME));
            assertEquals(IntegrityException.Part.HEADER, e.part());
            assertEquals("integrity check failed for oss://bucket/key: header: authentication failed "
                    + "(edited header or wrong data key)", e.getMessage());
        }

        @Test
        @DisplayName("a header re-encoded with a changed field but the old MAC is detected: key id, version, wrapped key, source, algorithm, chunk size")
        void editedFields() throws IOException {
            ObjectHeader[] edits = {
                    header.withKeyWrapping("KMS", "key-9999", "ver-1", header.wrappedKey()),
                    header.withKeyWrapping("KMS", "key-1234", "ver-2", header.wrappedKey()),
                    header.withKeyWrapping("OSS", "key-1234", "ver-1", header.wrappedKey()),
                    header.withKeyWrapping("KMS", "key-1234", "ver-1", random(48, 8)),
                    new ObjectHeader(1, DataAlgorithm.SM4_GCM, CHUNK, header.versionId(), "KMS", "key-1234", "ver-1", header.wrappedKey()),
                    new ObjectHeader(1, alg, CHUNK + 1, header.versionId(), "KMS", "key-1234", "ver-1", header.wrappedKey()),
            };
            int h = (int) layout.headerLength();
            byte[] oldMac = Arrays.copyOfRange(blob, h - 32, h);
            byte[] attackerKey = key(alg, 4242);
            for (ObjectHeader edit : edits) {
                byte[] encoded = ObjectFormats.latest().encodeHeader(edit, attackerKey);
                assertEquals(h, encoded.length, "same-length edits");
                byte[] withOldMac = encoded.clone();
                System.arraycopy(oldMac, 0, withOldMac, h - 32, 32);
                byte[] body = Arrays.copyOfRange(blob, h, blob.length);
                IntegrityException e1 = assertDetected(concat(withOldMac, body), "old MAC over " + edit);
                assertEquals(IntegrityException.Part.HEADER, e1.part());
                IntegrityException e2 = assertDetected(concat(encoded, body), "attacker's MAC over " + edit);
                assertEquals(IntegrityException.Part.HEADER, e2.part());
            }
        }

        @Test
        @DisplayName("a different-length wrapped key or key id (header length changes) is detected")
        void lengthChangingEdits() throws IOException {
            ObjectHeader edit = header.withKeyWrapping("KMS", "a-much-longer-key-id", "ver-1", random(100, 1));
            byte[] encoded = ObjectFormats.latest().encodeHeader(edit, key(alg, 1));
            byte[] t = concat(encoded, Arrays.copyOfRange(blob, (int) layout.headerLength(), blob.length));
            assertDetected(t, "longer header");
        }

        @Test
        @DisplayName("garbage, an unknown version, or an absurd header length is a clear header error")
        void malformed() {
            IntegrityException e = assertThrows(IntegrityException.class,
                    () -> ObjectFormats.open(blob("hello, plain world, not an object at all".getBytes(StandardCharsets.US_ASCII)), key, NAME));
            assertEquals("integrity check failed for oss://bucket/key: header: bad magic: not an ssefs encrypted object", e.getMessage());
            byte[] v2 = blob.clone();
            v2[9] = 2;
            e = assertThrows(IntegrityException.class, () -> ObjectFormats.readHeader(blob(v2), NAME));
            assertEquals("integrity check failed for oss://bucket/key: header: unsupported format version 2", e.getMessage());
            byte[] huge = blob.clone();
            huge[10] = 0x7f;
            e = assertThrows(IntegrityException.class, () -> ObjectFormats.readHeader(blob(huge), NAME));
            assertTrue(e.getMessage().contains("header length 2130706" ), e.getMessage());
            e = assertThrows(IntegrityException.class, () -> ObjectFormats.open(blob(new byte[5]), key, NAME));
            assertEquals(IntegrityException.Part.SIZE, e.part());
            assertEquals("integrity check failed for oss://bucket/key: size: blob of 5 bytes is shorter than any object header",
                    e.getMessage());
        }
    }

    @Test
    @DisplayName("an intact blob of another size than the metadata records is refused when the size is given")
    void expectedSize() throws IOException {
        try (ObjectDecryptor d = ObjectFormats.open(blob(blob), key, NAME, SIZE)) {
            assertEquals(SIZE, d.plaintextSize());
        }
        IntegrityException e = assertThrows(IntegrityException.class, () -> ObjectFormats.open(blob(blob), key, NAME, SIZE + 1));
        assertEquals(IntegrityException.Part.SIZE, e.part());
        assertEquals("integrity check failed for oss://bucket/key: size: the blob holds 41 bytes but the metadata records 42",
                e.getMessage());
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
