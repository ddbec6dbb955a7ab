package dev.ssefs.keys.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Opens real files and records "open", "write" and "force" per file name; a directory's "force" also records whether
 * {@code watched} existed at that moment. Optionally fails one operation on one file name with an IOException.
 */
final class RecordingChannels implements JournaledVolume.Channels {
    final List<String> log = new CopyOnWriteArrayList<>();
    private final Path watched;
    volatile String failName;
    volatile String failOp;
    /** How many more times the failure is injected. */
    volatile int failTimes = Integer.MAX_VALUE;

    RecordingChannels(Path watched) { this.watched = watched; }

    private void record(Path p, String op) throws IOException {
        String entry = op + " " + p.getFileName();
        if (Files.isDirectory(p) && op.equals("force")) entry = "fsync dir, " + watched.getFileName() + (Files.exists(watched) ? " exists" : " gone");
        log.add(entry);
        if (p.getFileName().toString().equals(failName) && op.equals(failOp) && failTimes-- > 0) {
            throw new IOException("injected " + op + " failure");
        }
    }

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        record(path, "open");
        return new Recording(path, FileChannel.open(path, options));
    }

    private final class Recording extends FileChannel {
        private final Path path;
        private final FileChannel d;

        Recording(Path path, FileChannel d) {
            this.path = path;
            this.d = d;
        }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return d.read(dsts, offset, length); }
        @Override public int write(ByteBuffer src) throws IOException { record(path, "write"); return d.write(src); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException { record(path, "write"); return d.write(srcs, offset, length); }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long p) throws IOException { d.position(p); return this; }
        @Override public long size() throws IOException { return d.size(); }
        @Override public FileChannel truncate(long size) throws IOException { record(path, "truncate"); d.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { record(path, "force"); d.force(metaData); }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return d.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { record(path, "write"); return d.transferFrom(src, position, count); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return d.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException { record(path, "write"); return d.write(src, position); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return d.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return d.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return d.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { d.close(); }
    }
}
