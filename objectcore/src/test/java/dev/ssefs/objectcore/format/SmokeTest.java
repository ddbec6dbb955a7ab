package dev.ssefs.objectcore.format;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class SmokeTest {
    @Test
    void roundTrip() throws Exception {
        for (DataAlgorithm alg : DataAlgorithm.values()) {
            for (int size : new int[] {0, 1, 65535, 65536, 65537, 300_000}) {
                byte[] p = TestObjects.random(size, size);
                byte[] k = TestObjects.key(alg, 1);
                ObjectHeader h = TestObjects.header(alg, ChunkLayout.DEFAULT_CHUNK_SIZE);
                byte[] blob = TestObjects.encrypt(h, k, p, 10_000);
                assertEquals(ObjectFormats.latest().layout(h).ciphertextSize(size), blob.length);
                assertArrayEquals(p, TestObjects.decryptAll(blob, k), alg + " " + size);
            }
        }
    }
}
