package dev.ssefs.fuse;

import dev.ssefs.objectcore.BucketEncryptionRule;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The jnr-fuse callbacks called directly with native memory, as libfuse would, without a mount. */
@DisplayName("SsefsFuse callbacks (no mount)")
class SsefsFuseAdapterTest {
    static final Runtime RT = Runtime.getSystemRuntime();
    @TempDir Path dir;
    InMemoryOss oss;
    SsefsFuse fuse;

    @BeforeEach
    void setUp() {
        assumeTrue(FuseMount.libfuseInstalled(), "libfuse2 missing");
        oss = new InMemoryOss();
        oss.createBucket("b", new BucketEncryptionRule("KMS", null, null));
        FsCore core = new FsCore(new Volume(oss, "b", new MountOptions(), dir, 1000, 1000));
        fuse = new SsefsFuse(core, new SsefsFuse.Caller() {
            @Override public int uid() { return 1234; }

            @Override public int gid() { return 5678; }
        });
    }

    static FuseFileInfo fileInfo(int flags) {
        Pointer p = Memory.allocateDirect(RT, Struct.size(new FuseFileInfo(RT) { }));
        FuseFileInfo fi = FuseFileInfo.of(p);
        fi.flags.set(flags);
        return fi;
    }

    static FileStat stat() {
        return FileStat.of(Memory.allocateDirect(RT, Struct.size(new FileStat(RT))));
    }

    long createWith(String path, byte[] data) {
        FuseFileInfo fi = fileInfo(FsCore.O_WRONLY | FsCore.O_CREAT);
        assertEquals(0, fuse.create(path, 0640, fi));
        Pointer buf = Memory.allocateDirect(RT, Math.max(1, data.length));
        buf.put(0, data, 0, data.length);
        assertEquals(data.length, fuse.write(path, buf, data.length, 0, fi));
        assertEquals(0, fuse.flush(path, fi));
        assertEquals(0, fuse.release(path, fi));
        return fi.fh.get();
    }

    @Test
    @DisplayName("create/write/getattr/read through native buffers; owner from the caller")
    void writeThenRead() {
        byte[] data = "hello, native world".getBytes();
        createWith("/f", data);
        FileStat st = stat();
        assertEquals(0, fuse.getattr("/f", st));
        assertEquals(data.length, st.st_size.longValue());
        assertEquals(FileStat.S_IFREG | 0640, st.st_mode.intValue());
        assertEquals(1234, st.st_uid.intValue());
        FuseFileInfo fi = fileInfo(FsCore.O_RDONLY);
        assertEquals(0, fuse.open("/f", fi));
        Pointer out = Memory.allocateDirect(RT, 100);
        assertEquals(data.length, fuse.read("/f", out, 100, 0, fi));
        byte[] got = new byte[data.length];
        out.get(0, got, 0, got.length);
        assertArrayEquals(data, got);
        assertEquals(5, fuse.read("/f", out, 5, 7, fi));
        assertEquals(0, fuse.read("/f", out, 5, 1000, fi), "EOF");
        assertEquals(0, fuse.release("/f", fi));
    }

    @Test
    @DisplayName("errno values are negated: ENOENT, EEXIST, ENOTSUP for hard links and mknod")
    void errnos() {
        assertEquals(-Errno.ENOENT, fuse.getattr("/missing", stat()));
        assertEquals(0, fuse.mkdir("/d", 0755));
        assertEquals(-Errno.EEXIST, fuse.mkdir("/d", 0755));
        createWith("/f", new byte[1]);
        assertEquals(-Errno.ENOTSUP, fuse.link("/f", "/g"));
        assertEquals(-Errno.ENOTSUP, fuse.mknod("/fifo", 0010644, 0));
        assertEquals(-Errno.ENAMETOOLONG, fuse.mkdir("/" + "x".repeat(256), 0755));
    }

    @Test
    @DisplayName("readdir fills ., .. and UTF-8 names")
    void readdir() {
        createWith("/é ñ.txt", new byte[0]);
        assertEquals(0, fuse.mkdir("/sub", 0755));
        List<String> names = new ArrayList<>();
        assertEquals(0, fuse.readdir("/", null, (buf, name, st, off) -> {
            byte[] b = new byte[name.remaining()];
            name.get(b);
            int len = 0;
            while (len < b.length && b[len] != 0) len++;
            names.add(new String(b, 0, len, StandardCharsets.UTF_8));
            return 0;
        }, 0, fileInfo(0)));
        assertEquals(List.of(".", "..", "sub", "é ñ.txt"), names.stream().sorted((a, c) -> a.startsWith(".") && !c.startsWith(".") ? -1 : c.startsWith(".") && !a.startsWith(".") ? 1 : a.compareTo(c)).toList());
    }

    @Test
    @DisplayName("utimens honours UTIME_OMIT; symlink/readlink NUL-terminates and truncates")
    void utimensAndSymlink() {
        createWith("/f", new byte[1]);
        Pointer ts = Memory.allocateDirect(RT, 2 * Struct.size(new FileStat(RT).st_atim));
        Timespec a = Timespec.of(ts);
        Timespec m = Timespec.of(ts.slice(Struct.size(a)));
        a.tv_sec.set(0);
        a.tv_nsec.set((1L << 30) - 2); // UTIME_OMIT
        m.tv_sec.set(1_700_000_000L);
        m.tv_nsec.set(5);
        long atimeBefore = fuse.core().getattr("/f").atimeNanos();
        assertEquals(0, fuse.utimens("/f", new Timespec[] {a, m}));
        FileAttr attr = fuse.core().getattr("/f");
        assertEquals(1_700_000_000_000_000_005L, attr.mtimeNanos());
        assertEquals(atimeBefore, attr.atimeNanos());

        assertEquals(0, fuse.symlink("target/file", "/l"));
        Pointer buf = Memory.allocateDirect(RT, 7);
        assertEquals(0, fuse.readlink("/l", buf, 7));
        assertEquals("target", buf.getString(0));
    }

    @Nested
    @DisplayName("access(2): the mask against mode, owner and group of the caller")
    class Access {
        SsefsFuse as(int uid, int gid, int... groups) {
            return new SsefsFuse(fuse.core(), new SsefsFuse.Caller() {
                @Override public int uid() { return uid; }

                @Override public int gid() { return gid; }

                @Override public int[] groups() { return groups; }
            });
        }

        @Test
        void maskIsCheckedAgainstOwnerGroupAndOther() {
            createWith("/secret", "x".getBytes()); // 0640, uid 1234, gid 5678
            assertEquals(0, fuse.access("/secret", 4 | 2));
            assertEquals(-Errno.EACCES, fuse.access("/secret", 1), "no x bit for the owner");
            assertEquals(0, as(99, 5678).access("/secret", 4), "group may read");
            assertEquals(-Errno.EACCES, as(99, 5678).access("/secret", 2), "group may not write");
            assertEquals(0, as(99, 1, 5678).access("/secret", 4), "a supplementary group counts");
            assertEquals(-Errno.EACCES, as(99, 99).access("/secret", 4), "others may not read");
            assertEquals(0, as(99, 99).access("/secret", 0), "F_OK: it exists");
            assertEquals(-Errno.ENOENT, as(99, 99).access("/nope", 0));
            assertEquals(0, as(0, 0).access("/secret", 4 | 2), "root reads and writes");
            assertEquals(-Errno.EACCES, as(0, 0).access("/secret", 1), "root executes only what has an x bit");
        }

        @Test
        void writeAccessOnAReadOnlyMountIsErofs() {
            createWith("/f", "x".getBytes());
            MountOptions ro = new MountOptions();
            ro.readOnly = true;
            SsefsFuse roFuse = new SsefsFuse(new FsCore(new Volume(oss, "b", ro, dir, 1000, 1000)), fuse.core() == null ? null : new SsefsFuse.Caller() {
                @Override public int uid() { return 1234; }

                @Override public int gid() { return 5678; }
            });
            assertEquals(-Errno.EROFS, roFuse.access("/f", 2));
            assertEquals(0, roFuse.access("/f", 4));
        }
    }

    @Nested
    @DisplayName("xattrs")
    class XattrCallbacks {
        static final String ALG = "user.x-oss-server-side-encryption";

        @Test
        @DisplayName("size 0 returns the length, a small buffer ERANGE, a missing name ENODATA")
        void getxattrSizes() {
            createWith("/f", new byte[1]);
            assertEquals(3, fuse.getxattr("/f", ALG, null, 0));
            Pointer small = Memory.allocateDirect(RT, 2);
            assertEquals(-Errno.ERANGE, fuse.getxattr("/f", ALG, small, 2));
            Pointer ok = Memory.allocateDirect(RT, 16);
            assertEquals(3, fuse.getxattr("/f", ALG, ok, 16));
            byte[] b = new byte[3];
            ok.get(0, b, 0, 3);
            assertEquals("KMS", new String(b));
            assertEquals(-Errno.ENODATA, fuse.getxattr("/f", "user.nothing", ok, 16));
        }

        @Test
        @DisplayName("security.*, trusted.*, system.* answer without any store call")
        void otherNamespacesWithoutIo() {
            createWith("/f", new byte[1]);
            int before = oss.calls.get();
            assertEquals(-Errno.ENOTSUP, fuse.getxattr("/f", "security.capability", null, 0));
            assertEquals(-Errno.ENOTSUP, fuse.getxattr("/f", "system.posix_acl_access", null, 0));
            assertEquals(-Errno.ENOTSUP, fuse.removexattr("/f", "trusted.x"));
            assertEquals(-Errno.ENOTSUP, fuse.setxattr("/f", "trusted.x", null, 0, 0));
            assertEquals(before, oss.calls.get());
        }

        @Test
        @DisplayName("listxattr: NUL-separated names, size 0 gives the length, ERANGE when small")
        void listxattr() {
            createWith("/f", new byte[1]);
            Pointer v = Memory.allocateDirect(RT, 4);
            v.put(0, "blue".getBytes(), 0, 4);
            assertEquals(0, fuse.setxattr("/f", "user.color", v, 4, 0));
            String expected = ALG + "\0" + ALG + "-key-id\0user.color\0";
            int len = expected.getBytes().length;
            assertEquals(len, fuse.listxattr("/f", null, 0));
            assertEquals(-Errno.ERANGE, fuse.listxattr("/f", Memory.allocateDirect(RT, 5), 5));
            Pointer list = Memory.allocateDirect(RT, len);
            assertEquals(len, fuse.listxattr("/f", list, len));
            byte[] b = new byte[len];
            list.get(0, b, 0, len);
            assertEquals(expected, new String(b));
        }

        @Test
        @DisplayName("a bad algorithm is EINVAL and leaves the object as it was")
        void badAlgorithm() {
            createWith("/f", new byte[1]);
            Pointer v = Memory.allocateDirect(RT, 3);
            v.put(0, "DES".getBytes(), 0, 3);
            assertEquals(-Errno.EINVAL, fuse.setxattr("/f", ALG, v, 3, 0));
            assertEquals("KMS", oss.headObject("b", "f").sseHeaders().get("x-oss-server-side-encryption"));
        }
    }

    @Test
    @DisplayName("statfs reports the data dir's space and NAME_MAX 255")
    void statfs() {
        Statvfs s = Statvfs.of(Memory.allocateDirect(RT, Struct.size(new Statvfs(RT))));
        assertEquals(0, fuse.statfs("/", s));
        assertEquals(255, s.f_namemax.longValue());
        assertTrue(s.f_blocks.longValue() > 0);
    }

    @Test
    @DisplayName("write from a non-direct pointer falls back to a copy")
    void heapPointer() {
        FuseFileInfo fi = fileInfo(FsCore.O_RDWR | FsCore.O_CREAT);
        assertEquals(0, fuse.create("/h", 0644, fi));
        Pointer heap = Memory.allocate(RT, 4);
        heap.put(0, "heap".getBytes(), 0, 4);
        assertEquals(4, fuse.write("/h", heap, 4, 0, fi));
        assertEquals(0, fuse.release("/h", fi));
        assertEquals("heap", new String(oss.data("b", "h")));
        assertTrue(ByteBuffer.allocate(1).hasArray());
    }
}
