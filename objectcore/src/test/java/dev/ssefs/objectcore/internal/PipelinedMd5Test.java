package dev.ssefs.objectcore.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@DisplayName("PipelinedMd5: the ETag MD5, hashed off the writer's thread past the inline limit")
class PipelinedMd5Test {
    private static final int INLINE = PipelinedMd5.INLINE_LIMIT;
    private static final int SLOT = PipelinedMd5.SLOT_SIZE;

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] expected(byte[] b) throws Exception {
        return MessageDigest.getInstance("MD5").digest(b);
    }

    @ParameterizedTest(name = "{0} bytes in 128 KiB writes")
    @ValueSource(ints = {0, 1, 4095, INLINE - 1, INLINE, INLINE + 1, INLINE + SLOT - 1, INLINE + SLOT, INLINE + SLOT + 1,
            INLINE + 3 * SLOT, INLINE + 3 * SLOT + 7, INLINE + 7 * SLOT + 12345})
    void equalsPlainMd5AtEveryBoundary(int size) throws Exception {
        byte[] b = data(size);
        PipelinedMd5 md5 = new PipelinedMd5();
        for (int off = 0; off < size; off += 128 * 1024) md5.update(b, off, Math.min(128 * 1024, size - off));
        assertArrayEquals(expected(b), md5.digest());
    }

    @Test
    @DisplayName("odd write sizes straddling the inline limit and slot edges, from direct buffers")
    void oddSizesFromDirectBuffers() throws Exception {
        int size = INLINE + 5 * SLOT + 999;
        byte[] b = data(size);
        PipelinedMd5 md5 = new PipelinedMd5();
        Random r = new Random(7);
        int off = 0;
        while (off < size) {
            int n = Math.min(size - off, 1 + r.nextInt(300_000));
            ByteBuffer d = ByteBuffer.allocateDirect(n).put(b, off, n).flip();
            md5.update(d);
            assertEquals(0, d.position(), "the caller's buffer is not consumed");
            off += n;
        }
        assertArrayEquals(expected(b), md5.digest());
    }

    @Test
    @DisplayName("a caller reusing its buffer after update does not change what was hashed")
    void callerMayReuseItsBuffer() throws Exception {
        int size = INLINE + 4 * SLOT;
        byte[] b = data(size);
        byte[] reused = new byte[SLOT];
        PipelinedMd5 md5 = new PipelinedMd5();
        for (int off = 0; off < size; off += SLOT) {
            System.arraycopy(b, off, reused, 0, SLOT);
            md5.update(reused, 0, SLOT);
            java.util.Arrays.fill(reused, (byte) 0x5A);
        }
        assertArrayEquals(expected(b), md5.digest());
    }

    @Test
    @DisplayName("the digest is taken once; later use is an error, not a silent wrong ETag")
    void digestOnce() {
        PipelinedMd5 md5 = new PipelinedMd5();
        md5.update(new byte[10], 0, 10);
        md5.digest();
        assertThrows(IllegalStateException.class, md5::digest);
        assertThrows(IllegalStateException.class, () -> md5.update(new byte[1], 0, 1));
    }

    @Test
    @DisplayName("with a limit: the MD5 of a stream up to it, none (null) for a longer one")
    void limit() throws Exception {
        byte[] b = data(3 * SLOT);
        PipelinedMd5 at = new PipelinedMd5();
        at.limit(b.length);
        for (int off = 0; off < b.length; off += 4096) at.update(b, off, Math.min(4096, b.length - off));
        assertArrayEquals(expected(b), at.digest());
        PipelinedMd5 past = new PipelinedMd5();
        past.limit(b.length - 1);
        for (int off = 0; off < b.length; off += 4096) past.update(b, off, Math.min(4096, b.length - off));
        assertEquals(null, past.digest());
        PipelinedMd5 late = new PipelinedMd5();
        late.update(b, 0, 1);
        assertThrows(IllegalStateException.class, () -> late.limit(10));
    }
}
