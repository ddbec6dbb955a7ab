package dev.ssefs.objectcore.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Random-access plaintext of one stored object. Opening it authenticated the header and the final chunk, so
 * {@link #plaintextSize()} is authentic. Each read decrypts only the chunks its range touches, verifies each chunk's
 * tag before copying a byte out, and throws {@link IntegrityException} instead of ever returning wrong bytes.
 * Thread-safe for positional reads.
 */
public interface ObjectDecryptor extends AutoCloseable {
    /** The authenticated header. */
    ObjectHeader header();

    ChunkLayout layout();

    long plaintextSize();

    /**
     * Fills {@code dst} with plaintext from {@code position}, up to the end of the object.
     * @return bytes read, or -1 when {@code position} is at or past the end (and {@code dst} has room)
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /** Authenticates every chunk. */
    void verifyAll() throws IOException;

    /** A sequential view of plaintext {@code offset} .. {@code offset + length} (clamped to the end of the object). */
    InputStream newInputStream(long offset, long length);

    /** The whole plaintext as a stream. */
    default InputStream newInputStream() {
        return newInputStream(0, Long.MAX_VALUE);
    }

    /** Drops the key material. Does not close the blob reader, which the caller owns. */
    @Override
    void close();
}
