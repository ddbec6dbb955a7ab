package dev.ssefs.keys.store;

import org.mapdb.DBException;
import org.mapdb.DataInput2;
import org.mapdb.volume.SingleByteArrayVol;
import org.mapdb.volume.Volume;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.OpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * A MapDB {@link Volume} whose {@link #sync()} is atomic, so that a MapDB store (meta.db, keys.db) survives a crash at
 * any instant.
 * <p>
 * Why: MapDB 3.1's write-ahead log ({@code transactionEnable()}) writes the WAL, then applies the changes to the main
 * file in place, but never replays a WAL on open; a process killed while a commit is being applied leaves a torn
 * file ("Broken bit parity"). So the store is a plain StoreDirect on this volume instead: every write lands in
 * in-memory dirty pages (reads see them); {@code sync()} (StoreDirect's commit) writes all dirty pages to
 * {@code <file>.journal} with a CRC, forces it, writes them into the main file, forces it, and deletes the journal.
 * On open a complete journal is applied again (idempotent) and a torn one is discarded: the main file is only ever
 * written from a complete, forced journal. So the file always holds exactly the state of some commit.
 * <p>
 * <b>The outcome of a sync is never ambiguous.</b> Once the journal is forced the commit is decided: durable (a crash
 * replays it). If applying it to the main file then fails (ENOSPC while the file grows, EIO), {@code sync()} still
 * returns normally; the applied-or-not pages stay in memory as the committed state (reads see them), the journal stays
 * on disk, and the apply is retried before the next commit (or replayed on the next open). {@code sync()} throws only
 * when the commit is <em>not</em> durable: then the caller rolls back ({@link #rollback()}) and nothing of it survives.
 * The one exception, a journal that was written but could neither be forced nor deleted, marks the volume
 * {@link #isFailed() failed}: only reopening (which lets the journal decide) tells whether it committed.
 * <p>
 * <b>Captured commits.</b> A store's commit runs under the store's lock, and its fsyncs would keep every writer
 * waiting. After {@link #captureNextSync()}, the next {@code sync()} only takes the dirty pages as an immutable
 * snapshot ({@link Captured}) and returns; writes go on into new dirty pages meanwhile (a page written again is a
 * copy of its snapshot page), and reads see the snapshot pages until the main file holds them.
 * {@link #completeCommit} then does the journal, fsyncs and apply outside the store's lock, with the same outcomes
 * as {@code sync()}: it returns once the snapshot's commit is durable, or throws when it is not, and then the snapshot
 * pages are dirty again (under any newer writes), to go with the next commit; {@link #abortCommit} does the same
 * without writing. While a captured commit is open, whatever needs the last commit known ({@code sync()},
 * {@link #discard()}, {@link #rollback()}, {@link #release()}, {@link #truncate}) waits for it to end.
 */
public final class JournaledVolume extends Volume {
    public static final int PAGE = 4096;
    private static final long MAGIC = 0x5353454653_4A4E4CL; // "SSEFSJNL"
    private static final Logger LOG = Logger.getLogger(JournaledVolume.class.getName());

    /** How the volume opens its files (the main file, the journal, the directory); tests inject I/O faults here. */
    @FunctionalInterface
    public interface Channels {
        FileChannel open(Path path, OpenOption... options) throws IOException;

        Channels DEFAULT = FileChannel::open;
    }

    /** Files open in this JVM: a second open must fail before it opens (and, closing, unlocks) the file. */
    private static final java.util.Set<Path> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final File file;
    private final Path key;
    private final Path journal;
    private final Channels channels;
    private final FileChannel main;
    private final FileLock fileLock;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /**
     * One permit: held by a commit from its capture to its end (a captured one may end on another thread, hence no
     * lock), and by whatever must not overlap one. Always taken before {@link #lock}, never while holding it; the
     * thread that captured a commit must end it before it calls any of those.
     */
    private final CommitGate commitInFlight = new CommitGate();

    private static final class CommitGate {
        private final java.util.concurrent.Semaphore permit = new java.util.concurrent.Semaphore(1);

        void lock() { permit.acquireUninterruptibly(); }

        void unlock() { permit.release(); }
    }
    /** Page number -> page content, for pages written since the last sync (or capture). Guarded by lock. */
    private TreeMap<Long, byte[]> dirty = new TreeMap<>();
    /** The pages of a captured commit not yet durable; immutable; read before {@link #pending}. Guarded by lock. */
    private TreeMap<Long, byte[]> committing;
    /** Set by {@link #captureNextSync()}: the next sync() captures instead of writing. */
    private boolean captureNext;
    /** What that sync() captured, until {@link #takeCaptured()}. */
    private Captured captured;
    /**
     * Pages of a durable commit (its journal is forced) that the main file may not hold yet because applying them
     * failed; applied before the next commit. Guarded by lock.
     */
    private final TreeMap<Long, byte[]> pending = new TreeMap<>();
    private boolean hasPending;
    /**
     * Clean pages as read from the main file (or written to it by a sync): MapDB reads small fields very often (the
     * header checksum alone reads every header int), so reads must not be syscalls. Bounded: cleared when full.
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, byte[]> clean = new java.util.concurrent.ConcurrentHashMap<>();
    /** The journal is written through this (only by the thread that holds commitInFlight). */
    private final ByteBuffer journalBuffer = ByteBuffer.allocate(64 * (8 + PAGE) + 20);
    private static final int MAX_CLEAN_PAGES = 8192; // 32 MiB
    /** The logical length; may exceed the file's until the next sync. Guarded by lock. */
    private long size;
    /** The length as of the last durable commit. Guarded by lock. */
    private long committedSize;
    /** The main file's length (cached: asking the channel is a syscall). */
    private volatile long fileLen;
    private boolean discarded;
    private boolean rolledBack;
    private volatile boolean failed;
    private boolean closed;

    public JournaledVolume(File file) {
        this(file, null, Channels.DEFAULT);
    }

    public JournaledVolume(File file, Consumer<Volume> verify) {
        this(file, verify, Channels.DEFAULT);
    }

    /**
     * Opens (creating if missing) and locks {@code file}, then replays a complete journal.
     *
     * @param verify   if not null, called after the lock is taken and before anything on disk is touched, with a
     *                 read-only in-memory copy of what the file holds once its journal is replayed (the state of the
     *                 last commit); if it throws, the file is unlocked, nothing on disk has changed, and the exception
     *                 is rethrown. For small files only (the copy is in memory).
     * @param channels opens the files (tests inject faults)
     * @throws org.mapdb.DBException.FileLocked if another process (or this one) has the file open
     */
    public JournaledVolume(File file, Consumer<Volume> verify, Channels channels) {
        this.file = file;
        this.journal = Path.of(file.getPath() + ".journal");
        this.channels = channels;
        this.key = file.toPath().toAbsolutePath().normalize();
        if (!OPEN.add(key)) throw new DBException.FileLocked(file.toPath(), null);
        try {
            this.main = channels.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            OPEN.remove(key);
            throw e instanceof IOException io ? new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), io)
                    : (RuntimeException) e;
        }
        try {
            // lock first: recovering while another process commits would replay or drop the journal it is writing
            FileLock l;
            try {
                l = main.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new DBException.FileLocked(file.toPath(), e);
            }
            if (l == null) throw new DBException.FileLocked(file.toPath(), null);
            this.fileLock = l;
            // all I/O on the main file goes through this channel: on Linux, closing any other descriptor of the
            // file would drop this process's lock on it (POSIX record locks)
            if (verify != null) verify.accept(snapshot(main, file.toPath(), journal));
            recover(main, journal, channels);
            this.fileLen = main.size();
        } catch (IOException e) {
            closeQuietly(main);
            OPEN.remove(key);
            throw new UncheckedIOException("cannot recover " + file + " from its journal: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeQuietly(main);
            OPEN.remove(key);
            throw e;
        }
        this.size = fileLen;
        this.committedSize = fileLen;
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing releases the lock; nothing else to do
        }
    }

    /** The main file with a complete journal applied, in memory and read-only; the disk is not touched. */
    private static Volume snapshot(FileChannel main, Path file, Path journal) throws IOException {
        long len = main.size();
        if (len > Integer.MAX_VALUE - 8) throw new IOException(file + " is too large to verify in memory");
        byte[] content = new byte[(int) len];
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining() && main.read(b, b.position()) >= 0) { /* read on */ }
        if (Files.exists(journal)) {
            Parsed p = parse(Files.readAllBytes(journal));
            if (p != null) {
                long end = p.size;
                for (long no : p.pages.keySet()) end = Math.max(end, (no + 1) * PAGE);
                if (end > Integer.MAX_VALUE - 8) throw new IOException(file + " is too large to verify in memory");
                byte[] c = java.util.Arrays.copyOf(content, (int) Math.max(content.length, end));
                for (Map.Entry<Long, byte[]> e : p.pages.entrySet()) {
                    System.arraycopy(e.getValue(), 0, c, (int) (e.getKey() * PAGE), PAGE);
                }
                content = java.util.Arrays.copyOf(c, (int) p.size);
            }
        }
        SingleByteArrayVol v = new SingleByteArrayVol(content.length);
        v.putData(0, content, 0, content.length);
        return v;
    }

    /** Applies a complete journal to the main file (again); discards a torn one. */
    public static void recover(Path file, Path journal) throws IOException {
        recover(file, journal, Channels.DEFAULT);
    }

    static void recover(Path file, Path journal, Channels channels) throws IOException {
        try (FileChannel ch = channels.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            recover(ch, journal, channels);
        }
    }

    private static void recover(FileChannel ch, Path journal, Channels channels) throws IOException {
        if (!Files.exists(journal)) return;
        byte[] j = Files.readAllBytes(journal);
        Parsed p = parse(j);
        if (p != null) {
            for (Map.Entry<Long, byte[]> e : p.pages.entrySet()) {
                writeFully(ch, ByteBuffer.wrap(e.getValue()), e.getKey() * PAGE);
            }
            if (ch.size() > p.size) ch.truncate(p.size);
            ch.force(true);
        }
        Files.delete(journal);
        // else a crash could bring back a journal of a commit that later ones built on
        forceDirectory(journal.toAbsolutePath().getParent(), channels);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) pos += ch.write(b, pos);
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
        // the last commit must be known: a captured one in flight becomes durable or not first
        commitInFlight.lock();
        lock.writeLock().lock();
        try {
            dirty.clear();
            size = committedSize;
            discarded = true;
        } finally {
            lock.writeLock().unlock();
            commitInFlight.unlock();
        }
    }

    /**
     * Rollback for a store on this volume: drops every write since the last commit and ignores writes (and the
     * store's close()) until {@link #reuse()}, so that the old store can be closed and a new one made on this volume,
     * which holds exactly the last commit (durable pages not yet applied included). The file stays open and locked.
     */
    public void rollback() {
        discard();
        lock.writeLock().lock();
        try {
            rolledBack = true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * A store's rollback: {@link #rollback()} when the last commit is known, else {@link #release()}. Returns true in
     * the second case, when the store must be reopened from the file so that its journal decides.
     */
    public boolean rollbackOrRelease() {
        // a commit still in flight may yet end with an unknown outcome: decide only once it has ended (no new one can
        // start: the store holds its lock, under which commits are captured)
        boolean reopen;
        commitInFlight.lock();
        try {
            reopen = failed;
        } finally {
            commitInFlight.unlock();
        }
        if (reopen) release(); else rollback();
        return reopen;
    }

    /** After {@link #rollback()} and the old store's close(): the volume accepts writes again. */
    public void reuse() {
        commitInFlight.lock();
        lock.writeLock().lock();
        try {
            if (closed) throw new IllegalStateException(file + " is closed");
            dirty.clear();
            size = committedSize;
            discarded = false;
            rolledBack = false;
        } finally {
            lock.writeLock().unlock();
            commitInFlight.unlock();
        }
    }

    /**
     * Whether a sync failed so that its outcome is unknown (the journal could neither be completed nor removed):
     * the store must be closed ({@link #release()}) and reopened, which lets the journal decide.
     */
    public boolean isFailed() { return failed; }

    /** Whether a durable commit may not be in the main file yet (its journal is still needed). */
    public boolean hasUnappliedCommit() {
        lock.readLock().lock();
        try {
            return hasPending || failed;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Closes the file without writing anything (the journal on disk, if any, is replayed on the next open). */
    public void release() {
        commitInFlight.lock();
        lock.writeLock().lock();
        try {
            dirty.clear();
            discarded = true;
            if (!closed) {
                closed = true;
                closeQuietly(main);
                OPEN.remove(key);
            }
        } finally {
            lock.writeLock().unlock();
            commitInFlight.unlock();
        }
    }

    // ------------------------------------------------------------------ page access (callers hold the lock)

    private byte[] pageForWrite(long no) {
        byte[] p = dirty.get(no);
        if (p == null) {
            byte[] committed = committing == null ? null : committing.get(no);
            if (committed == null) committed = pending.get(no);
            if (committed != null) {
                p = committed.clone();
            } else {
                // a copy of the file's page, not cached: a page written is new data more often than not
                byte[] cached = clean.get(no);
                p = cached != null ? cached.clone() : readMain(no);
            }
            dirty.put(no, p);
        }
        return p;
    }

    /** The page as the main file holds it (zeros past its end); do not modify the returned array. */
    private byte[] cleanPage(long no) {
        byte[] p = clean.get(no);
        if (p == null) {
            p = readMain(no);
            if (clean.size() >= MAX_CLEAN_PAGES) clean.clear();
            clean.put(no, p);
        }
        return p;
    }

    /** A new array with the main file's page (zeros past its end). */
    private byte[] readMain(long no) {
        byte[] p = new byte[PAGE];
        long start = no * PAGE;
        long len = fileLen;
        if (start < len) {
            ByteBuffer b = ByteBuffer.wrap(p, 0, (int) Math.min(PAGE, len - start));
            try {
                while (b.hasRemaining()) {
                    if (main.read(b, start + b.position()) < 0) break;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
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
            if (p == null && committing != null) p = committing.get(no);
            if (p == null) p = pending.get(no);
            if (p == null) p = cleanPage(no);
            System.arraycopy(p, in, dst, dstPos, n);
            offset += n;
            dstPos += n;
            len -= n;
        }
    }

    /** Pages held in memory until a commit is durable and applied: dirty, being committed, or applied-pending. */
    public int unsyncedPages() {
        lock.readLock().lock();
        try {
            return dirty.size() + (committing == null ? 0 : committing.size()) + pending.size();
        } finally {
            lock.readLock().unlock();
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
        commitInFlight.lock();
        lock.writeLock().lock();
        try {
            size = newSize;
            dirty.tailMap((newSize + PAGE - 1) / PAGE, true).clear();
            clean.clear();
        } finally {
            lock.writeLock().unlock();
            commitInFlight.unlock();
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
     * The atomic commit: journal (forced), then the main file (forced), then the journal is deleted. Readers are not
     * blocked during the fsyncs: they keep reading the dirty pages until the main file holds them. The caller must
     * not write concurrently (the stores serialise writes and commits under one lock).
     *
     * @throws UncheckedIOException only if the commit is not durable (see the class comment); then roll back
     */
    @Override
    public void sync() {
        if (captureNext) {
            captureNext = false;
            captured = capture();
            return;
        }
        commitInFlight.lock();
        try {
            if (discarded || closed) return;
            Captured c = capture0();
            if (c != null) complete(c);
        } finally {
            commitInFlight.unlock();
        }
    }

    /**
     * A commit's pages, captured by a {@code sync()} after {@link #captureNextSync()}; made durable by
     * {@link #completeCommit} or given back by {@link #abortCommit}. Empty when there was nothing to commit.
     */
    public static final class Captured {
        private final JournaledVolume volume;
        private final List<Map.Entry<Long, byte[]>> pages;
        private final long size;
        private boolean ended;

        private Captured(JournaledVolume volume, List<Map.Entry<Long, byte[]>> pages, long size) {
            this.volume = volume;
            this.pages = pages;
            this.size = size;
        }

        /** Whether there is nothing to write (the volume held no change). */
        public boolean isEmpty() { return pages == null; }
    }

    /**
     * Makes the next {@code sync()} (the one a store's commit calls, under the store's lock) capture the dirty pages
     * instead of writing them; take them with {@link #takeCaptured()}. The caller must hold the store's lock (no
     * writer may run) from here to {@link #takeCaptured()}.
     */
    public void captureNextSync() {
        captureNext = true;
        captured = null;
    }

    /**
     * What the last {@code sync()} captured; the commit stays open (see the class comment) until
     * {@link #completeCommit} or {@link #abortCommit}. @throws IllegalStateException if no sync() ran since
     * {@link #captureNextSync()} (the store wrote nothing, or was closed)
     */
    public Captured takeCaptured() {
        captureNext = false;
        Captured c = captured;
        captured = null;
        if (c == null) throw new IllegalStateException("no sync of " + file + " was captured");
        return c;
    }

    /**
     * After a store's commit failed between {@link #captureNextSync()} and {@link #takeCaptured()}: clears the request
     * (else a later plain sync(), e.g. close's, would capture and never write) and gives back anything captured.
     */
    public void cancelCapture() {
        captureNext = false;
        Captured c = captured;
        captured = null;
        if (c != null) abortCommit(c);
    }

    private Captured capture() {
        commitInFlight.lock(); // released when the captured commit ends
        boolean open = false;
        try {
            Captured c = discarded || closed ? null : capture0();
            if (c == null) return new Captured(this, null, 0);
            open = true;
            return c;
        } finally {
            if (!open) commitInFlight.unlock();
        }
    }

    /** Moves the dirty pages to {@link #committing}; null when nothing changed. Holds commitInFlight. */
    private Captured capture0() {
        if (failed) throw new IllegalStateException("an earlier commit of " + file + " failed with an unknown outcome;"
                + " close and reopen it");
        lock.writeLock().lock();
        try {
            if (dirty.isEmpty() && size == committedSize) return null;
            committing = dirty;
            dirty = new TreeMap<>();
            return new Captured(this, new ArrayList<>(committing.entrySet()), size);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Writes a captured commit: journal (forced), main file (forced), journal deleted, as {@code sync()} does; called
     * without the store's lock (writers go on). Returns once the commit is durable (a failed apply is retried later, as
     * in sync()). @throws UncheckedIOException if it is not durable: then the captured pages are dirty again, to be
     * committed with the next commit (or dropped by a rollback)
     */
    public void completeCommit(Captured c) {
        if (c.volume != this) throw new IllegalArgumentException("a commit of another volume");
        if (c.ended) throw new IllegalStateException("this commit of " + file + " has ended");
        if (c.isEmpty()) {
            c.ended = true;
            return;
        }
        try {
            complete(c);
        } finally {
            c.ended = true;
            commitInFlight.unlock();
        }
    }

    /** Ends a captured commit without writing it: its pages are dirty again (under any newer writes). */
    public void abortCommit(Captured c) {
        if (c.volume != this) throw new IllegalArgumentException("a commit of another volume");
        if (c.ended) return;
        c.ended = true;
        if (c.isEmpty()) return;
        try {
            giveBack();
        } finally {
            commitInFlight.unlock();
        }
    }

    /** A commit that is not durable: its pages rejoin the dirty ones; a page written since is newer and stays. */
    private void giveBack() {
        lock.writeLock().lock();
        try {
            if (committing != null) {
                for (Map.Entry<Long, byte[]> e : committing.entrySet()) dirty.putIfAbsent(e.getKey(), e.getValue());
                committing = null;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The commit proper; holds commitInFlight, and {@link #committing} holds the pages. */
    private void complete(Captured c) {
        try {
            // a durable commit whose apply failed goes first: the journal file is reused by the next commit
            if (hasPending) applyPending();
            writeJournal(c.pages, c.size);
        } catch (RuntimeException e) {
            giveBack();
            throw e;
        }
        // decided: the commit is durable from here on, whatever happens next
        lock.writeLock().lock();
        try {
            for (Map.Entry<Long, byte[]> e : c.pages) pending.put(e.getKey(), e.getValue());
            committing = null;
            committedSize = c.size;
            hasPending = true;
        } finally {
            lock.writeLock().unlock();
        }
        try {
            applyPending();
        } catch (UncheckedIOException e) {
            LOG.log(Level.WARNING, "the commit to " + file + " is durable in " + journal.getFileName()
                    + " but applying it failed (retried before the next commit, or on the next open): " + e.getMessage(), e);
        }
    }

    /** Writes and forces the journal; on failure removes it (the commit is then not durable) and throws. */
    private void writeJournal(List<Map.Entry<Long, byte[]>> pages, long newSize) {
        try (FileChannel ch = channels.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            restrict(journal);
            // streamed through one small buffer: a commit of many pages (small blobs) would otherwise be one large
            // array, allocated straight into the old generation, costing a full GC every few commits
            ByteBuffer j = journalBuffer;
            j.clear();
            CRC32C crc = new CRC32C();
            long pos = 0;
            j.putLong(MAGIC).putLong(newSize).putInt(pages.size());
            for (Map.Entry<Long, byte[]> e : pages) {
                if (j.remaining() < 8 + PAGE) pos = flushJournal(ch, j, crc, pos);
                j.putLong(e.getKey()).put(e.getValue());
            }
            pos = flushJournal(ch, j, crc, pos);
            j.putLong(crc.getValue());
            j.flip();
            writeFully(ch, j, pos);
            ch.force(true);
            // a new file's directory entry is durable only once its directory is synced (POSIX; XFS, btrfs)
            forceDirectory(dir(), channels);
        } catch (IOException | RuntimeException e) {
            try {
                if (Files.deleteIfExists(journal)) forceDirectory(dir(), channels);
            } catch (IOException | RuntimeException undecided) {
                // a complete journal may be on disk: only a reopen (replay or discard) can tell
                failed = true;
                e.addSuppressed(undecided);
            }
            throw new UncheckedIOException("cannot commit " + file + " (not committed): " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    /** Writes what {@code j} holds at {@code pos}, adding it to {@code crc}; returns the position after it. */
    private static long flushJournal(FileChannel ch, ByteBuffer j, CRC32C crc, long pos) throws IOException {
        j.flip();
        crc.update(j.array(), 0, j.limit());
        int n = j.limit();
        writeFully(ch, j, pos);
        j.clear();
        return pos + n;
    }

    /** Writes the durable pending pages into the main file, forces it, deletes the journal. */
    private void applyPending() {
        // only the committing thread (holding commitInFlight) changes pending and committedSize: a copy taken under the
        // lock stays exact, and the I/O runs without it, so that writers are not held up by the fsyncs
        List<Map.Entry<Long, byte[]>> pages;
        long target;
        lock.readLock().lock();
        try {
            pages = new ArrayList<>(pending.entrySet());
            target = committedSize;
        } finally {
            lock.readLock().unlock();
        }
        try {
            for (Map.Entry<Long, byte[]> e : pages) {
                long pos = e.getKey() * PAGE;
                int n = (int) Math.min(PAGE, Math.max(0, target - pos));
                if (n > 0) writeFully(main, ByteBuffer.wrap(e.getValue(), 0, n), pos);
            }
            long len = main.size();
            if (len > target) main.truncate(target);
            // grown space no page was written to: extend with zeros (what MapDB's file volumes do)
            if (len < target) writeFully(main, ByteBuffer.wrap(new byte[1]), target - 1);
            main.force(true);
            fileLen = main.size();
            Files.deleteIfExists(journal);
            // the deletion too: a journal that came back after a crash would be replayed over later commits
            forceDirectory(dir(), channels);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot apply the committed journal of " + file + ": " + e.getMessage(), e);
        }
        lock.writeLock().lock();
        try {
            // the written pages are what the file now holds: cached copies are refreshed; the others are read from the
            // file when next needed (most written pages are new data, small blobs above all: cached, they would
            // push the hot pages out and fill the old generation with short-lived pages)
            for (Map.Entry<Long, byte[]> e : pending.entrySet()) clean.replace(e.getKey(), e.getValue());
            pending.clear();
            hasPending = false;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** fsync of a directory: makes the creation, rename or deletion of its entries durable. */
    public static void forceDirectory(Path dir) throws IOException {
        forceDirectory(dir, Channels.DEFAULT);
    }

    private static void forceDirectory(Path dir, Channels channels) throws IOException {
        try (FileChannel ch = channels.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private Path dir() {
        return journal.toAbsolutePath().getParent();
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
    public boolean getFileLocked() { return fileLock != null && fileLock.isValid(); }

    @Override
    public void clear(long startOffset, long endOffset) {
        long len = endOffset - startOffset;
        byte[] zeros = new byte[(int) Math.min(len, 1 << 16)];
        for (long pos = startOffset; pos < endOffset; pos += zeros.length) {
            putData(pos, zeros, 0, (int) Math.min(zeros.length, endOffset - pos));
        }
    }

    /**
     * Commits what is dirty (StoreDirect writes its header before closing the volume), then closes. After
     * {@link #rollback()} it writes nothing and keeps the file open for {@link #reuse()}.
     */
    @Override
    public void close() {
        if (rolledBack || closed) return;
        try {
            if (!discarded) sync();
        } finally {
            release();
        }
    }
}
