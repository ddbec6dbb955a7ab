package dev.ssefs.objectcore.format;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.ssefs.objectcore.format.ChunkLayout.CHUNK_OVERHEAD;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("ChunkLayout: the size and offset arithmetic")
class ChunkLayoutTest {
    static final int H = 100;
    static final int C = 64 * 1024;
    final ChunkLayout l = new ChunkLayout(H, C);

    @Nested
    @DisplayName("plaintext offset -> chunk index")
    class ChunkIndex {
        @Test
        void boundaries() {
            assertEquals(0, l.chunkIndex(0));
            assertEquals(0, l.chunkIndex(1));
            assertEquals(0, l.chunkIndex(C - 1));
            assertEquals(1, l.chunkIndex(C));
            assertEquals(1, l.chunkIndex(C + 1));
            assertEquals(1, l.chunkIndex(2L * C - 1));
            assertEquals(7, l.chunkIndex(7L * C));
            assertEquals(Long.MAX_VALUE / C, l.chunkIndex(Long.MAX_VALUE));
        }

        @Test
        void negativeOffsetIsRejected() {
            assertThrows(IllegalArgumentException.class, () -> l.chunkIndex(-1));
        }
    }

    @Nested
    @DisplayName("plaintext size -> chunks")
    class Chunks {
        @Test
        @DisplayName("an empty plaintext still has one (empty, final) chunk")
        void empty() {
            assertEquals(1, l.chunkCount(0));
            assertEquals(0, l.lastChunkIndex(0));
            assertEquals(0, l.chunkPlaintextLength(0, 0));
            assertEquals(CHUNK_OVERHEAD, l.chunkCiphertextLength(0, 0));
        }

        @Test
        void counts() {
            assertEquals(1, l.chunkCount(1));
            assertEquals(1, l.chunkCount(C - 1));
            assertEquals(1, l.chunkCount(C));
            assertEquals(2, l.chunkCount(C + 1));
            assertEquals(5, l.chunkCount(5L * C));
            assertEquals(6, l.chunkCount(5L * C + 1));
        }

        @Test
        @DisplayName("every chunk but the last is full; the last holds 1..chunk bytes")
        void lengths() {
            long size = 3L * C + 5;
            assertEquals(C, l.chunkPlaintextLength(0, size));
            assertEquals(C, l.chunkPlaintextLength(2, size));
            assertEquals(5, l.chunkPlaintextLength(3, size));
            assertEquals(C, l.chunkPlaintextLength(2, 3L * C));
            assertEquals(5 + CHUNK_OVERHEAD, l.chunkCiphertextLength(3, size));
            assertThrows(IllegalArgumentException.class, () -> l.chunkPlaintextLength(4, size));
            assertThrows(IllegalArgumentException.class, () -> l.chunkPlaintextLength(-1, size));
            assertThrows(IllegalArgumentException.class, () -> l.chunkPlaintextLength(1, 0));
        }

        @Test
        void ciphertextOffsets() {
            assertEquals(H, l.chunkCiphertextOffset(0));
            assertEquals(H + C + CHUNK_OVERHEAD, l.chunkCiphertextOffset(1));
            assertEquals(H + 9L * (C + CHUNK_OVERHEAD), l.chunkCiphertextOffset(9));
            assertEquals(9L * C, l.chunkPlaintextOffset(9));
            assertThrows(IllegalArgumentException.class, () -> l.chunkCiphertextOffset(Long.MAX_VALUE / 2));
        }
    }

    @Nested
    @DisplayName("plaintext size <-> ciphertext size")
    class Sizes {
        @ParameterizedTest(name = "plaintext {0}")
        @ValueSource(longs = {0, 1, 2, C - 1, C, C + 1, 2L * C - 1, 2L * C, 2L * C + 1, 1000L * C, 1000L * C + 77,
                1L << 40, (1L << 40) + 1})
        void roundTrip(long p) {
            long c = l.ciphertextSize(p);
            assertEquals(H + p + l.chunkCount(p) * CHUNK_OVERHEAD, c);
            assertTrue(l.isValidCiphertextSize(c));
            assertEquals(p, l.plaintextSize(c));
        }

        @Test
        void exactValues() {
            assertEquals(H + CHUNK_OVERHEAD, l.ciphertextSize(0));
            assertEquals(H + 1 + CHUNK_OVERHEAD, l.ciphertextSize(1));
            assertEquals(H + C + CHUNK_OVERHEAD, l.ciphertextSize(C));
            assertEquals(H + C + 1 + 2 * CHUNK_OVERHEAD, l.ciphertextSize(C + 1));
        }

        @Test
        @DisplayName("every ciphertext size in the first three chunks maps back, or is rejected, consistently")
        void exhaustiveSmallChunks() {
            ChunkLayout s = new ChunkLayout(10, 4); // sealed chunk = 32 bytes
            java.util.Set<Long> produced = new java.util.HashSet<>();
            for (long p = 0; p <= 40; p++) {
                long c = s.ciphertextSize(p);
                assertTrue(produced.add(c), "two plaintext sizes give blob size " + c);
                assertEquals(p, s.plaintextSize(c));
            }
            for (long c = 0; c <= s.ciphertextSize(40); c++) {
                if (produced.contains(c)) continue;
                final long cc = c;
                assertFalse(s.isValidCiphertextSize(c), "blob size " + c);
                assertThrows(IllegalArgumentException.class, () -> s.plaintextSize(cc));
            }
        }

        @Test
        @DisplayName("blob sizes no plaintext produces are rejected with a clear message")
        void invalid() {
            long sealed = C + CHUNK_OVERHEAD;
            long[] bad = {-1, 0, 1, H - 1, H, H + 1, H + CHUNK_OVERHEAD - 1,
                    H + sealed + 1, H + sealed + CHUNK_OVERHEAD, // torn nonce/tag, or an empty chunk after a full one
                    H + 5 * sealed + 27, Long.MIN_VALUE};
            for (long c : bad) {
                assertFalse(l.isValidCiphertextSize(c), "blob size " + c);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.plaintextSize(c));
                assertTrue(e.getMessage().contains("cannot come from any plaintext"), e.getMessage());
            }
        }

        @Test
        @DisplayName("huge values: the largest blob sizes map back; too-large plaintexts are refused, never wrap")
        void huge() {
            long p = l.plaintextSize(H + (Long.MAX_VALUE - H) / (C + CHUNK_OVERHEAD) * (C + CHUNK_OVERHEAD));
            assertTrue(p > 0);
            assertEquals(p, l.plaintextSize(l.ciphertextSize(p)));
            assertThrows(IllegalArgumentException.class, () -> l.ciphertextSize(Long.MAX_VALUE));
            assertThrows(IllegalArgumentException.class, () -> new ChunkLayout(0, 1).ciphertextSize(Long.MAX_VALUE / 2));
            assertThrows(IllegalArgumentException.class, () -> l.ciphertextSize(-1));
            long maxValid = Long.MAX_VALUE;
            while (!l.isValidCiphertextSize(maxValid)) maxValid--;
            assertEquals(maxValid, l.ciphertextSize(l.plaintextSize(maxValid)));
        }
    }

    @Nested
    @DisplayName("plaintext range -> chunk range and ciphertext byte range")
    class Ranges {
        final long size = 3L * C + 10; // chunks 0,1,2 full, chunk 3 holds 10 bytes

        @Test
        void withinOneChunk() {
            var r = l.chunkRange(5, 4096, size);
            assertEquals(0, r.firstChunk());
            assertEquals(0, r.lastChunk());
            assertEquals(H, r.ciphertextOffset());
            assertEquals(C + CHUNK_OVERHEAD, r.ciphertextLength());
            assertEquals(4096, r.plaintextLength());
        }

        @Test
        void atBoundaries() {
            assertChunks(0, 1, 0, 0);
            assertChunks(C - 1, 1, 0, 0);
            assertChunks(C - 1, 2, 0, 1);
            assertChunks(C, 1, 1, 1);
            assertChunks(C, C, 1, 1);
            assertChunks(C, C + 1, 1, 2);
            assertChunks(C + 1, C, 1, 2);
            assertChunks(0, (int) size, 0, 3);
            assertChunks(3L * C, 10, 3, 3);
        }

        private void assertChunks(long off, int len, long first, long last) {
            var r = l.chunkRange(off, len, size);
            assertEquals(first, r.firstChunk(), "first chunk of " + off + "+" + len);
            assertEquals(last, r.lastChunk(), "last chunk of " + off + "+" + len);
            assertEquals(l.chunkCiphertextOffset(first), r.ciphertextOffset());
            assertEquals(l.chunkCiphertextOffset(last) + l.chunkCiphertextLength(last, size),
                    r.ciphertextOffset() + r.ciphertextLength());
        }

        @Test
        @DisplayName("ranges are clamped to the end; the last chunk's ciphertext ends at the blob's end")
        void clampedAtEnd() {
            var r = l.chunkRange(3L * C + 5, 1 << 20, size);
            assertEquals(3, r.firstChunk());
            assertEquals(3, r.lastChunk());
            assertEquals(5, r.plaintextLength());
            assertEquals(l.ciphertextSize(size), r.ciphertextOffset() + r.ciphertextLength());
            var all = l.chunkRange(0, Long.MAX_VALUE, size);
            assertEquals(size, all.plaintextLength());
            assertEquals(l.ciphertextSize(size) - H, all.ciphertextLength());
            var overflow = l.chunkRange(C, Long.MAX_VALUE, size);
            assertEquals(size - C, overflow.plaintextLength());
        }

        @Test
        @DisplayName("empty ranges touch no chunk")
        void empty() {
            assertTrue(l.chunkRange(0, 0, size).isEmpty());
            assertTrue(l.chunkRange(size, 10, size).isEmpty());
            assertTrue(l.chunkRange(size + 100, 10, size).isEmpty());
            assertTrue(l.chunkRange(0, 10, 0).isEmpty());
            assertEquals(0, l.chunkRange(0, 10, 0).chunkCount());
            assertThrows(IllegalArgumentException.class, () -> l.chunkRange(-1, 10, size));
            assertThrows(IllegalArgumentException.class, () -> l.chunkRange(0, -1, size));
        }
    }

    @Test
    @DisplayName("chunk sizes outside 1 B .. 8 MiB and negative header lengths are refused")
    void construction() {
        assertThrows(IllegalArgumentException.class, () -> new ChunkLayout(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChunkLayout(0, ChunkLayout.MAX_CHUNK_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> new ChunkLayout(-1, C));
        assertEquals(C + CHUNK_OVERHEAD, l.sealedChunkSize());
    }
}
