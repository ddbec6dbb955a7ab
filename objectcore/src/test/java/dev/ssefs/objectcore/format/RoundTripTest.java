package dev.ssefs.objectcore.format;

import dev.ssefs.objectcore.blob.BlobReader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.ssefs.objectcore.format.TestObjects.*;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("ChunkedObjectCipher v1: what goes in comes out")
class RoundTripTest {
    static final int C = ChunkLayout.DEFAULT_CHUNK_SIZE;

    @Nested
    @DisplayName("whole-object round trips")
    class Whole {
        @ParameterizedTest(name = "{0}")
        @EnumSource(DataAlgorithm.class)
        @DisplayName("sizes 0, 1, chunk-1, chunk, chunk+1, several chunks, with 64 KiB chunks")
        void boundarySizes(DataAlgorithm alg) throws IOException {
            for (int size : new int[] {0, 1, C - 1, C, C + 1, 2 * C, 3 * C + 17}) {
                assertRoundTrip(alg, C, size, 8192);
                assertRoundTrip(alg, C, size, Integer.MAX_VALUE); // one big write
            }
        }

        @ParameterizedTest(name = "{0}")
        @EnumSource(DataAlgorithm.class)
        @DisplayName("random sizes, chunk sizes and write sizes")
        void randomSizes(DataAlgorithm alg) throws IOException {
            Random r = new Random(42);
            for (int i = 0; i < 40; i++) {
                int chunk = 1 + r.nextInt(300);
                int size = r.nextInt(5 * chunk + 3);
                int write = 1 + r.nextInt(2 * chunk + 1);
                assertRoundTrip(alg, chunk, size, write);
            }
        }

        @Test
        @DisplayName("direct (off-heap) and read-only source buffers are accepted")
        void directBuffers() throws IOException {
            byte[] p = random(3 * C + 5, 3);
            byte[] k = key(DataAlgorithm.AES_256_GCM, 3);
            ObjectHeader h = header(DataAlgorithm.AES_256_GCM, C);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(h, k, Channels.newChannel(out), NAME)) {
                ByteBuffer d = ByteBuffer.allocateDirect(p.length).put(p).flip();
                assertEquals(p.length, enc.write(d));
                assertEquals(0, d.remaining());
                enc.write(ByteBuffer.wrap(p).asReadOnlyBuffer().limit(5));
                ObjectEncryptor.Result res = enc.finish();
                assertEquals(p.length + 5L, res.plaintextSize());
                assertEquals(out.size(), res.ciphertextSize());
                assertEquals(4, res.chunkCount()); // 3 full chunks + 10 bytes
            }
            byte[] expect = Arrays.copyOf(p, p.length + 5);
            System.arraycopy(p, 0, expect, p.length, 5);
            assertArrayEquals(expect, decryptAll(out.toByteArray(), k));
        }

        private void assertRoundTrip(DataAlgorithm alg, int chunk, int size, int writeSize) throws IOException {
            byte[] p = random(size, size * 31L + chunk);
            byte[] k = key(alg, size);
            ObjectHeader h = header(alg, chunk);
            byte[] blob = encrypt(h, k, p, writeSize);
            String what = alg + " size " + size + " chunk " + chunk + " writes " + writeSize;
            assertEquals(ObjectFormats.latest().layout(h).ciphertextSize(size), blob.length, what);
            try (ObjectDecryptor d = ObjectFormats.open(blob(blob), k, NAME)) {
                assertEquals(size, d.plaintextSize(), what);
                assertEquals(h, d.header());
                d.verifyAll();
                try (InputStream in = d.newInputStream()) {
                    assertArrayEquals(p, in.readAllBytes(), what);
                }
                assertArrayEquals(p, readRange(d, 0, size + 10), what);
            }
        }
    }

    @Nested
    @DisplayName("random access")
    class RandomAccess {
        @ParameterizedTest(name = "{0}")
        @EnumSource(DataAlgorithm.class)
        @DisplayName("every (offset, length) around every chunk boundary of a small-chunk object")
        void everyBoundary(DataAlgorithm alg) throws IOException {
            int chunk = 16;
            int size = 4 * chunk + 5;
            byte[] p = random(size, 9);
            byte[] k = key(alg, 9);
            byte[] blob = encrypt(header(alg, chunk), k, p);
            try (ObjectDecryptor d = ObjectFormats.open(blob(blob), k, NAME)) {
                for (int off = 0; off <= size + 1; off++) {
                    for (int len = 1; len <= 2 * chunk + 2; len++) {
                        byte[] got = readRange(d, off, len);
                        int expectLen = Math.max(0, Math.min(len, size - off));
                        assertArrayEquals(Arrays.copyOfRange(p, Math.min(off, size), Math.min(off, size) + expectLen), got,
                                "offset " + off + " length " + len);
                    }
                }
            }
        }

        @Test
        @DisplayName("reads at 64 KiB boundaries of a multi-chunk object")
        void defaultChunkBoundaries() throws IOException {
            byte[] p = random(5 * C + 100, 10);
            byte[] k = key(DataAlgorithm.AES_256_GCM, 10);
            byte[] blob = encrypt(header(DataAlgorithm.AES_256_GCM, C), k, p);
            try (ObjectDecryptor d = ObjectFormats.open(blob(blob), k, NAME)) {
                for (long b = 0; b <= 5L * C; b += C) {
                    for (long off : new long[] {b - 4096, b - 1, b, b + 1}) {
                        if (off < 0) continue;
                        for (int len : new int[] {1, 4096, C, C + 1, 128 * 1024}) {
                            byte[] got = readRange(d, off, len);
                            int n = (int) Math.min(len, p.length - off);
                            assertArrayEquals(Arrays.copyOfRange(p, (int) off, (int) off + n), got, off + "+" + len);
                        }
                    }
                }
            }
        }

        @Test
        @DisplayName("read() at or past the end returns -1; an empty destination returns 0; negative positions are refused")
        void endOfObject() throws IOException {
            byte[] k = key(DataAlgorithm.AES_256_GCM, 1);
            byte[] blob = encrypt(header(DataAlgorithm.AES_256_GCM, 16), k, random(20, 1));
            try (ObjectDecryptor d = ObjectFormats.open(blob(blob), k, NAME)) {
                assertEquals(-1, d.read(20, ByteBuffer.allocate(4)));
                assertEquals(-1, d.read(1000, ByteBuffer.allocate(4)));
                assertEquals(0, d.read(0, ByteBuffer.allocate(0)));
                assertEquals(4, d.read(16, ByteBuffer.allocate(10)));
                assertThrows(IllegalArgumentException.class, () -> d.read(-1, ByteBuffer.allocate(4)));
            }
            byte[] empty = encrypt(header(DataAlgorithm.AES_256_GCM, 16), k, new byte[0]);
            try (ObjectDecryptor d = ObjectFormats.open(blob(empty), k, NAME)) {
                assertEquals(0, d.plaintextSize());
                assertEquals(-1, d.read(0, ByteBuffer.allocate(4)));
                assertEquals(-1, d.newInputStream().read());
            }
        }

        @Test
        @DisplayName("ranged input streams return exactly the range, and skip without decrypting")
        void rangedStreams() throws IOException {
            byte[] p = random(1000, 4);
            byte[] k = key(DataAlgorithm.SM4_GCM, 4);
            byte[] blob = encrypt(header(DataAlgorithm.SM4_GCM, 64), k, p);
            try (ObjectDecryptor d = ObjectFormats.open(blob(blob), k, NAME)) {
                for (int off : new int[] {0, 1, 63, 64, 65, 500, 999, 1000, 2000}) {
                    for (int len : new int[] {0, 1, 64, 100, 5000}) {
                        try (InputStream in = d.newInputStream(off, len)) {
                            int from = Math.min(off, 1000);
                            assertArrayEquals(Arrays.copyOfRange(p, from, Math.min(1000, from + len)), in.readAllBytes());
                        }
                    }
                }
                try (InputStream in = d.newInputStream(10, 500)) {
                    assertEquals(p[10] & 0xFF, in.read());
                    assertEquals(300, in.skip(300));
                    assertEquals(p[311] & 0xFF, in.read());
                    assertEquals(198, in.skip(1000));
                    assertEquals(-1, in.read());
                }
            }
        }

        @Test
        @DisplayName("concurrent positional reads from many threads all return the right bytes")
        void concurrentReads() throws Exception {
            byte[] p = random(20 * 1024, 5);
            byte[] k = key(DataAlgorithm.AES_256_GCM, 5);
            byte[] blob = encrypt(header(DataAlgorithm.AES_256_GCM, 1024), k, p);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try (ObjectDecryptor d = ObjectFormats.open(blob(blob), k, NAME)) {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    long seed = t;
                    fs.add(pool.submit(() -> {
                        Random r = new Random(seed);
                        for (int i = 0; i < 300; i++) {
                            int off = r.nextInt(p.length);
                            int len = 1 + r.nextInt(3000);
                            byte[] got = readRange(d, off, len);
                            assertArrayEquals(Arrays.copyOfRange(p, off, Math.min(p.length, off + len)), got);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    @DisplayName("the reader decrypts only the chunks a range touches")
    class OnlyTouchedChunks {
        /** {@code chunks} 1000-byte chunks of random plaintext sealed under an AES-256-GCM key; reads counted per chunk. */
        record Sealed(byte[] p, byte[] k, byte[] sealed, ChunkLayout layout, CountingBlob counting) {
            static Sealed of(int chunks, long seed) throws IOException {
                ObjectHeader h = header(DataAlgorithm.AES_256_GCM, 1000);
                byte[] p = random(chunks * 1000, seed);
                byte[] k = key(DataAlgorithm.AES_256_GCM, seed);
                byte[] sealed = encrypt(h, k, p);
                return new Sealed(p, k, sealed, ObjectFormats.latest().layout(h), new CountingBlob(blob(sealed)));
            }
        }

        @Test
        void countsBlobReads() throws IOException {
            Sealed s = Sealed.of(10, 6);
            byte[] p = s.p(), k = s.k();
            ChunkLayout layout = s.layout();
            CountingBlob counting = s.counting();
            try (ObjectDecryptor d = ObjectFormats.open(counting, k, NAME)) {
                // opening reads the header and authenticates the final chunk (chunk 9), nothing else
                assertEquals(Set.of(9L), counting.chunksRead(layout));
                counting.reset();
                assertArrayEquals(Arrays.copyOfRange(p, 4100, 4200), readRange(d, 4100, 100));
                assertEquals(Set.of(4L), counting.chunksRead(layout));
                counting.reset();
                readRange(d, 2999, 1002);
                assertEquals(Set.of(2L, 3L, 4L), counting.chunksRead(layout));
                counting.reset();
                try (InputStream in = d.newInputStream(7000, 1500)) {
                    in.readAllBytes();
                }
                assertEquals(Set.of(7L, 8L), counting.chunksRead(layout));
                counting.reset();
                d.verifyAll();
                assertEquals(10, counting.chunksRead(layout).size());
            }
        }

        @Test
        @DisplayName("a range over several chunks is one blob read, and every chunk in it is still authenticated")
        void multiChunkRangeIsOneReadAndAuthenticated() throws IOException {
            Sealed s = Sealed.of(10, 9);
            byte[] p = s.p(), k = s.k(), blob = s.sealed();
            ChunkLayout layout = s.layout();
            CountingBlob counting = s.counting();
            try (ObjectDecryptor d = ObjectFormats.open(counting, k, NAME)) {
                counting.reset();
                assertArrayEquals(Arrays.copyOfRange(p, 1500, 6500), readRange(d, 1500, 5000));
                assertEquals(1, counting.reads.size());
                assertEquals(Set.of(1L, 2L, 3L, 4L, 5L, 6L), counting.chunksRead(layout));
            }
            // one flipped bit in the middle chunk of such a range fails the read, naming that chunk
            byte[] bad = blob.clone();
            bad[(int) (layout.headerLength() + 3 * layout.sealedChunkSize() + 40)] ^= 4;
            try (ObjectDecryptor d = ObjectFormats.open(new CountingBlob(blob(bad)), k, NAME)) {
                IntegrityException e = assertThrows(IntegrityException.class, () -> readRange(d, 1500, 5000));
                assertEquals(3, e.chunkIndex());
            }
        }

        @Test
        @DisplayName("a multi-chunk range starting in this thread's verified chunk reads only the chunks after it")
        void multiChunkRangeSkipsTheCachedChunk() throws IOException {
            Sealed s = Sealed.of(10, 11);
            byte[] p = s.p(), k = s.k();
            ChunkLayout layout = s.layout();
            CountingBlob counting = s.counting();
            try (ObjectDecryptor d = ObjectFormats.open(counting, k, NAME)) {
                readRange(d, 1000, 100); // chunk 1 verified and kept by this thread
                counting.reset();
                assertArrayEquals(Arrays.copyOfRange(p, 1500, 3500), readRange(d, 1500, 2000));
                assertEquals(1, counting.reads.size());
                assertEquals(Set.of(2L, 3L), counting.chunksRead(layout));
            }
        }

        @Test
        @DisplayName("a range too large for one blob read falls back to chunk-by-chunk reads")
        void largeRangeChunkByChunk() throws IOException {
            int chunk = 64 * 1024;
            byte[] p = random(12 * chunk + 5, 10);
            byte[] k = key(DataAlgorithm.AES_256_GCM, 10);
            ObjectHeader h = header(DataAlgorithm.AES_256_GCM, chunk);
            CountingBlob counting = new CountingBlob(blob(encrypt(h, k, p)));
            try (ObjectDecryptor d = ObjectFormats.open(counting, k, NAME)) {
                counting.reset();
                assertArrayEquals(Arrays.copyOfRange(p, 10, p.length), readRange(d, 10, p.length - 10));
                assertEquals(13, counting.reads.size());
            }
        }

        @Test
        @DisplayName("small sequential reads within one chunk decrypt it once per thread; other objects do not disturb it")
        void lastChunkIsReused() throws IOException {
            Sealed s = Sealed.of(5, 7);
            byte[] p = s.p(), k = s.k();
            ChunkLayout layout = s.layout();
            CountingBlob counting = s.counting();
            byte[] other = encrypt(header(DataAlgorithm.AES_256_GCM, 1000), k, random(3000, 8));
            try (ObjectDecryptor d = ObjectFormats.open(counting, k, NAME);
                 ObjectDecryptor o = ObjectFormats.open(blob(other), k, NAME)) {
                counting.reset();
                for (int off = 1000; off < 2000; off += 100) {
                    assertArrayEquals(Arrays.copyOfRange(p, off, off + 100), readRange(d, off, 100));
                }
                assertEquals(1, counting.reads.size());
                readRange(o, 1000, 100); // the other object's chunk 1 replaces this thread's cached chunk
                assertArrayEquals(Arrays.copyOfRange(p, 1500, 1600), readRange(d, 1500, 100));
                assertEquals(2, counting.reads.size());
                d.verifyAll(); // verifyAll always reads and authenticates every chunk
                assertEquals(2 + 5, counting.reads.size());
                assertEquals(Set.of(1L, 0L, 2L, 3L, 4L), counting.chunksRead(layout));
            }
        }
    }

    @Nested
    @DisplayName("nonces")
    class Nonces {
        @Test
        @DisplayName("re-encrypting the same version id with the same key never repeats a nonce")
        void neverRepeat() throws IOException {
            int chunk = 16;
            ObjectHeader h = header(DataAlgorithm.AES_256_GCM, chunk);
            byte[] k = key(DataAlgorithm.AES_256_GCM, 1);
            byte[] p = random(chunk * 50, 1);
            ChunkLayout layout = ObjectFormats.latest().layout(h);
            Set<String> nonces = new HashSet<>();
            for (int round = 0; round < 3; round++) {
                byte[] blob = encrypt(h, k, p);
                for (long i = 0; i < layout.chunkCount(p.length); i++) {
                    int off = (int) layout.chunkCiphertextOffset(i);
                    assertTrue(nonces.add(Arrays.toString(Arrays.copyOfRange(blob, off, off + ChunkLayout.NONCE_LENGTH))));
                }
                assertArrayEquals(p, decryptAll(blob, k));
            }
        }
    }

    @Nested
    @DisplayName("the encryptor's lifecycle")
    class Lifecycle {
        @Test
        @DisplayName("close() finishes; finish() is idempotent; writes after finish are refused")
        void closeFinishes() throws IOException {
            byte[] k = key(DataAlgorithm.AES_256_GCM, 2);
            ObjectHeader h = header(DataAlgorithm.AES_256_GCM, 16);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(h, k, Channels.newChannel(out), NAME);
            enc.write(ByteBuffer.wrap(new byte[40]));
            assertEquals(40, enc.plaintextSize());
            enc.close();
            assertFalse(enc.isOpen());
            assertArrayEquals(new byte[40], decryptAll(out.toByteArray(), k));

            ObjectEncryptor enc2 = ObjectFormats.latest().newEncryptor(h, k, Channels.newChannel(new ByteArrayOutputStream()), NAME);
            ObjectEncryptor.Result r1 = enc2.finish();
            assertEquals(r1, enc2.finish());
            assertThrows(IllegalStateException.class, () -> enc2.write(ByteBuffer.allocate(1)));
            enc2.close();
        }

        @Test
        @DisplayName("after a failed write to the target, nothing more is written and close() does not seal a final chunk")
        void failedTarget() throws IOException {
            byte[] k = key(DataAlgorithm.AES_256_GCM, 2);
            ObjectHeader h = header(DataAlgorithm.AES_256_GCM, 16);
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            boolean[] fail = {false};
            java.nio.channels.WritableByteChannel flaky = new java.nio.channels.WritableByteChannel() {
                final java.nio.channels.WritableByteChannel inner = Channels.newChannel(sink);
                public int write(ByteBuffer src) throws IOException {
                    if (fail[0]) throw new IOException("disk full");
                    return inner.write(src);
                }
                public boolean isOpen() { return true; }
                public void close() {}
            };
            ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(h, k, flaky, NAME);
            enc.write(ByteBuffer.wrap(new byte[20]));
            fail[0] = true;
            // sealed chunks are written out in pieces of a few hundred KiB: 1 MiB reaches the target for sure
            assertThrows(IOException.class, () -> enc.write(ByteBuffer.wrap(new byte[1 << 20])));
            fail[0] = false;
            IOException e = assertThrows(IOException.class, enc::finish);
            assertTrue(e.getMessage().contains(NAME), e.getMessage());
            int before = sink.size();
            enc.close();
            assertEquals(before, sink.size());
        }

        @Test
        @DisplayName("data keys shorter than the algorithm's key are refused")
        void shortKeys() {
            ObjectHeader h = header(DataAlgorithm.AES_256_GCM, 16);
            var sink = Channels.newChannel(new ByteArrayOutputStream());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ObjectFormats.latest().newEncryptor(h, new byte[16], sink, NAME));
            assertTrue(e.getMessage().contains("AES-256-GCM needs a data key of at least 32 bytes"), e.getMessage());
        }

        @Test
        @DisplayName("SM4 accepts a 128-bit data key, and a longer one")
        void sm4Keys() throws IOException {
            for (int len : new int[] {16, 32}) {
                byte[] k = random(len, len);
                byte[] p = random(100, 1);
                byte[] blob = encrypt(header(DataAlgorithm.SM4_GCM, 32), k, p);
                assertArrayEquals(p, decryptAll(blob, k));
            }
        }
    }

    /** Records which blob byte ranges were read. */
    static final class CountingBlob implements BlobReader {
        private final BlobReader inner;
        private final List<long[]> reads = new ArrayList<>();

        CountingBlob(BlobReader inner) {
            this.inner = inner;
        }

        @Override
        public long size() throws IOException {
            return inner.size();
        }

        @Override
        public synchronized int read(long position, ByteBuffer dst) throws IOException {
            int n = inner.read(position, dst);
            if (n > 0) reads.add(new long[] {position, position + n});
            return n;
        }

        synchronized void reset() {
            reads.clear();
        }

        /** Chunks any read byte range overlaps (header reads excluded). */
        synchronized Set<Long> chunksRead(ChunkLayout layout) {
            Set<Long> chunks = new HashSet<>();
            for (long[] r : reads) {
                if (r[1] <= layout.headerLength()) continue;
                long from = Math.max(r[0], layout.headerLength()) - layout.headerLength();
                long to = r[1] - layout.headerLength();
                for (long c = from / layout.sealedChunkSize(); c <= (to - 1) / layout.sealedChunkSize(); c++) chunks.add(c);
            }
            return chunks;
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
