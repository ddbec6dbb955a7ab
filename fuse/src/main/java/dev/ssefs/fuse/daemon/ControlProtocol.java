package dev.ssefs.fuse.daemon;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The daemon's control socket protocol. The client sends a request (argv, working directory, environment),
 * then stdin as frames; the daemon answers with stdout and stderr frames and finally the exit status.
 * A frame is {@code type:byte length:int bytes}. Both directions run at once on one channel: reads and
 * writes go straight to the channel (never through a blocking-lock-sharing stream adaptor).
 */
final class ControlProtocol {
    static final int MAGIC = 0x53534546; // "SSEF"
    static final int VERSION = 1;
    static final byte STDIN = 'I', STDIN_EOF = 'i', STDOUT = 'O', STDERR = 'E', EXIT = 'X';
    static final String SOCKET_NAME = "ssefs.sock";

    private ControlProtocol() {}

    static Path socketPath(Path dataDir) { return dataDir.resolve(SOCKET_NAME); }

    /** Reads from a blocking channel. */
    static final class In extends InputStream {
        private final SocketChannel ch;

        In(SocketChannel ch) { this.ch = ch; }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            int n = read(b, 0, 1);
            return n < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            return ch.read(ByteBuffer.wrap(b, off, len));
        }

        void readFully(byte[] b) throws IOException {
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining()) if (ch.read(bb) < 0) throw new EOFException("control connection closed");
        }

        int readInt() throws IOException {
            byte[] b = new byte[4];
            readFully(b);
            return ByteBuffer.wrap(b).getInt();
        }

        byte readByte() throws IOException {
            byte[] b = new byte[1];
            readFully(b);
            return b[0];
        }

        String readString() throws IOException {
            int n = readInt();
            if (n < 0 || n > (1 << 20)) throw new IOException("bad string length " + n);
            byte[] b = new byte[n];
            readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    /** Writes whole frames to a blocking channel; safe for several writer threads. */
    static final class Out {
        private final SocketChannel ch;

        Out(SocketChannel ch) { this.ch = ch; }

        synchronized void frame(byte type, byte[] b, int off, int len) throws IOException {
            ByteBuffer head = ByteBuffer.allocate(5).put(type).putInt(len).flip();
            ByteBuffer body = ByteBuffer.wrap(b, off, len);
            while (head.hasRemaining() || body.hasRemaining()) ch.write(new ByteBuffer[] {head, body});
        }

        synchronized void raw(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) ch.write(b);
        }

        /** An OutputStream that sends each write as one frame of {@code type}. */
        OutputStream stream(byte type) {
            return new OutputStream() {
                @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

                @Override public void write(byte[] b, int off, int len) throws IOException {
                    if (len > 0) frame(type, b, off, len);
                }
            };
        }
    }

    static ByteBuffer string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).flip();
    }
}
