package dev.ssefs.fuse;

import dev.ssefs.objectcore.ListResult;
import dev.ssefs.objectcore.ObjectMeta;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.OssException;
import dev.ssefs.objectcore.PosixAttributes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The filesystem over one bucket, free of FUSE types: paths in, {@link FileAttr}s and bytes out, refusals as
 * {@link FsException} (or the store's own exceptions, which the adapter maps to errno in one place).
 * Thread-safe: open files carry their own locks; namespace changes rely on the store's atomic operations.
 */
public final class FsCore {
    /** open(2) flag bits (Linux). */
    public static final int O_ACCMODE = 03, O_RDONLY = 0, O_WRONLY = 01, O_RDWR = 02, O_CREAT = 0100, O_EXCL = 0200,
            O_TRUNC = 01000, O_APPEND = 02000;

    private final Volume vol;
    private final Oss oss;
    private final String bucket;
    private final OpenFiles files = new OpenFiles();
    /**
     * Directory renames and rmdir take it exclusively; whatever makes a key appear through this mount (an open file's
     * creation, mkdir, symlink) shares it. So a directory's emptiness check and its move (or removal) are one step
     * for this mount, and no file is opened or created under a directory while it moves.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock namespace = new java.util.concurrent.locks.ReentrantReadWriteLock();

    private interface IoAction<T> {
        T run() throws IOException;
    }

    private <T> T shared(IoAction<T> action) throws IOException {
        namespace.readLock().lock();
        try {
            return action.run();
        } finally {
            namespace.readLock().unlock();
        }
    }

    private <T> T exclusive(IoAction<T> action) throws IOException {
        namespace.writeLock().lock();
        try {
            return action.run();
        } finally {
            namespace.writeLock().unlock();
        }
    }
    private final FileAttr rootAttr;
    private final Xattrs xattrs;

    public FsCore(Volume vol) {
        this.vol = vol;
        this.oss = vol.oss();
        this.bucket = vol.bucket();
        long created = toNanos(oss.getBucketInfo(bucket).creationDate());
        this.rootAttr = new FileAttr(FileAttr.S_IFDIR | defaultPerm(true), vol.defaultUid(), vol.defaultGid(), 0, created, created, created);
        this.xattrs = new Xattrs(vol, this);
    }

    public Volume volume() { return vol; }

    // ------------------------------------------------------------------ lookup

    /** What a path is: an object (file or symlink), a directory marker, or an implied directory. */
    record Node(FileAttr attr, ObjectMeta meta, OpenFile open, boolean marker) {
        boolean isDir() { return attr.isDirectory(); }
    }

    Node lookup(String path) {
        String key = ObjectPaths.key(path);
        Node n = lookupKey(key);
        if (n == null) throw FsException.noEntry(path);
        return n;
    }

    /** null when nothing is there. Metadata lookups only, never decryption. */
    Node lookupKey(String key) {
        if (key.isEmpty()) return new Node(rootAttr, null, null, false);
        OpenFile of = files.get(key);
        if (of != null) return new Node(of.attr(), null, of, false);
        ObjectMeta m = head(key);
        if (m != null) return new Node(attrOf(m, false), m, null, false);
        m = head(key + "/");
        if (m != null) return new Node(attrOf(m, true), m, null, true);
        if (hasChildren(key + "/")) return new Node(impliedDirAttr(), null, null, false);
        return null;
    }

    ObjectMeta head(String key) {
        try {
            return oss.headObject(bucket, key);
        } catch (OssException e) {
            if ("NoSuchKey".equals(e.code())) return null;
            throw e;
        }
    }

    private boolean hasChildren(String prefix) {
        ListResult r = oss.listObjects(bucket, prefix, "/", null, 2);
        for (ObjectMeta o : r.objects()) if (!o.key().equals(prefix)) return true;
        return !r.commonPrefixes().isEmpty() || files.under(prefix).stream().anyMatch(f -> !f.unlinked());
    }

    public FileAttr getattr(String path) { return lookup(path).attr(); }

    /** access(2) mode bits. */
    public static final int F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;

    /**
     * access(2) for the caller {@code uid}/{@code gid}/{@code groups}: the mask against the owner, group or other
     * bits of the mode (root: read and write always, execute when any x bit is set or on a directory); W_OK on a
     * read-only mount is EROFS. The kernel asks this only without default_permissions (it checks itself then).
     */
    public void access(String path, int mask, int uid, int gid, int[] groups) {
        FileAttr a = getattr(path);
        if (mask == F_OK) return;
        if ((mask & W_OK) != 0 && vol.options().readOnly) throw new FsException(Errno.EROFS, "read-only mount");
        int mode = a.mode();
        if (uid == 0) {
            if ((mask & X_OK) != 0 && !a.isDirectory() && (mode & 0111) == 0) throw new FsException(Errno.EACCES, "no execute permission: " + path);
            return;
        }
        int bits;
        if (uid == a.uid()) bits = (mode >> 6) & 7;
        else if (gid == a.gid() || java.util.Arrays.stream(groups).anyMatch(g -> g == a.gid())) bits = (mode >> 3) & 7;
        else bits = mode & 7;
        if ((mask & 7 & ~bits) != 0) throw new FsException(Errno.EACCES, "permission denied: " + path);
    }

    public FileAttr fgetattr(long fh) { return files.handle(fh).file().attr(); }

    FileAttr attrOf(ObjectMeta m, boolean dir) {
        PosixAttributes p = m.posix();
        long size = dir ? 0 : m.size();
        if (p == null) {
            long t = toNanos(m.lastModified());
            return new FileAttr((dir ? FileAttr.S_IFDIR : FileAttr.S_IFREG) | defaultPerm(dir), vol.defaultUid(), vol.defaultGid(), size, t, t, t);
        }
        int mode = p.mode();
        int type = mode & FileAttr.S_IFMT;
        if (dir) type = FileAttr.S_IFDIR;
        else if (type != FileAttr.S_IFLNK) type = FileAttr.S_IFREG;
        if (type == FileAttr.S_IFLNK && p.symlinkTarget() != null) size = p.symlinkTarget().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        return new FileAttr(type | (mode & 07777), p.uid(), p.gid(), size, p.atimeNanos(), p.mtimeNanos(), p.ctimeNanos());
    }

    private FileAttr impliedDirAttr() {
        return new FileAttr(FileAttr.S_IFDIR | defaultPerm(true), vol.defaultUid(), vol.defaultGid(), 0,
                rootAttr.mtimeNanos(), rootAttr.mtimeNanos(), rootAttr.mtimeNanos());
    }

    private int defaultPerm(boolean dir) {
        Integer umask = vol.options().umask;
        if (umask != null) return (dir ? 0777 : 0666) & ~umask;
        return dir ? 0755 : 0644;
    }

    static long toNanos(java.time.Instant i) {
        return i == null ? 0 : i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private static PosixAttributes posixOf(FileAttr a, String symlinkTarget) {
        return new PosixAttributes(a.mode(), a.uid(), a.gid(), a.atimeNanos(), a.mtimeNanos(), a.ctimeNanos(), symlinkTarget);
    }

    // ------------------------------------------------------------------ directories

    /** Calls {@code sink} with every name in the directory (without "." and ".."). */
    public void readdir(String path, Consumer<String> sink) {
        Node dir = lookup(path);
        if (!dir.isDir()) throw new FsException(Errno.ENOTDIR, "not a directory: " + path);
        String prefix = ObjectPaths.dirPrefix(ObjectPaths.key(path));
        Set<String> seen = new HashSet<>();
        String marker = null;
        do {
            ListResult r = oss.listObjects(bucket, prefix, "/", marker, 1000);
            for (ObjectMeta o : r.objects()) emit(prefix, o.key(), seen, sink);
            for (String p : r.commonPrefixes()) emit(prefix, p, seen, sink);
            marker = r.truncated() ? r.nextMarker() : null;
        } while (marker != null);
        // created but not yet committed files
        for (OpenFile of : files.under(prefix)) {
            if (!of.unlinked() && of.key().indexOf('/', prefix.length()) < 0) emit(prefix, of.key(), seen, sink);
        }
    }

    private static void emit(String prefix, String key, Set<String> seen, Consumer<String> sink) {
        if (key.length() <= prefix.length()) return;
        String rest = key.substring(prefix.length());
        if (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
        if (rest.isEmpty() || rest.indexOf('/') >= 0) return;
        if (seen.add(rest)) sink.accept(rest);
    }

    public void mkdir(String path, int mode, int uid, int gid) throws IOException {
        String key = ObjectPaths.key(path);
        ObjectPaths.checkKeyLength(key, true);
        long now = OpenFile.nowNanos();
        PosixAttributes attrs = new PosixAttributes(FileAttr.S_IFDIR | (mode & 07777), uid, gid, now, now, now, null);
        shared(() -> {
            if (key.isEmpty() || lookupKey(key) != null) throw new FsException(Errno.EEXIST, "file exists: " + path);
            return putEmpty(key + "/", attrs);
        });
    }

    /** Gives an implied directory a marker object carrying {@code attr}. */
    void mkdirMarker(String key, FileAttr attr) throws IOException {
        putEmpty(key + "/", posixOf(attr, null));
    }

    private ObjectMeta putEmpty(String key, PosixAttributes attrs) throws IOException {
        try (Oss.ObjectWriter w = oss.newWriter(bucket, key, Map.of(), attrs)) {
            return w.commit();
        }
    }

    /** Under the exclusive namespace lock: nothing is created in the directory between the check and the removal. */
    public void rmdir(String path) {
        namespace.writeLock().lock();
        try {
            rmdirLocked(path);
        } finally {
            namespace.writeLock().unlock();
        }
    }

    private void rmdirLocked(String path) {
        String key = ObjectPaths.key(path);
        if (key.isEmpty()) throw new FsException(Errno.EBUSY, "cannot remove the mount root");
        Node n = lookup(path);
        if (!n.isDir()) throw new FsException(Errno.ENOTDIR, "not a directory: " + path);
        String prefix = key + "/";
        if (hasChildren(prefix)) throw new FsException(Errno.ENOTEMPTY, "directory not empty: " + path);
        if (n.marker()) oss.deleteObject(bucket, prefix);
    }

    // ------------------------------------------------------------------ files

    public long create(String path, int mode, int flags, int uid, int gid) throws IOException {
        String key = ObjectPaths.key(path);
        long now = OpenFile.nowNanos();
        PosixAttributes attrs = new PosixAttributes(FileAttr.S_IFREG | (mode & 07777), uid, gid, now, now, now, null);
        boolean[] existed = {false};
        boolean[] loaded = {false};
        OpenFile of = shared(() -> files.acquire(key, k -> {
            loaded[0] = true;
            // the kernel looked the name up (ENOENT) just before; one metadata lookup guards against a racing creator
            ObjectMeta m = head(k);
            if (m != null) {
                existed[0] = true;
                return new OpenFile(vol, k, m, posixOf(attrOf(m, false), null));
            }
            return new OpenFile(vol, k, null, attrs);
        }));
        if ((flags & O_EXCL) != 0 && (existed[0] || of.handles > 1)) {
            files.releaseRef(of);
            throw new FsException(Errno.EEXIST, "file exists: " + path);
        }
        return opened(of, flags | (existed[0] ? 0 : O_TRUNC), loaded[0]);
    }

    public long open(String path, int flags) throws IOException {
        String key = ObjectPaths.key(path);
        boolean[] loaded = {false};
        OpenFile of = shared(() -> files.acquire(key, k -> {
            loaded[0] = true;
            Node n = lookupKey(k);
            if (n == null) throw FsException.noEntry(path);
            if (n.isDir()) throw new FsException(Errno.EISDIR, "is a directory: " + path);
            return new OpenFile(vol, k, n.meta(), posixOf(n.attr(), n.meta() != null && n.meta().posix() != null ? n.meta().posix().symlinkTarget() : null));
        }));
        return opened(of, flags, loaded[0]);
    }

    /**
     * Registers a handle. The open file reads the version it was opened on: a fresh one pins that version now
     * (its reader opens); joining an open file that has nothing pending moves it to the key's current version, so
     * that an overwrite by ssefs cp or another mount is seen by new opens.
     */
    private long opened(OpenFile of, int flags, boolean loaded) throws IOException {
        boolean writable = (flags & O_ACCMODE) != O_RDONLY;
        try {
            if (writable && vol.options().readOnly) throw new FsException(Errno.EROFS, "read-only mount");
            boolean truncating = (flags & O_TRUNC) != 0 && writable;
            if (!truncating) {
                if (loaded) of.pinBase();
                else of.refreshIfReplaced(head(of.key()));
            }
            if (truncating) of.truncate(0);
        } catch (IOException | RuntimeException e) {
            files.releaseRef(of);
            throw e;
        }
        return files.newHandle(of, writable);
    }

    public int read(long fh, long pos, ByteBuffer dst) throws IOException {
        return files.handle(fh).file().read(pos, dst);
    }

    public int write(long fh, long pos, ByteBuffer src) throws IOException {
        OpenFiles.Handle h = files.handle(fh);
        if (!h.writable()) throw new FsException(Errno.EBADF, "handle not open for writing");
        return h.file().write(pos, src);
    }

    /**
     * close(2) of a handle: commits, so that close reports a failed commit. (Shells and dd dup2 a new file's fd and
     * close the original before writing: that commits the empty file first, then the content, two commits; waiting
     * for release instead would lose the error of an empty file's refused commit, since release's result goes
     * nowhere.)
     */
    public void flush(long fh) throws IOException {
        OpenFiles.Handle h = files.handle(fh);
        if (h.writable() || h.file().isDirty()) h.file().commit();
    }

    /** Commits the file's pending data and makes every change so far durable (the store may commit in groups). */
    public void fsync(long fh) throws IOException {
        files.handle(fh).file().commit();
        oss.sync();
    }

    /** fsync of a directory: makes its entries (creates, renames, unlinks so far) durable. */
    public void fsyncdir() { oss.sync(); }

    public void release(long fh) throws IOException { files.releaseRef(files.removeHandle(fh).file()); }

    public void ftruncate(long fh, long size) throws IOException { files.handle(fh).file().truncate(size); }

    public void truncate(String path, long size) throws IOException {
        withFile(path, of -> of.truncate(size));
    }

    /** fallocate: mode 0 extends with zeros; FALLOC_FL_KEEP_SIZE (1) reserves nothing and succeeds; others ENOTSUP. */
    public void fallocate(long fh, int mode, long offset, long length) throws IOException {
        if (offset < 0 || length <= 0) throw new FsException(Errno.EINVAL, "bad fallocate range");
        if (offset > OpenFile.MAX_SIZE - length) throw new FsException(Errno.EFBIG, "fallocate beyond the maximum file size");
        OpenFile of = files.handle(fh).file();
        if (mode == 0) of.allocate(offset, length);
        else if (mode != 1) throw new FsException(Errno.ENOTSUP, "fallocate mode " + mode + " not supported");
    }

    private interface FileOp {
        void apply(OpenFile of) throws IOException;
    }

    /** Runs {@code op} on the path's open file (opened just for this when nobody has it open), then commits. */
    private void withFile(String path, FileOp op) throws IOException {
        long fh = open(path, O_RDWR);
        OpenFile of = files.handle(fh).file();
        try {
            op.apply(of);
            of.commit();
        } finally {
            release(fh);
        }
    }

    public void unlink(String path) {
        String key = ObjectPaths.key(path);
        OpenFile open = files.get(key);
        if (open == null) {
            if (head(key) == null) {
                if (head(key + "/") != null || hasChildren(key + "/")) throw new FsException(Errno.EISDIR, "is a directory: " + path);
                throw FsException.noEntry(path);
            }
            oss.deleteObject(bucket, key);
            return;
        }
        // marking it unlinked waits for a commit in progress and stops later ones; then what was committed goes
        files.unlink(key);
        if (head(key) != null) oss.deleteObject(bucket, key);
    }

    public void symlink(String target, String linkPath, int uid, int gid) throws IOException {
        String key = ObjectPaths.key(linkPath);
        if (target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 4096) throw new FsException(Errno.ENAMETOOLONG, "symlink target too long");
        long now = OpenFile.nowNanos();
        shared(() -> {
            if (key.isEmpty() || lookupKey(key) != null) throw new FsException(Errno.EEXIST, "file exists: " + linkPath);
            return putEmpty(key, new PosixAttributes(FileAttr.S_IFLNK | 0777, uid, gid, now, now, now, target));
        });
    }

    public String readlink(String path) {
        Node n = lookup(path);
        if (!n.attr().isSymlink()) throw new FsException(Errno.EINVAL, "not a symbolic link: " + path);
        ObjectMeta m = n.meta() != null ? n.meta() : head(ObjectPaths.key(path));
        if (m == null || m.posix() == null || m.posix().symlinkTarget() == null) throw new FsException(Errno.EINVAL, "not a symbolic link: " + path);
        return m.posix().symlinkTarget();
    }

    // ------------------------------------------------------------------ rename

    public void rename(String from, String to) throws IOException {
        String fromKey = ObjectPaths.key(from);
        String toKey = ObjectPaths.key(to);
        if (fromKey.isEmpty() || toKey.isEmpty()) throw new FsException(Errno.EBUSY, "cannot rename the mount root");
        Node src = lookup(from);
        if (fromKey.equals(toKey)) return;
        if (src.isDir()) {
            if (ObjectPaths.isUnder(toKey, fromKey)) throw new FsException(Errno.EINVAL, "cannot move a directory into itself");
            exclusive(() -> {
                renameDirLocked(from, to, fromKey, toKey);
                return null;
            });
            return;
        }
        Node dst = lookupKey(toKey);
        if (dst != null && dst.isDir()) throw new FsException(Errno.EISDIR, "is a directory: " + to);
        OpenFile of = files.get(fromKey);
        // a write through an open handle cannot slip in between the commit and the re-keying
        if (of != null) of.lock.writeLock().lock();
        try {
            if (of != null) of.commitForMove();
            oss.rename(bucket, fromKey, toKey, false);
            files.rekey(fromKey, toKey);
        } finally {
            if (of != null) of.lock.writeLock().unlock();
        }
    }

    /**
     * Under the exclusive namespace lock: the target's emptiness check, the commit of the open files below, the
     * move and their re-keying are one step for this mount (nothing is created in the target or under the source
     * meanwhile, and no commit lands under the old prefix).
     */
    private void renameDirLocked(String from, String to, String fromKey, String toKey) throws IOException {
        if (lookupKey(fromKey) == null) throw FsException.noEntry(from);
        Node dst = lookupKey(toKey);
        if (dst != null) {
            if (!dst.isDir()) throw new FsException(Errno.ENOTDIR, "not a directory: " + to);
            if (hasChildren(toKey + "/")) throw new FsException(Errno.ENOTEMPTY, "directory not empty: " + to);
        }
        String fromPrefix = fromKey + "/";
        checkMovedKeyLengths(fromPrefix, toKey + "/");
        // open files below are committed and held still (in key order: no deadlock) until re-keyed
        List<OpenFile> open = new java.util.ArrayList<>(files.under(fromPrefix));
        open.sort(java.util.Comparator.comparing(OpenFile::key));
        open.forEach(of -> of.lock.writeLock().lock());
        try {
            for (OpenFile of : open) of.commitForMove();
            oss.rename(bucket, fromPrefix, toKey + "/", true);
            files.rekeyPrefix(fromPrefix, toKey + "/");
        } finally {
            open.forEach(of -> of.lock.writeLock().unlock());
        }
    }

    /** ENAMETOOLONG before anything moves when a key under {@code fromPrefix} would be too long under {@code toPrefix}. */
    private void checkMovedKeyLengths(String fromPrefix, String toPrefix) {
        ObjectPaths.checkKeyLength(toPrefix.substring(0, toPrefix.length() - 1), true);
        int growth = ObjectPaths.utf8Length(toPrefix) - ObjectPaths.utf8Length(fromPrefix);
        if (growth <= 0) return;
        for (OpenFile of : files.under(fromPrefix)) ObjectPaths.checkKeyLength(toPrefix + of.key().substring(fromPrefix.length()), false);
        String marker = null;
        do {
            ListResult r = oss.listObjects(bucket, fromPrefix, null, marker, 1000);
            for (ObjectMeta o : r.objects()) {
                if (ObjectPaths.utf8Length(o.key()) + growth > ObjectPaths.KEY_MAX) {
                    throw new FsException(Errno.ENAMETOOLONG, "oss://" + bucket + "/" + o.key() + " would be longer than "
                            + ObjectPaths.KEY_MAX + " bytes under " + toPrefix);
                }
            }
            marker = r.truncated() ? r.nextMarker() : null;
        } while (marker != null);
    }

    // ------------------------------------------------------------------ attributes

    public void chmod(String path, int mode) throws IOException {
        updatePosix(path, a -> new PosixAttributes((a.mode() & FileAttr.S_IFMT) | (mode & 07777), a.uid(), a.gid(),
                a.atimeNanos(), a.mtimeNanos(), OpenFile.nowNanos(), a.symlinkTarget()));
    }

    /** -1 leaves uid or gid unchanged. */
    public void chown(String path, int uid, int gid) throws IOException {
        updatePosix(path, a -> new PosixAttributes(a.mode(), uid == -1 ? a.uid() : uid, gid == -1 ? a.gid() : gid,
                a.atimeNanos(), a.mtimeNanos(), OpenFile.nowNanos(), a.symlinkTarget()));
    }

    /** {@link #OMIT} leaves a time unchanged (UTIME_OMIT), {@link #NOW} sets it to now (UTIME_NOW). */
    public void utimens(String path, long atimeNanos, long mtimeNanos) throws IOException {
        long now = OpenFile.nowNanos();
        boolean explicit = (atimeNanos != OMIT && atimeNanos != NOW) || (mtimeNanos != OMIT && mtimeNanos != NOW);
        updatePosix(path, a -> new PosixAttributes(a.mode(), a.uid(), a.gid(),
                atimeNanos == OMIT ? a.atimeNanos() : atimeNanos == NOW ? now : atimeNanos,
                mtimeNanos == OMIT ? a.mtimeNanos() : mtimeNanos == NOW ? now : mtimeNanos, now, a.symlinkTarget()), explicit);
    }

    public static final long OMIT = Long.MIN_VALUE;
    public static final long NOW = Long.MAX_VALUE;

    private void updatePosix(String path, java.util.function.UnaryOperator<PosixAttributes> change) throws IOException {
        updatePosix(path, change, true);
    }

    private void updatePosix(String path, java.util.function.UnaryOperator<PosixAttributes> change, boolean explicitTimes) throws IOException {
        String key = ObjectPaths.key(path);
        if (key.isEmpty()) throw new FsException(Errno.EPERM, "the mount root's attributes come from the mount options");
        Node n = lookup(path);
        if (n.open() != null) {
            n.open().setAttributes(change.apply(n.open().attributes()), explicitTimes);
            return;
        }
        String target = n.marker() || n.isDir() ? key + "/" : key;
        String link = n.meta() != null && n.meta().posix() != null ? n.meta().posix().symlinkTarget() : null;
        PosixAttributes next = change.apply(posixOf(n.attr(), link));
        if (n.isDir() && !n.marker()) putEmpty(target, next); // an implied directory gets a marker to hold them
        else oss.updateMetadata(bucket, target, next, null);
    }

    // ------------------------------------------------------------------ xattrs

    public byte[] getxattr(String path, String name) { return xattrs.get(path, name); }

    public void setxattr(String path, String name, byte[] value, int flags) throws IOException { xattrs.set(path, name, value, flags); }

    public List<String> listxattr(String path) { return xattrs.list(path); }

    public void removexattr(String path, String name) throws IOException { xattrs.remove(path, name); }

    /** The open file of {@code key}, if any (xattr changes refresh what it will carry into the next version). */
    OpenFile openFile(String key) { return files.get(key); }

    // ------------------------------------------------------------------ whole filesystem

    public record StatFs(long blockSize, long totalBlocks, long freeBlocks, long availableBlocks) {}

    public StatFs statfs() throws IOException {
        java.nio.file.Path where = vol.spoolDir();
        while (where != null && !Files.exists(where)) where = where.getParent();
        FileStore fs = Files.getFileStore(where == null ? java.nio.file.Path.of("/") : where);
        long bs = 4096;
        return new StatFs(bs, fs.getTotalSpace() / bs, fs.getUnallocatedSpace() / bs, fs.getUsableSpace() / bs);
    }

    /** Commits every open file with pending data (SIGTERM, unmount). Returns how many failed. */
    public int commitAll() {
        int failed = 0;
        for (OpenFile of : files.all()) {
            try {
                of.commit();
            } catch (IOException | RuntimeException e) {
                failed++;
                java.util.logging.Logger.getLogger("ssefs.fuse").warning("commit of oss://" + bucket + "/" + of.key()
                        + " at shutdown failed: " + ErrnoMapper.describe(e));
            }
        }
        return failed;
    }

    public int openHandles() { return files.handleCount(); }
}
