package dev.ssefs.objectcore.format;

import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.blob.InMemoryBlobStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.Random;

/** Helpers shared by the format tests. */
final class TestObjects {
    static final String NAME = "oss://bucket/key";

    private TestObjects() {}

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] key(DataAlgorithm alg, long seed) {
        return random(alg.keyLength(), seed ^ 0x5EED);
    }

    static ObjectHeader header(DataAlgorithm alg, int chunkSize) {
        return ObjectHeader.newVersion(alg, "KMS", "key-1234", "ver-1", random(48, 7), chunkSize);
    }

    static byte[] encrypt(ObjectHeader header, byte[] key, byte[] plaintext) throws IOException {
        return encrypt(header, key, plaintext, plaintext.length + 1);
    }

    /** Encrypts, feeding the plaintext in writes of at most {@code writeSize} bytes. */
    static byte[] encrypt(ObjectHeader header, byte[] key, byte[] plaintext, int writeSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectEncryptor enc = ObjectFormats.latest().newEncryptor(header, key, Channels.newChannel(out), NAME)) {
            for (int off = 0; off < plaintext.length; off += writeSize) {
                enc.write(ByteBuffer.wrap(plaintext, off, Math.min(writeSize, plaintext.length - off)));
            }
            enc.finish();
        }
        return out.toByteArray();
    }

    static BlobReader blob(byte[] bytes) {
        return InMemoryBlobStore.reader(bytes);
    }

    static byte[] decryptAll(byte[] blob, byte[] key) throws IOException {
        try (ObjectDecryptor d = ObjectFormats.open(blob(blob), key, NAME); InputStream in = d.newInputStream()) {
            return in.readAllBytes();
        }
    }

    static byte[] readRange(ObjectDecryptor d, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        int n = d.read(pos, b);
        byte[] out = new byte[Math.max(n, 0)];
        b.flip();
        b.get(out);
        return out;
    }
}
