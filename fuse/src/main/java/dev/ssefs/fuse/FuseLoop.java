package dev.ssefs.fuse;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.PointerByReference;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * libfuse2's session loop run by a fixed pool of Java threads, instead of {@code fuse_main}'s own
 * {@code fuse_loop_mt}. libfuse2 starts a pthread whenever no worker is idle and ends one whenever more than ten
 * are, so a request stream such as tar's creates and ends threads by the thousand; each of them must be attached
 * to the JVM on its first callback and detached when it ends (a java.lang.Thread made and torn down each time).
 * Measured on an 8000-file untar: 13,500 thread starts, most of the daemon's CPU in system time. Here the same
 * threads serve every request: {@code fuse_setup}, then workers looping on {@code fuse_session_receive_buf} /
 * {@code fuse_session_process_buf} (what each libfuse worker does), then {@code fuse_teardown}.
 */
final class FuseLoop {
    private static final Logger LOG = Logger.getLogger("ssefs.fuse");
    private static final int EINTR = 4;
    /** sizeof(struct fuse_buf) on LP64: size_t size, int flags, void *mem, int fd, off_t pos. */
    static final int FUSE_BUF_SIZE = 40;

    /** The libfuse2 (2.6+) session API. */
    public interface Lib {
        Pointer fuse_setup(int argc, String[] argv, Pointer op, long opSize, PointerByReference mountpoint,
                           IntByReference multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer se, Pointer ch);

        long fuse_chan_bufsize(Pointer ch);

        int fuse_session_receive_buf(Pointer se, Pointer buf, Pointer chp);

        void fuse_session_process_buf(Pointer se, Pointer buf, Pointer ch);

        int fuse_session_exited(Pointer se);

        void fuse_session_exit(Pointer se);

        Pointer fuse_chan_new(Pointer op, int fd, @jnr.ffi.types.size_t long bufsize, Pointer data);

        int fuse_chan_send(Pointer ch, Pointer iov, @jnr.ffi.types.size_t long count);

        void fuse_chan_destroy(Pointer ch);
    }

    private static volatile Lib lib;

    private static Lib lib() {
        Lib l = lib;
        if (l == null) {
            synchronized (FuseLoop.class) {
                if (lib == null) {
                    Lib loaded;
                    try {
                        loaded = LibraryLoader.create(Lib.class).failImmediately().load("libfuse.so.2");
                    } catch (LinkageError e) {
                        loaded = LibraryLoader.create(Lib.class).failImmediately().load("fuse");
                    }
                    lib = loaded;
                }
                l = lib;
            }
        }
        return l;
    }

    /** Workers; the kernel keeps at most 12 background requests in flight, and tar or cp one at a time. */
    static int workers() { return Math.max(1, Integer.getInteger("ssefs.fuseThreads", 8)); }

    /** {@code -Dssefs.fuseStats=true}: log the kernel's requests by opcode at unmount (diagnosis). */
    private static final boolean LOG_COUNTS = Boolean.getBoolean("ssefs.fuseStats");

    private FuseLoop() {}

    /**
     * As {@code fuse_main_real(argc, argv, ops, size, null)} with {@code -f}: mounts, serves until unmounted, then
     * tears down. Returns 0 on a clean end, 1 when setup failed (libfuse printed why).
     */
    static int run(String[] args, Pointer ops, long opsSize, String name, RequestCounts counts) {
        Lib l = lib();
        jnr.ffi.Runtime rt = jnr.ffi.Runtime.getRuntime(l);
        PointerByReference mountpoint = new PointerByReference();
        IntByReference multithreaded = new IntByReference();
        Pointer fuse = l.fuse_setup(args.length, args, ops, opsSize, mountpoint, multithreaded, null);
        if (fuse == null || fuse.address() == 0) return 1;
        int error = 0;
        try {
            Pointer se = l.fuse_get_session(fuse);
            Pointer ch = l.fuse_session_next_chan(se, null);
            long bufsize = l.fuse_chan_bufsize(ch);
            int n = workers();
            int[] failed = new int[1];
            List<Thread> threads = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(() -> serve(l, rt, se, ch, bufsize, failed, counts), name + "-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        l.fuse_session_exit(se);
                    }
                }
            }
            error = failed[0];
            if (LOG_COUNTS) LOG.info("FUSE requests by opcode: " + counts);
        } finally {
            l.fuse_teardown(fuse, mountpoint.getValue());
        }
        return error;
    }

    /** One worker: what libfuse's fuse_do_work does for each request, on a thread attached to the JVM once. */
    private static void serve(Lib l, jnr.ffi.Runtime rt, Pointer se, Pointer ch, long bufsize, int[] failed,
                              RequestCounts counts) {
        Pointer mem = Memory.allocateDirect(rt, (int) bufsize);
        Pointer buf = Memory.allocateDirect(rt, FUSE_BUF_SIZE, true);
        Pointer chp = Memory.allocateDirect(rt, 8, true);
        ProtocolExtensions plus = ProtocolExtensions.enabled() ? new ProtocolExtensions(l, rt, ch, (int) bufsize) : null;
        while (l.fuse_session_exited(se) == 0) {
            buf.putLong(0, bufsize);
            buf.putInt(8, 0);
            buf.putAddress(16, mem.address());
            buf.putInt(24, -1);
            buf.putLong(32, 0);
            chp.putAddress(0, ch.address());
            int res = l.fuse_session_receive_buf(se, buf, chp);
            if (res == -EINTR) continue;
            if (res <= 0) {
                if (res < 0) {
                    LOG.warning("reading /dev/fuse failed: errno " + -res);
                    synchronized (failed) {
                        failed[0] = 1;
                    }
                }
                l.fuse_session_exit(se);
                break;
            }
            try {
                // the one channel (no Pointer allocated per request: it was the daemon's top allocation site)
                long got = chp.getAddress(0);
                int opcode = buf.getInt(8) == 0 && res >= ProtocolExtensions.IN_HEADER ? mem.getInt(4) : -1;
                counts.add(opcode);
                if (plus == null || opcode < 0 || !plus.serve(se, opcode, mem, res)) {
                    l.fuse_session_process_buf(se, buf, got == ch.address() ? ch : chp.getPointer(0));
                }
            } catch (Throwable t) {
                // SsefsFuse maps every failure to an errno; nothing may escape into libfuse's frame
                LOG.severe("FUSE request failed outside the filesystem: " + t);
            }
        }
        if (plus != null) plus.close();
        // keep the buffers reachable until the last request that used them is done
        java.lang.ref.Reference.reachabilityFence(mem);
        java.lang.ref.Reference.reachabilityFence(buf);
        java.lang.ref.Reference.reachabilityFence(chp);
        java.lang.ref.Reference.reachabilityFence(plus);
    }
}
