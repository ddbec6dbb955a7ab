package dev.ssefs.fuse;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The jnr-fuse adapter: thin and uniform. Every callback unpacks its arguments, calls {@link FsCore} (which
 * takes the locks), and maps any failure to {@code -errno} in {@link #call}, the only catch in this class.
 * Data moves between FUSE's buffers and the store without intermediate Java arrays: FUSE's buffer is wrapped
 * as a direct {@link ByteBuffer} for the duration of the callback.
 */
public class SsefsFuse extends FuseStubFS {
    /** Who is calling (for the owner of new files). */
    public interface Caller {
        int uid();

        int gid();

        /** Supplementary groups of the caller (the primary gid need not be among them). */
        default int[] groups() { return new int[0]; }
    }

    private static final ByteBuffer DOT = cName(".");
    private static final ByteBuffer DOTDOT = cName("..");
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;

    private final FsCore core;
    private final ErrnoMapper errors;
    private final Caller caller;
    private final RequestCounts requests = new RequestCounts();

    public SsefsFuse(FsCore core) {
        this(core, null);
    }

    /** A throwaway instance that is never mounted: see {@link #warmUp()}. */
    private SsefsFuse() {
        this.core = null;
        this.errors = null;
        this.caller = null;
        setOperationFlags();
    }

    /**
     * Loads jnr-ffi, libfuse and the native stubs of every callback this class implements (generated classes,
     * cached per JVM), by building an instance that is never mounted. The daemon runs this on another core while
     * the key store is unlocked, so that the first mount does not wait for it (about half a second of a cold JVM).
     *
     * @throws LinkageError when libfuse cannot be loaded (the real mount then reports it)
     */
    public static void warmUp() {
        new SsefsFuse();
    }

    /** {@code caller} null means the FUSE request context (the real mount). */
    public SsefsFuse(FsCore core, Caller caller) {
        this.core = core;
        this.errors = new ErrnoMapper(core.volume().bucket());
        this.caller = caller != null ? caller : new Caller() {
            @Override public int uid() { return (int) getContext().uid.get(); }

            @Override public int gid() { return (int) getContext().gid.get(); }

            @Override public int[] groups() { return supplementaryGroups(getContext().pid.longValue()); }
        };
        setOperationFlags();
    }

    /**
     * fuse_operations' flag bit-field (one unsigned int after bmap: nullpath_ok bit 0, nopath bit 1,
     * utime_omit_ok bit 2; jnr-fuse declares it as padding). utime_omit_ok makes libfuse2 pass UTIME_OMIT through,
     * else it drops utimensat calls that set only one of atime and mtime (tar, touch -m). nullpath_ok lets
     * handles of unlinked files (hard_remove) keep working.
     */
    private void setOperationFlags() {
        Pointer ops = jnr.ffi.Struct.getMemory(fuseOperations);
        long off;
        try {
            java.lang.reflect.Method offset = Class.forName("jnr.ffi.Struct$Member").getDeclaredMethod("offset");
            offset.setAccessible(true);
            off = (Long) offset.invoke(fuseOperations.flag_nullpath_ok);
        } catch (ReflectiveOperationException | RuntimeException e) {
            off = 38L * jnr.ffi.Runtime.getSystemRuntime().addressSize(); // 38 callbacks precede it in fuse 2.9
        }
        ops.putByte(off, (byte) (ops.getByte(off) | 0x01 | 0x04));
    }

    public FsCore core() { return core; }

    /** The "Groups:" line of /proc/PID/status; none when the process is gone or the line cannot be read. */
    static int[] supplementaryGroups(long pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"))) {
                if (!line.startsWith("Groups:")) continue;
                String rest = line.substring(7).trim();
                if (rest.isEmpty()) return new int[0];
                return java.util.Arrays.stream(rest.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            }
        } catch (java.io.IOException | RuntimeException e) {
            // the caller exited: only its uid and gid count
        }
        return new int[0];
    }

    /**
     * Serves the mount from the calling thread until the filesystem is unmounted; returns its exit code. Requests are
     * served by {@link FuseLoop}'s fixed Java threads ({@code -Dssefs.fuseLoop=libfuse}: libfuse's own fuse_main).
     */
    int fuseMain(String[] args) {
        if ("libfuse".equals(System.getProperty("ssefs.fuseLoop"))) {
            return libFuse.fuse_main_real(args.length, args, fuseOperations, jnr.ffi.Struct.size(fuseOperations), null);
        }
        return FuseLoop.run(args, jnr.ffi.Struct.getMemory(fuseOperations), jnr.ffi.Struct.size(fuseOperations),
                "fuse-" + core.volume().bucket(), requests);
    }

    /** The kernel's requests to this filesystem so far (served by {@link FuseLoop}). */
    public RequestCounts requests() { return requests; }

    @FunctionalInterface
    private interface Op {
        int run() throws Exception;
    }

    /** Runs one callback body; the single place where exceptions become errno values. */
    private int call(String op, String path, Op body) {
        try {
            return body.run();
        } catch (Throwable t) {
            return -errors.errno(op, path, t);
        }
    }

    private static ByteBuffer view(Pointer p, long size) {
        long address = p.address();
        if (p.isDirect() && address != 0) return MemoryIO.getInstance().newDirectByteBuffer(address, (int) size);
        return null;
    }

    // ------------------------------------------------------------------ metadata

    @Override
    public int getattr(String path, FileStat stat) {
        return call("getattr", path, () -> {
            fill(stat, core.getattr(path));
            return 0;
        });
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return call("fgetattr", path, () -> {
            fill(stat, core.fgetattr(fi.fh.get()));
            return 0;
        });
    }

    /** A NUL-terminated UTF-8 name (FuseFillDir's String overload would use the platform charset). */
    private static ByteBuffer cName(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.wrap(java.util.Arrays.copyOf(b, b.length + 1));
    }

    static void fill(FileStat stat, FileAttr a) {
        stat.st_mode.set(a.mode());
        stat.st_uid.set(a.uid());
        stat.st_gid.set(a.gid());
        stat.st_nlink.set(a.isDirectory() ? 2 : 1);
        stat.st_size.set(a.size());
        stat.st_blksize.set(PageStage.PAGE);
        stat.st_blocks.set((a.size() + 511) / 512);
        stat.st_atim.tv_sec.set(a.atimeNanos() / 1_000_000_000L);
        stat.st_atim.tv_nsec.set(a.atimeNanos() % 1_000_000_000L);
        stat.st_mtim.tv_sec.set(a.mtimeNanos() / 1_000_000_000L);
        stat.st_mtim.tv_nsec.set(a.mtimeNanos() % 1_000_000_000L);
        stat.st_ctim.tv_sec.set(a.ctimeNanos() / 1_000_000_000L);
        stat.st_ctim.tv_nsec.set(a.ctimeNanos() % 1_000_000_000L);
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return call("readdir", path, () -> {
            filler.apply(buf, DOT.duplicate(), null, 0);
            filler.apply(buf, DOTDOT.duplicate(), null, 0);
            core.readdir(path, name -> filler.apply(buf, cName(name), null, 0));
            return 0;
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return call("mkdir", path, () -> {
            core.mkdir(path, (int) mode, caller.uid(), caller.gid());
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return call("rmdir", path, () -> {
            core.rmdir(path);
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return call("unlink", path, () -> {
            core.unlink(path);
            return 0;
        });
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return call("rename", oldpath, () -> {
            core.rename(oldpath, newpath);
            return 0;
        });
    }

    @Override
    public int link(String oldpath, String newpath) {
        return -Errno.ENOTSUP;
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return -Errno.ENOTSUP;
    }

    @Override
    public int symlink(String target, String linkpath) {
        return call("symlink", linkpath, () -> {
            core.symlink(target, linkpath, caller.uid(), caller.gid());
            return 0;
        });
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return call("readlink", path, () -> {
            byte[] target = core.readlink(path).getBytes(StandardCharsets.UTF_8);
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return call("chmod", path, () -> {
            core.chmod(path, (int) mode);
            return 0;
        });
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return call("chown", path, () -> {
            core.chown(path, (int) uid, (int) gid);
            return 0;
        });
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return call("utimens", path, () -> {
            core.utimens(path, nanos(timespec[0]), nanos(timespec[1]));
            return 0;
        });
    }

    private static long nanos(Timespec t) {
        long nsec = t.tv_nsec.longValue();
        if (nsec == UTIME_OMIT) return FsCore.OMIT;
        if (nsec == UTIME_NOW) return FsCore.NOW;
        return t.tv_sec.get() * 1_000_000_000L + nsec;
    }

    @Override
    public int access(String path, int mask) {
        return call("access", path, () -> {
            core.access(path, mask, caller.uid(), caller.gid(), caller.groups());
            return 0;
        });
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        return call("statfs", path, () -> {
            FsCore.StatFs s = core.statfs();
            stbuf.f_bsize.set(s.blockSize());
            stbuf.f_frsize.set(s.blockSize());
            stbuf.f_blocks.set(s.totalBlocks());
            stbuf.f_bfree.set(s.freeBlocks());
            stbuf.f_bavail.set(s.availableBlocks());
            stbuf.f_files.set(1L << 32);
            stbuf.f_ffree.set(1L << 31);
            stbuf.f_favail.set(1L << 31);
            stbuf.f_namemax.set(ObjectPaths.NAME_MAX);
            return 0;
        });
    }

    // ------------------------------------------------------------------ files

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return call("create", path, () -> {
            fi.fh.set(core.create(path, (int) mode, fi.flags.get(), caller.uid(), caller.gid()));
            return 0;
        });
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return call("open", path, () -> {
            fi.fh.set(core.open(path, fi.flags.get()));
            return 0;
        });
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("read", path, () -> {
            ByteBuffer dst = view(buf, size);
            if (dst != null) return core.read(fi.fh.get(), offset, dst);
            byte[] tmp = new byte[(int) size];
            int n = core.read(fi.fh.get(), offset, ByteBuffer.wrap(tmp));
            buf.put(0, tmp, 0, n);
            return n;
        });
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("write", path, () -> {
            ByteBuffer src = view(buf, size);
            if (src == null) {
                byte[] tmp = new byte[(int) size];
                buf.get(0, tmp, 0, tmp.length);
                src = ByteBuffer.wrap(tmp);
            }
            return core.write(fi.fh.get(), offset, src);
        });
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return call("truncate", path, () -> {
            core.truncate(path, size);
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return call("ftruncate", path, () -> {
            core.ftruncate(fi.fh.get(), size);
            return 0;
        });
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return call("flush", path, () -> {
            core.flush(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return call("fsync", path, () -> {
            core.fsync(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return call("fsyncdir", path, () -> {
            core.fsyncdir();
            return 0;
        });
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return call("release", path, () -> {
            core.release(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        return call("fallocate", path, () -> {
            core.fallocate(fi.fh.get(), mode, off, length);
            return 0;
        });
    }

    // ------------------------------------------------------------------ xattrs

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        if (Xattrs.unsupportedNamespace(name)) return -Errno.ENOTSUP; // security.capability on every write: no I/O
        return call("getxattr", path, () -> {
            byte[] v = core.getxattr(path, name);
            if (size == 0) return v.length;
            if (size < v.length) return -Errno.ERANGE;
            value.put(0, v, 0, v.length);
            return v.length;
        });
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        if (Xattrs.unsupportedNamespace(name)) return -Errno.ENOTSUP;
        return call("setxattr", path, () -> {
            byte[] v = new byte[(int) size];
            if (size > 0) value.get(0, v, 0, v.length);
            core.setxattr(path, name, v, flags);
            return 0;
        });
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return call("listxattr", path, () -> {
            List<String> names = core.listxattr(path);
            int total = 0;
            for (String n : names) total += n.getBytes(StandardCharsets.UTF_8).length + 1;
            if (size == 0) return total;
            if (size < total) return -Errno.ERANGE;
            long off = 0;
            for (String n : names) {
                byte[] b = n.getBytes(StandardCharsets.UTF_8);
                list.put(off, b, 0, b.length);
                list.putByte(off + b.length, (byte) 0);
                off += b.length + 1;
            }
            return total;
        });
    }

    @Override
    public int removexattr(String path, String name) {
        if (Xattrs.unsupportedNamespace(name)) return -Errno.ENOTSUP;
        return call("removexattr", path, () -> {
            core.removexattr(path, name);
            return 0;
        });
    }
}
