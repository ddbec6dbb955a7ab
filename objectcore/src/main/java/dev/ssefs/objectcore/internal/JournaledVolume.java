package dev.ssefs.objectcore.internal;

import org.mapdb.DataInput2;
import org.mapdb.volume.FileChannelVol;
import org.mapdb.volume.Volume;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;

/**
 * A MapDB {@link Volume} whose {@link #sync()} is atomic, so that meta.db survives a crash at any instant.
 * <p>
 * Why: MapDB 3.1's write-ahead log ({@code transactionEnable()}) writes the WAL, then applies the changes to the main
 * file in place, but never replays a WAL on open; a process killed while a commit is being applied leaves a torn
 * meta.db ("Broken bit parity"). So meta.db is a plain StoreDirect on this volume instead: every write lands in
 * in-memory dirty pages (reads see them); {@code sync()} (StoreDirect's commit) writes all dirty pages to
 * {@code meta.db.journal} with a CRC, forces it, writes them into the main file, forces it, and empties the journal.
 * On open a complete journal is applied again (idempotent) and a torn one is discarded: the main file is only ever
 * written from a complete, forced journal. So the file always holds exactly the state of some commit.
 */
public final class JournaledVolume extends Volume {
    static final int PAGE = 4096;
    private static final long MAGIC = 0x5353454653_4A4E4CL; // "SSEFSJNL"

    private final File file;
    private final Path journal;
    private final FileChannelVol main;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Page number -> page content, for pages written since the last sync. Guarded by lock. */
    private final TreeMap<Long, byte[]> dirty = new TreeMap<>();
    /**
     * Clean pages as read from the main file (or written to it by a sync): MapDB reads small fields very often (the
     * header checksum alone reads every header int), so reads must not be syscalls. Bounded: cleared when full.
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, byte[]> clean = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_CLEAN_PAGES = 8192; // 32 MiB
    /** The logical length; may exceed the file's until the next sync. Guarded by lock. */
    private long size;
    /** The main file's length (cached: asking the channel is a syscall). */
    private volatile long fileLen;
    private boolean discarded;

    public JournaledVolume(File file) {
        this.file = file;
        this.journal = Path.of(file.getPath() + ".journal");
        try {
            recover(file.toPath(), journal);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover " + file + " from its journal: " + e.getMessage(), e);
        }
        this.main = new FileChannelVol(file, false, 0L, 20, 0L);
        this.size = main.length();
        this.fileLen = size;
    }

    /** Applies a complete journal to the main file (again); discards a torn one. */
    static void recover(Path file, Path journal) throws IOException {
        if (!Files.exists(journal)) return;
        byte[] j = Files.readAllBytes(journal);
        Parsed p = parse(j);
        if (p != null) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                for (Map.Entry<Long, byte[]> e : p.pages.entrySet()) {
                    ByteBuffer b = ByteBuffer.wrap(e.getValue());
                    long pos = e.getKey() * PAGE;
                    while (b.hasRemaining()) pos += ch.write(b, pos);
                }
                if (ch.size() > p.size) ch.truncate(p.size);
                ch.force(true);
            }
        }
        Files.delete(journal);
    }

    private record Parsed(long size, TreeMap<Long, byte[]> pages) {}

    /** Journal: MAGIC, size, count, then count x (page number, PAGE bytes), then CRC32C of all before it. */
    private static Parsed parse(byte[] j) {
        if (j.length < 28) return null;
        ByteBuffer b = ByteBuffer.wrap(j);
        if (b.getLong() != MAGIC) return null;
        long size = b.getLong();
        int count = b.getInt();
        long expected = 20L + (long) count * (8 + PAGE) + 8;
        if (count < 0 || expected != j.length) return null;
        CRC32C crc = new CRC32C();
        crc.update(j, 0, j.length - 8);
        if (ByteBuffer.wrap(j, j.length - 8, 8).getLong() != crc.getValue()) return null;
        TreeMap<Long, byte[]> pages = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            long no = b.getLong();
            byte[] page = new byte[PAGE];
            b.get(page);
            pages.put(no, page);
        }
        return new Parsed(size, pages);
    }

    /** Drops every write since the last sync; later writes are ignored and close() writes nothing. */
    public void discard() {
        lock.writeLock().lock();
        try {
            dirty.clear();
            discarded = true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ------------------------------------------------------------------ page access (callers hold the lock)

    private byte[] pageForWrite(long no) {
        byte[] p = dirty.get(no);
        if (p == null) {
            p = cleanPage(no).clone();
            dirty.put(no, p);
        }
        return p;
    }

    /** The page as the main file holds it (zeros past its end); do not modify the returned array. */
    private byte[] cleanPage(long no) {
        byte[] p = clean.get(no);
        if (p == null) {
            p = new byte[PAGE];
            long start = no * PAGE;
            long len = fileLen;
            if (start < len) main.getData(start, p, 0, (int) Math.min(PAGE, len - start));
            if (clean.size() >= MAX_CLEAN_PAGES) clean.clear();
            clean.put(no, p);
        }
        return p;
    }

    private void write(long offset, byte[] src, int srcPos, int len) {
        if (discarded) return;
        while (len > 0) {
            long no = offset / PAGE;
            int in = (int) (offset % PAGE);
            int n = Math.min(len, PAGE - in);
            System.arraycopy(src, srcPos, pageForWrite(no), in, n);
            offset += n;
            srcPos += n;
            len -= n;
        }
        if (offset > size) size = offset;
    }

    private void read(long offset, byte[] dst, int dstPos, int len) {
        while (len > 0) {
            long no = offset / PAGE;
            int in = (int) (offset % PAGE);
            int n = Math.min(len, PAGE - in);
            byte[] p = dirty.get(no);
            if (p == null) p = cleanPage(no);
            System.arraycopy(p, in, dst, dstPos, n);
            offset += n;
            dstPos += n;
            len -= n;
        }
    }

    // ------------------------------------------------------------------ Volume

    @Override
    public void ensureAvailable(long offset) {
        lock.writeLock().lock();
        try {
            if (offset > size) size = offset;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void truncate(long newSize) {
        lock.writeLock().lock();
        try {
            size = newSize;
            dirty.tailMap((newSize + PAGE - 1) / PAGE, true).clear();
            clean.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void putLong(long offset, long value) {
        putData(offset, ByteBuffer.allocate(8).putLong(value).array(), 0, 8);
    }

    @Override
    public void putInt(long offset, int value) {
        putData(offset, ByteBuffer.allocate(4).putInt(value).array(), 0, 4);
    }

    @Override
    public void putByte(long offset, byte value) {
        putData(offset, new byte[]{value}, 0, 1);
    }

    @Override
    public void putData(long offset, byte[] src, int srcPos, int srcSize) {
        lock.writeLock().lock();
        try {
            write(offset, src, srcPos, srcSize);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void putData(long offset, ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        putData(offset, b, 0, b.length);
    }

    @Override
    public long getLong(long offset) {
        byte[] b = new byte[8];
        getData(offset, b, 0, 8);
        return ByteBuffer.wrap(b).getLong();
    }

    @Override
    public int getInt(long offset) {
        byte[] b = new byte[4];
        getData(offset, b, 0, 4);
        return ByteBuffer.wrap(b).getInt();
    }

    @Override
    public byte getByte(long offset) {
        byte[] b = new byte[1];
        getData(offset, b, 0, 1);
        return b[0];
    }

    @Override
    public DataInput2 getDataInput(long offset, int size) {
        byte[] b = new byte[size];
        getData(offset, b, 0, size);
        return new DataInput2.ByteArray(b);
    }

    @Override
    public void getData(long offset, byte[] bytes, int bytesPos, int size) {
        lock.readLock().lock();
        try {
            read(offset, bytes, bytesPos, size);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The atomic commit: journal (forced), then the main file (forced), then the journal is dropped. Readers are not
     * blocked during the fsyncs: they keep reading the dirty pages until the main file holds them. The caller must
     * not write concurrently (MetaStore serialises writes and commits under one lock).
     */
    @Override
    public void sync() {
        lock.readLock().lock();
        try {
            if (discarded) return;
            if (dirty.isEmpty() && size == fileLen) return;
            List<Map.Entry<Long, byte[]>> pages = new ArrayList<>(dirty.entrySet());
            int total = 20 + pages.size() * (8 + PAGE) + 8;
            ByteBuffer j = ByteBuffer.allocate(total);
            j.putLong(MAGIC).putLong(size).putInt(pages.size());
            for (Map.Entry<Long, byte[]> e : pages) j.putLong(e.getKey()).put(e.getValue());
            CRC32C crc = new CRC32C();
            crc.update(j.array(), 0, total - 8);
            j.putLong(crc.getValue());
            j.flip();
            try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                restrict(journal);
                while (j.hasRemaining()) ch.write(j);
                ch.force(true);
            }
            if (size > fileLen) main.ensureAvailable(size);
            for (Map.Entry<Long, byte[]> e : pages) {
                long pos = e.getKey() * PAGE;
                int n = (int) Math.min(PAGE, Math.max(0, size - pos));
                if (n > 0) main.putData(pos, e.getValue(), 0, n);
            }
            if (size < main.length()) main.truncate(size);
            main.sync();
            fileLen = main.length();
            Files.delete(journal);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit " + file + ": " + e.getMessage(), e);
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            // the written pages are what the file now holds
            if (clean.size() + dirty.size() >= MAX_CLEAN_PAGES) clean.clear();
            clean.putAll(dirty);
            dirty.clear();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static void restrict(Path p) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException ignored) {
            // best effort; the data dir is 0700
        }
    }

    @Override
    public int sliceSize() { return -1; }

    @Override
    public boolean isSliced() { return false; }

    @Override
    public long length() {
        lock.readLock().lock();
        try {
            return size;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public boolean isReadOnly() { return false; }

    @Override
    public File getFile() { return file; }

    @Override
    public boolean getFileLocked() { return main.getFileLocked(); }

    @Override
    public void clear(long startOffset, long endOffset) {
        long len = endOffset - startOffset;
        byte[] zeros = new byte[(int) Math.min(len, 1 << 16)];
        for (long pos = startOffset; pos < endOffset; pos += zeros.length) {
            putData(pos, zeros, 0, (int) Math.min(zeros.length, endOffset - pos));
        }
    }

    /** Commits what is dirty (StoreDirect writes its header before closing the volume), then closes. */
    @Override
    public void close() {
        try {
            if (!discarded) sync();
        } finally {
            main.close();
        }
    }
}
