package dev.ssefs.fuse;

import dev.ssefs.objectcore.ObjectMeta;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.PosixAttributes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one open-file state of a path, shared by every handle on it. Content = the committed base version
 * (valid below {@code baseLimit}) overlaid with staged pages, zeros elsewhere (sparse files, writes past EOF).
 * <p>
 * Fast path: a new or truncated file written strictly sequentially from offset 0 stays in memory while small
 * and, once past {@link Volume#streamThreshold()}, streams straight into {@link Oss#newWriter} with no spool.
 * A read, a seek back or a truncate while streaming commits what was streamed first (then continues on pages).
 * <p>
 * Locking: reads take the read lock, everything else the write lock; one lock per open file, none global.
 */
final class OpenFile {
    static final long MAX_SIZE = 1L << 46; // 64 TiB
    private static final byte[] ZEROS = new byte[PageStage.PAGE];

    private final Volume vol;
    /** This file's content outside the stage (base version or zeros); one object, not a new lambda per read. */
    private final PageStage.Unstaged unstaged = this::fillUnstaged;
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /** Guarded by {@code this} monitor together with {@link OpenFiles}. */
    int handles;
    boolean closed;

    private volatile String key;
    private ObjectMeta base;
    private Oss.ObjectReader reader;
    private long baseLimit;
    private long size;
    private PosixAttributes attrs;
    private Map<String, String> carryHeaders;
    private PageStage stage;
    private Oss.ObjectWriter stream;
    private PosixAttributes streamAttrs;
    private long streamed;
    private boolean appendOnly;
    private boolean dirty;
    private boolean attrsDirty;
    private boolean explicitTimes;
    /**
     * A failed streaming commit lost what was streamed: every later flush, fsync and close reports it (never success
     * for data that was not committed) until the file is emptied (truncate to 0, O_TRUNC) and so rewritten.
     */
    private Exception lostWrite;
    private volatile boolean unlinked;
    private volatile FileAttr snapshot;

    /** An open file on an existing object ({@code base} non-null) or a new, not yet committed one. */
    OpenFile(Volume vol, String key, ObjectMeta base, PosixAttributes attrs) {
        this.vol = vol;
        this.key = key;
        this.base = base;
        this.size = base == null ? 0 : base.size();
        this.baseLimit = size;
        this.attrs = attrs;
        this.carryHeaders = carriedHeaders(base);
        this.appendOnly = size == 0;
        this.dirty = base == null;
        publish();
    }

    String key() { return key; }

    void rekey(String newKey) { this.key = newKey; }

    boolean unlinked() { return unlinked; }

    /** The attributes as getattr reports them; never blocks on a commit in progress. */
    FileAttr attr() { return snapshot; }

    private void publish() {
        snapshot = new FileAttr(attrs.mode(), attrs.uid(), attrs.gid(), size, attrs.atimeNanos(), attrs.mtimeNanos(), attrs.ctimeNanos());
    }

    /** SSE request headers and user metadata that a new version of {@code meta} keeps. */
    static Map<String, String> carriedHeaders(ObjectMeta meta) {
        Map<String, String> h = new LinkedHashMap<>();
        if (meta != null) {
            h.putAll(meta.sseHeaders());
            h.putAll(meta.userMetadata());
        }
        return h;
    }

    // ------------------------------------------------------------------ reads

    /** Fills {@code dst} from {@code pos}: the full remaining length except at EOF. Returns bytes read (0 at EOF). */
    int read(long pos, ByteBuffer dst) throws IOException {
        lock.readLock().lock();
        try {
            if (stream == null && !needsReader()) return readLocked(pos, dst);
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            finishStream();
            pinBaseLocked();
            return readLocked(pos, dst);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private int readLocked(long pos, ByteBuffer dst) throws IOException {
        if (pos >= size) return 0;
        int want = (int) Math.min(dst.remaining(), size - pos);
        int limit = dst.limit();
        dst.limit(dst.position() + want);
        try {
            if (stage == null || stage.isEmpty()) {
                fillUnstaged(pos, dst, want);
                return want;
            }
            long p = pos;
            int done = 0;
            while (done < want) {
                long idx = p / PageStage.PAGE;
                int inPage = (int) (p % PageStage.PAGE);
                int n = Math.min(want - done, PageStage.PAGE - inPage);
                stage.read(idx, inPage, n, dst, unstaged); // falls back to unstaged itself for a page with nothing staged
                p += n;
                done += n;
            }
            return want;
        } finally {
            dst.limit(limit);
        }
    }

    /** True when content comes from the base version and its reader is not open yet. */
    private boolean needsReader() {
        synchronized (this) {
            return reader == null && base != null && baseLimit > 0;
        }
    }

    /**
     * Pins the base version: opens its reader, which reads that version for as long as it is the base, whatever is
     * committed to the key meanwhile (ssefs cp, another mount). open() calls this, so a file reads the version it
     * was opened on; after this file's own commit the reader of the new version opens at the next use.
     * If the key already holds another version: a file with nothing pending takes that one (as if opened after it);
     * a file with pending changes over the lost version cannot be merged, which is an error that stays reported.
     */
    void pinBase() {
        lock.writeLock().lock();
        try {
            pinBaseLocked();
        } catch (IOException | RuntimeException refusedOrDamaged) {
            // open succeeds as before; the first read reports it (EACCES for a disabled key, EIO) and pins then,
            // checking that the version is still the one opened
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void pinBaseLocked() throws IOException {
        if (!needsReader()) return;
        Oss.ObjectReader r = vol.oss().openReader(vol.bucket(), key);
        ObjectMeta now = r.meta();
        if (!sameVersion(base, now)) {
            if (!pristine()) {
                r.close();
                // sticky, like a lost stream: the staged changes stay until the file is emptied, but never commit
                lostWrite = new IntegrityException("oss://" + vol.bucket() + "/" + key, "replaced by another writer since "
                        + "this file's last commit; the changes made since cannot be merged with the new version");
                throw (IntegrityException) lostWrite;
            }
            adopt(now);
        }
        synchronized (this) {
            reader = r;
        }
    }

    /** Nothing written, truncated or pending since the base was set. */
    private boolean pristine() {
        return !dirty && stream == null && (stage == null || stage.isEmpty()) && baseLimit == base.size() && size == base.size();
    }

    static boolean sameVersion(ObjectMeta a, ObjectMeta b) {
        return a.size() == b.size() && java.util.Objects.equals(a.etag(), b.etag());
    }

    /** Takes {@code meta} as the base version (nothing pending). */
    private void adopt(ObjectMeta meta) {
        closeReader();
        base = meta;
        size = meta.size();
        baseLimit = size;
        appendOnly = size == 0;
        carryHeaders = carriedHeaders(meta);
        if (meta.posix() != null && !attrsDirty) attrs = meta.posix();
        publish();
    }

    /**
     * A new open of this already open file: when the key now holds another version and nothing is pending here,
     * the file moves to that version (new opens see an external overwrite). With pending changes it keeps its own
     * view, and its next commit replaces the whole file (last writer wins, based on the version it pinned).
     * Either way a pristine file is pinned now, as a first open pins: a commit closes the reader, and an open that
     * found the file still open (its writer's release comes later) would otherwise pin at its first read, taking
     * whatever was committed in between.
     */
    void refreshIfReplaced(ObjectMeta current) throws IOException {
        if (current == null) return;
        lock.writeLock().lock();
        try {
            if (unlinked || base == null || !pristine()) return;
            if (!sameVersion(base, current)) adopt(current);
            try {
                pinBaseLocked();
            } catch (IOException | RuntimeException refusedOrDamaged) {
                // as in pinBase: reported by the first read
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private Oss.ObjectReader reader() throws IOException {
        synchronized (this) {
            if (reader != null) return reader;
        }
        // only under the write lock: the read path pins first (see read)
        pinBaseLocked();
        synchronized (this) {
            return reader;
        }
    }

    /** Reads exactly {@code n} bytes of the base version; a short object is an integrity failure. */
    private void readBase(long pos, ByteBuffer dst, int n) throws IOException {
        Oss.ObjectReader r = reader();
        int limit = dst.limit();
        dst.limit(dst.position() + n);
        try {
            long p = pos;
            while (dst.hasRemaining()) {
                int got = r.read(p, dst);
                if (got < 0) throw new IntegrityException(key, "object ends at " + p + " before its size " + baseLimit);
                p += got;
            }
        } finally {
            dst.limit(limit);
        }
    }

    /** The content of {@code [pos, pos + n)} where nothing is staged: the base version below its limit, zeros after. */
    private void fillUnstaged(long pos, ByteBuffer dst, int n) throws IOException {
        int fromBase = (int) Math.max(0, Math.min(n, baseLimit - pos));
        if (fromBase > 0) readBase(pos, dst, fromBase);
        for (int z = n - fromBase; z > 0; ) {
            int k = Math.min(z, ZEROS.length);
            dst.put(ZEROS, 0, k);
            z -= k;
        }
    }

    /** Page {@code idx} of the current content, {@code len} bytes, into {@code out} at {@code off}: staged over base. */
    private void fillPage(long idx, int len, byte[] out, int off) throws IOException {
        if (stage != null) stage.fillPage(idx, len, out, off, unstaged);
        else fillUnstaged(idx * PageStage.PAGE, ByteBuffer.wrap(out, off, len), len);
    }

    // ------------------------------------------------------------------ writes

    int write(long pos, ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (pos < 0 || pos + n > MAX_SIZE) throw new FsException(Errno.EFBIG, "write beyond the maximum file size");
        lock.writeLock().lock();
        try {
            touchModified();
            dirty = true;
            if (stream != null) {
                if (pos == streamed) {
                    try {
                        stream.write(src);
                    } catch (IOException | RuntimeException e) {
                        abortStream(e); // the writer's state is unknown: what it got is lost, and stays reported
                        throw e;
                    }
                    streamed += n;
                    size = streamed;
                    publish();
                    return n;
                }
                finishStream();
                dirty = true;
            }
            // an empty file (new, truncated, or just committed empty by a flush) may stream again
            if (size == 0 && (stage == null || stage.isEmpty())) appendOnly = true;
            if (appendOnly && pos != size) appendOnly = false;
            if (stage == null) stage = new PageStage(vol.options().stageMemory, vol.spoolDir(), vol.options().stageBudget);
            long p = pos;
            while (src.hasRemaining()) {
                long idx = p / PageStage.PAGE;
                int inPage = (int) (p % PageStage.PAGE);
                int chunk = Math.min(src.remaining(), PageStage.PAGE - inPage);
                stage.write(idx, inPage, src, chunk, unstaged);
                p += chunk;
            }
            if (p > size) size = p;
            if (appendOnly && baseLimit == 0 && size >= vol.streamThreshold()) startStream();
            publish();
            return n;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void touchModified() {
        long now = nowNanos();
        attrs = new PosixAttributes(attrs.mode(), attrs.uid(), attrs.gid(), attrs.atimeNanos(), now, now, attrs.symlinkTarget());
    }

    static long nowNanos() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** Opens the writer and hands it the staged prefix; from now on appends go straight through. */
    private void startStream() throws IOException {
        Oss.ObjectWriter w = vol.oss().newWriter(vol.bucket(), key, carryHeaders, attrs, vol.options().md5EtagLimit);
        try {
            CommitPipeline.copy(size, this::fillPage, w);
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        stream = w;
        streamAttrs = attrs;
        streamed = size;
        stage.clear();
    }

    /** Commits what was streamed so far and continues on pages over that version. */
    private void finishStream() throws IOException {
        if (stream == null) return;
        Oss.ObjectWriter w = stream;
        stream = null;
        try {
            ObjectMeta meta = w.commit();
            committed(meta);
            if (needsAttrUpdate(streamAttrs, attrs)) attrsDirty = true;
        } catch (IOException | RuntimeException e) {
            lostWrite = e;
            lostStream();
            throw e;
        } finally {
            w.close();
        }
    }

    private void abortStream(Exception cause) {
        Oss.ObjectWriter w = stream;
        stream = null;
        w.close();
        lostWrite = cause;
        lostStream();
    }

    /** Rethrows the failure that lost streamed data (sticky until the file is emptied). */
    private void throwLostWrite() throws IOException {
        Exception e = lostWrite;
        if (e == null) return;
        // the same exception again: the same errno (ENOSPC, EACCES, EIO) for every later flush, fsync and close
        if (e instanceof IOException io) throw io;
        throw (RuntimeException) e;
    }

    /**
     * The writer got the attributes of when streaming began. Writes move mtime on; an update costs a metadata
     * commit, so it is made only when mode, owner or explicitly set times changed, or mtime is over a second stale.
     */
    private boolean needsAttrUpdate(PosixAttributes atStart, PosixAttributes now) {
        return atStart.mode() != now.mode() || atStart.uid() != now.uid() || atStart.gid() != now.gid()
                || explicitTimes || now.mtimeNanos() - atStart.mtimeNanos() > 1_000_000_000L;
    }

    /** After a failed streaming commit the previous version is what remains. */
    private void lostStream() {
        dirty = false;
        size = base == null ? 0 : base.size();
        baseLimit = size;
        appendOnly = size == 0;
        publish();
    }

    void truncate(long newSize) throws IOException {
        if (newSize < 0) throw new FsException(Errno.EINVAL, "negative size");
        if (newSize > MAX_SIZE) throw new FsException(Errno.EFBIG, "size beyond the maximum file size");
        lock.writeLock().lock();
        try {
            if (stream != null) {
                if (newSize == streamed) return;
                finishStream();
            }
            if (newSize == 0) lostWrite = null; // emptied: what was lost is no longer part of the file
            if (newSize == size && !(newSize == 0 && base != null && baseLimit > 0)) return;
            if (newSize < size) {
                if (stage != null) stage.truncate(newSize, unstaged);
                baseLimit = Math.min(baseLimit, newSize);
            }
            size = newSize;
            if (size == 0) {
                baseLimit = 0;
                appendOnly = true;
            }
            dirty = true;
            touchModified();
            publish();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** fallocate mode 0: extends with zeros, never shrinks. */
    void allocate(long offset, long length) throws IOException {
        long end = offset + length;
        lock.writeLock().lock();
        try {
            if (end > size) truncate(end);
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ------------------------------------------------------------------ attributes

    /** chmod/chown/utimens: committed at once when nothing is pending, else carried by the next commit. */
    void setAttributes(PosixAttributes next) { setAttributes(next, true); }

    /** {@code explicit} false: a time set to "now" (truncate, touch), which the next write's mtime would match. */
    void setAttributes(PosixAttributes next, boolean explicit) {
        lock.writeLock().lock();
        try {
            if (explicit && (next.mtimeNanos() != attrs.mtimeNanos() || next.atimeNanos() != attrs.atimeNanos())) explicitTimes = true;
            attrs = next;
            if (dirty || stream != null || unlinked) {
                attrsDirty = stream != null || attrsDirty;
            } else if (base != null) {
                base = vol.oss().updateMetadata(vol.bucket(), key, next, null);
            }
            publish();
        } finally {
            lock.writeLock().unlock();
        }
    }

    PosixAttributes attributes() {
        lock.readLock().lock();
        try {
            return attrs;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Refreshes the carried SSE headers and user metadata after they changed on the store (xattrs). */
    void refreshBase(ObjectMeta meta) {
        lock.writeLock().lock();
        try {
            if (!dirty && stream == null && meta != null) {
                base = meta;
                closeReader();
            }
            carryHeaders = carriedHeaders(meta);
        } finally {
            lock.writeLock().unlock();
        }
    }

    boolean isDirty() {
        lock.readLock().lock();
        try {
            return dirty || stream != null || attrsDirty;
        } finally {
            lock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ commit

    /**
     * Publishes the current content as a new object version in one atomic commit. On failure the previous version
     * stays, the staged data stays for a retry, and the error propagates (to close, flush or fsync).
     */
    void commit() throws IOException {
        lock.writeLock().lock();
        try {
            if (unlinked) return;
            throwLostWrite();
            if (stream != null) {
                finishStream();
            } else if (dirty) {
                writeVersion();
            }
            if (attrsDirty && base != null) {
                base = vol.oss().updateMetadata(vol.bucket(), key, attrs, null);
                attrsDirty = false;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The commit before a rename: as {@link #commit()}, except that a file whose data is already lost (sticky error)
     * does not stop the rename; it moves with its error, which its own flush, fsync and close still report.
     */
    void commitForMove() throws IOException {
        lock.writeLock().lock();
        try {
            if (lostWrite == null) commit();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void writeVersion() throws IOException {
        ObjectMeta meta;
        if (base != null && baseLimit > 0) reader(); // pinned here, under the write lock, not by the helper thread
        try (Oss.ObjectWriter w = vol.oss().newWriter(vol.bucket(), key, carryHeaders, attrs, vol.options().md5EtagLimit)) {
            CommitPipeline.copy(size, this::fillPage, w);
            meta = w.commit();
        }
        committed(meta);
        if (stage != null) stage.clear();
    }

    private void committed(ObjectMeta meta) {
        base = meta;
        closeReader();
        baseLimit = size;
        carryHeaders = carriedHeaders(meta);
        appendOnly = false;
        dirty = false;
        attrsDirty = false;
        explicitTimes = false;
        publish();
    }

    private void closeReader() {
        synchronized (this) {
            if (reader != null) {
                reader.close();
                reader = null;
            }
        }
    }

    /** The path was unlinked or replaced: open handles keep reading, but nothing will be committed. */
    void markUnlinked() {
        lock.writeLock().lock();
        try {
            unlinked = true;
            if (stream != null) {
                stream.close();
                stream = null;
                lostStream();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Frees the reader and the stage (spool deleted). */
    void dispose() {
        lock.writeLock().lock();
        try {
            if (stream != null) {
                stream.close();
                stream = null;
            }
            closeReader();
            if (stage != null) {
                try {
                    stage.close();
                } catch (IOException ignored) {
                    // the spool was already unlinked; nothing remains on disk
                }
                stage = null;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
