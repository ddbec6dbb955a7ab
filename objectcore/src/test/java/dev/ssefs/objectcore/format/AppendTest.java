package dev.ssefs.objectcore.format;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.Arrays;

import static dev.ssefs.objectcore.format.TestObjects.*;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("appending to a stored object (AppendObject) re-seals only the final chunk")
class AppendTest {
    static final int C = 16;

    static byte[] append(byte[] blob, byte[] key, byte[] more, int writeSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectEncryptor enc = ObjectFormats.latest().newAppender(blob(blob), key, Channels.newChannel(out), NAME)) {
            for (int off = 0; off < more.length; off += writeSize) {
                enc.write(ByteBuffer.wrap(more, off, Math.min(writeSize, more.length - off)));
            }
            enc.finish();
        }
        return out.toByteArray();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DataAlgorithm.class)
    @DisplayName("every old size x appended size around chunk boundaries round-trips; whole old chunks are kept byte for byte")
    void boundaries(DataAlgorithm alg) throws IOException {
        byte[] key = key(alg, 1);
        for (int oldSize : new int[] {0, 1, C - 1, C, C + 1, 2 * C, 3 * C + 5}) {
            for (int addSize : new int[] {0, 1, C - 1, C, C + 1, 3 * C}) {
                ObjectHeader h = header(alg, C);
                byte[] a = random(oldSize, oldSize);
                byte[] b = random(addSize, 1000 + addSize);
                byte[] old = encrypt(h, key, a);
                byte[] appended = append(old, key, b, 7);
                byte[] expect = TamperTest.concat(a, b);
                ChunkLayout layout = ObjectFormats.latest().layout(h);
                String what = "old " + oldSize + " + " + addSize;
                assertEquals(layout.ciphertextSize(expect.length), appended.length, what);
                assertArrayEquals(expect, decryptAll(appended, key), what);
                int kept = (int) layout.chunkCiphertextOffset(layout.lastChunkIndex(oldSize));
                assertArrayEquals(Arrays.copyOf(old, kept), Arrays.copyOf(appended, kept), what + ": kept chunks");
                try (ObjectDecryptor d = ObjectFormats.open(blob(appended), key, NAME)) {
                    assertEquals(h, d.header());
                    d.verifyAll();
                }
            }
        }
    }

    @Test
    @DisplayName("mixing chunks of the old and the appended blob gives exactly one of the two objects, or fails")
    void mixes() throws IOException {
        byte[] key = key(DataAlgorithm.AES_256_GCM, 2);
        ObjectHeader h = header(DataAlgorithm.AES_256_GCM, C);
        byte[] a = random(2 * C + 5, 1);
        byte[] b = random(C, 2);
        byte[] old = encrypt(h, key, a);
        byte[] appended = append(old, key, b, 100);
        ChunkLayout layout = ObjectFormats.latest().layout(h);
        // the old final chunk (index 2, sealed final) in place of the new chunk 2 (non-final)
        int off = (int) layout.chunkCiphertextOffset(2);
        byte[] mixed = TamperTest.concat(Arrays.copyOf(appended, off), Arrays.copyOfRange(old, off, old.length),
                Arrays.copyOfRange(appended, (int) layout.chunkCiphertextOffset(3), appended.length));
        assertThrows(IntegrityException.class, () -> decryptAll(mixed, key));
        // the old blob's tail on the new blob's prefix is exactly the old object
        byte[] rollback = TamperTest.concat(Arrays.copyOf(appended, off), Arrays.copyOfRange(old, off, old.length));
        assertArrayEquals(a, decryptAll(rollback, key));
    }

    @Test
    @DisplayName("appending to a damaged object fails with an integrity error and writes no chunk past the damage")
    void damaged() throws IOException {
        byte[] key = key(DataAlgorithm.AES_256_GCM, 3);
        ObjectHeader h = header(DataAlgorithm.AES_256_GCM, C);
        byte[] old = encrypt(h, key, random(4 * C, 3));
        ChunkLayout layout = ObjectFormats.latest().layout(h);
        old[(int) layout.chunkCiphertextOffset(1) + 20] ^= 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IntegrityException e = assertThrows(IntegrityException.class,
                () -> ObjectFormats.latest().newAppender(blob(old), key, Channels.newChannel(out), NAME));
        assertEquals(1, e.chunkIndex());
        assertEquals(layout.chunkCiphertextOffset(1), out.size());
        assertThrows(IntegrityException.class,
                () -> ObjectFormats.latest().newAppender(blob(old), key(DataAlgorithm.AES_256_GCM, 4),
                        Channels.newChannel(new ByteArrayOutputStream()), NAME));
    }
}
