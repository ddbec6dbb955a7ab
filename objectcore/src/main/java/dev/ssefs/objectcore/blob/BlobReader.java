package dev.ssefs.objectcore.blob;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Positional reads of one committed blob. Thread-safe. */
public interface BlobReader extends Closeable {
    long size() throws IOException;

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code position}; may read fewer.
     * @return bytes read, or -1 at or past the end
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /**
     * Bytes {@code [position, position + length)} without copying, when the blob already sits in memory; null when
     * the reader cannot (then callers use {@link #read}). Callers must not modify the returned buffer's content.
     * @throws java.io.EOFException when the blob ends first
     */
    default ByteBuffer view(long position, int length) throws IOException {
        return null;
    }

    /** Fills {@code dst} from {@code position}. @throws EOFException when the blob ends first */
    default void readFully(long position, ByteBuffer dst) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = read(pos, dst);
            if (n < 0) throw new EOFException("blob ends at " + pos + ", " + dst.remaining() + " bytes short");
            pos += n;
        }
    }
}
