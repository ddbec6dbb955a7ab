package dev.ssefs.objectcore;

import dev.ssefs.keys.store.JournaledVolume;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Opens real files, but fails chosen operations ("write", "force", "truncate") on chosen file names with an
 * IOException, as a full disk (ENOSPC) or a failing device (EIO) would; records every operation.
 */
final class FaultyChannels implements JournaledVolume.Channels {
    private volatile String failName;
    private volatile String failOp;
    private volatile String failMessage;
    final List<String> log = new CopyOnWriteArrayList<>();

    /** From now on, {@code op} on the file named {@code fileName} fails with {@code message}. */
    void fail(String fileName, String op, String message) {
        failName = fileName;
        failOp = op;
        failMessage = message;
    }

    void heal() { failName = null; }

    private void check(Path p, String op) throws IOException {
        log.add(op + " " + p.getFileName());
        if (p.getFileName().toString().equals(failName) && op.equals(failOp)) throw new IOException(failMessage);
    }

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        log.add("open " + path.getFileName());
        return new Faulty(path, FileChannel.open(path, options));
    }

    private final class Faulty extends FileChannel {
        private final Path path;
        private final FileChannel d;

        Faulty(Path path, FileChannel d) {
            this.path = path;
            this.d = d;
        }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return d.read(dsts, offset, length); }
        @Override public int write(ByteBuffer src) throws IOException { check(path, "write"); return d.write(src); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException { check(path, "write"); return d.write(srcs, offset, length); }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long p) throws IOException { d.position(p); return this; }
        @Override public long size() throws IOException { return d.size(); }
        @Override public FileChannel truncate(long size) throws IOException { check(path, "truncate"); d.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { check(path, "force"); d.force(metaData); }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return d.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { check(path, "write"); return d.transferFrom(src, position, count); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return d.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException { check(path, "write"); return d.write(src, position); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return d.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return d.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return d.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { d.close(); }
    }
}
