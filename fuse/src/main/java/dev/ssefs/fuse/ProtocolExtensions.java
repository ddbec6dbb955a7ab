package dev.ssefs.fuse;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.size_t;

/**
 * Two things of newer FUSE protocols on top of libfuse2, which predates them (it speaks 7.19), and one short cut.
 * Each saves a round trip to the daemon, or libfuse's work, per file: on these machines a round trip costs more
 * than the work the daemon does for most requests.
 * <ul>
 *   <li>READDIRPLUS (7.21): one directory listing also gives the kernel each entry's dentry and attributes, so
 *       {@code ls -l}, {@code find} and the {@code open} that follows them need no LOOKUP per entry.</li>
 *   <li>FOPEN_NOFLUSH (7.35): a read-only handle's close needs no FLUSH. Nothing is lost: {@link FsCore#flush}
 *       commits only for a writer, and every writer's handle is still flushed.</li>
 *   <li>GETXATTR of names the filesystem never stores is answered (EOPNOTSUPP) from the request buffer.</li>
 * </ul>
 *
 * <p>How, without touching libfuse's node table from outside: libfuse's own handlers are run on the request (or a
 * synthetic one), and a private channel captures the reply instead of writing it to /dev/fuse.
 * <ul>
 *   <li>OPEN: libfuse answers; a read-only open's reply gets {@code FOPEN_NOFLUSH}.</li>
 *   <li>INIT: libfuse answers; the reply gets {@code FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO} (when the kernel
 *       offers them) before it goes to the kernel.</li>
 *   <li>READDIRPLUS: the same request as a READDIR gives the names (libfuse's directory handle keeps offsets);
 *       a LOOKUP of each name gives its entry, and counts the lookup in libfuse's node table exactly as the kernel
 *       will count it when it links the entry (an entry it cannot link, it forgets).</li>
 * </ul>
 * One instance per worker thread: libfuse handles a request on the calling thread, so the capture is synchronous.
 */
final class ProtocolExtensions {
    private static final MemoryIO MEMORY = MemoryIO.getInstance();
    static final int FUSE_DO_READDIRPLUS = 1 << 13;
    static final int FUSE_READDIRPLUS_AUTO = 1 << 14;
    static final int FOPEN_NOFLUSH = 1 << 5;
    private static final int O_ACCMODE = 3;
    private static final byte[] USER_PREFIX = "user.".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int ENTRY_OUT = 128;
    static final int DIRENT_HEADER = 24;
    /** The largest request handled here: a LOOKUP of a 255-byte name, INIT, OPEN, READDIRPLUS are all smaller. */
    private static final int REQUEST_MAX = 4096;
    /** A LOOKUP's reply: header and fuse_entry_out. */
    private static final int ENTRY_REPLY = OUT_HEADER + ENTRY_OUT;
    /** Offsets in fuse_entry_out: nodeid, and fuse_attr's ino and mode. */
    private static final int ENTRY_NODEID = 0;
    private static final int ENTRY_INO = 40;
    private static final int ENTRY_MODE = 100;

    /** Whether these are used ({@code -Dssefs.protocolExtensions=false} turns them off, for A/B runs). */
    static boolean enabled() { return !"false".equals(System.getProperty("ssefs.protocolExtensions")); }

    /** fuse_chan_ops.send: {@code int (*send)(struct fuse_chan *ch, const struct iovec iov[], size_t count)}. */
    public interface Send {
        @Delegate
        int send(Pointer ch, Pointer iov, @size_t long count);
    }

    private final FuseLoop.Lib lib;
    private final Pointer realChannel;
    private final Pointer captureChannel;
    private final Send send; // referenced so that its native trampoline lives as long as the channel
    private final Pointer request;
    private final Pointer fuseBuf;
    private final Pointer listing;
    private final Pointer reply;
    private final Pointer entry;
    private final Pointer replyIov;
    private final int capacity;
    /** Where the capture channel copies the next reply to, how much fits there, and how long it was. */
    private Pointer captureTo;
    private int captureLimit;
    private int captured;
    /** Whether the request being served has had its reply. */
    private boolean replied;

    ProtocolExtensions(FuseLoop.Lib lib, jnr.ffi.Runtime rt, Pointer realChannel, int capacity) {
        this.lib = lib;
        this.realChannel = realChannel;
        this.capacity = capacity;
        this.send = this::capture;
        Pointer sendFn = rt.getClosureManager().getClosurePointer(Send.class, send);
        Pointer ops = Memory.allocateDirect(rt, 3 * 8, true); // receive, send, destroy
        ops.putAddress(8, sendFn.address());
        // fd -1: nothing may bypass the capture by writing to /dev/fuse itself
        this.captureChannel = lib.fuse_chan_new(ops, -1, capacity, null);
        if (captureChannel == null || captureChannel.address() == 0) throw new IllegalStateException("fuse_chan_new failed");
        this.request = Memory.allocateDirect(rt, REQUEST_MAX, true);
        this.fuseBuf = Memory.allocateDirect(rt, FuseLoop.FUSE_BUF_SIZE, true);
        this.listing = Memory.allocateDirect(rt, capacity, true);
        this.reply = Memory.allocateDirect(rt, capacity, true);
        this.entry = Memory.allocateDirect(rt, ENTRY_REPLY, true);
        this.replyIov = Memory.allocateDirect(rt, 16, true);
    }

    /** Frees the capture channel; the worker serves no more requests. */
    void close() { lib.fuse_chan_destroy(captureChannel); }

    /** Copies a reply libfuse sent on the capture channel to {@link #captureTo}. */
    private int capture(Pointer ch, Pointer iov, long count) {
        int at = 0;
        for (int i = 0; i < count; i++) {
            long base = iov.getAddress(i * 16L);
            long len = iov.getLong(i * 16L + 8);
            if (at + len > captureLimit) return -34; // -ERANGE, and nothing captured: the caller answers -EIO
            if (len > 0) MEMORY.copyMemory(base, captureTo.address() + at, len);
            at += (int) len;
        }
        captured = at;
        return 0;
    }

    /** Runs libfuse on the request in {@link #request} ({@code len} bytes); its reply lands in {@code to}. */
    private int process(Pointer se, int len, Pointer to, int limit) {
        captureTo = to;
        captureLimit = limit;
        captured = 0;
        fuseBuf.putLong(0, len);
        fuseBuf.putInt(8, 0);
        fuseBuf.putAddress(16, request.address());
        fuseBuf.putInt(24, -1);
        fuseBuf.putLong(32, 0);
        lib.fuse_session_process_buf(se, fuseBuf, captureChannel);
        return captured;
    }

    private void sendToKernel(Pointer from, int len) {
        replied = true;
        from.putInt(0, len);
        replyIov.putAddress(0, from.address());
        replyIov.putLong(8, len);
        lib.fuse_chan_send(realChannel, replyIov, 1);
    }

    /**
     * Serves the request in {@code in} (its {@code opcode} read by the caller) when it is one of those above; false
     * when libfuse should, as usual.
     */
    boolean serve(Pointer se, int opcode, Pointer in, int len) {
        if (len > REQUEST_MAX) return false;
        replied = false;
        try {
            switch (opcode) {
                case FuseOpcode.READDIRPLUS -> readdirPlus(se, in, len);
                case FuseOpcode.OPEN -> open(se, in, len);
                case FuseOpcode.GETXATTR -> {
                    return getxattrOutsideUser(in, len);
                }
                case FuseOpcode.INIT -> init(se, in, len);
                default -> {
                    return false;
                }
            }
        } catch (RuntimeException | Error e) {
            // the caller must not hang in the kernel waiting: a request taken here is answered here
            if (!replied) sendToKernel(reply, errorReply(reply, in.getLong(8), -Errno.EIO));
            throw e;
        }
        return true;
    }

    /** Runs libfuse on {@code in}, patches its reply with {@code patch}, and sends it; -EIO if libfuse sent none. */
    private void patched(Pointer se, Pointer in, int len, Patch patch) {
        in.transferTo(0, request, 0, len);
        int got = process(se, len, reply, capacity);
        if (got < OUT_HEADER) got = errorReply(reply, in.getLong(8), -Errno.EIO);
        else patch.apply(in, len, reply, got);
        sendToKernel(reply, got);
    }

    private interface Patch {
        void apply(Pointer in, int inLen, Pointer reply, int replyLen);
    }

    /** INIT: libfuse's reply, with readdirplus added when the kernel offers it. */
    void init(Pointer se, Pointer in, int len) { patched(se, in, len, ProtocolExtensions::offerReaddirPlus); }

    /** OPEN: libfuse's reply, with FOPEN_NOFLUSH when the file is opened read-only. */
    void open(Pointer se, Pointer in, int len) { patched(se, in, len, ProtocolExtensions::noFlushWhenReadOnly); }

    static void offerReaddirPlus(Pointer in, int inLen, Pointer reply, int replyLen) {
        int kernelFlags = inLen >= IN_HEADER + 16 ? in.getInt(IN_HEADER + 12) : 0;
        if (replyLen >= OUT_HEADER + 16 && reply.getInt(4) == 0 && (kernelFlags & FUSE_DO_READDIRPLUS) != 0) {
            int offer = FUSE_DO_READDIRPLUS | (kernelFlags & FUSE_READDIRPLUS_AUTO);
            reply.putInt(OUT_HEADER + 12, reply.getInt(OUT_HEADER + 12) | offer);
        }
    }

    static void noFlushWhenReadOnly(Pointer in, int inLen, Pointer reply, int replyLen) {
        if (inLen >= IN_HEADER + 4 && replyLen >= OUT_HEADER + 16 && reply.getInt(4) == 0
                && (in.getInt(IN_HEADER) & O_ACCMODE) == 0) {
            reply.putInt(OUT_HEADER + 8, reply.getInt(OUT_HEADER + 8) | FOPEN_NOFLUSH);
        }
    }

    /**
     * GETXATTR of a name outside {@code user.}: -EOPNOTSUPP straight away, which is what {@link SsefsFuse#getxattr}
     * answers ({@link Xattrs#unsupportedNamespace}), without libfuse's path walk and a Java upcall. The kernel asks
     * {@code security.capability} on every write; {@code ls -l} asks {@code security.selinux} and the POSIX ACLs
     * once, and no more on this mount once told they are not supported.
     *
     * @return false when the name is a user one: libfuse and the filesystem answer it
     */
    boolean getxattrOutsideUser(Pointer in, int len) {
        if (isUserXattr(in, len)) return false;
        sendToKernel(reply, errorReply(reply, in.getLong(8), -Errno.ENOTSUP));
        return true;
    }

    /** Whether the GETXATTR request in {@code in} (fuse_getxattr_in, then the name) asks for a {@code user.} name. */
    static boolean isUserXattr(Pointer in, int len) {
        int name = IN_HEADER + 8;
        if (len < name + USER_PREFIX.length) return false;
        for (int i = 0; i < USER_PREFIX.length; i++) if (in.getByte(name + i) != USER_PREFIX[i]) return false;
        return true;
    }

    /** READDIRPLUS: see the class comment. */
    void readdirPlus(Pointer se, Pointer in, int len) {
        long unique = in.getLong(8);
        long dir = in.getLong(16);
        int size = Math.min(in.getInt(IN_HEADER + 16), capacity - OUT_HEADER);

        in.transferTo(0, request, 0, len);
        request.putInt(4, FuseOpcode.READDIR);
        int got = process(se, len, listing, capacity);
        if (got < OUT_HEADER || listing.getInt(4) != 0) {
            if (got < OUT_HEADER) got = errorReply(listing, unique, -Errno.EIO);
            sendToKernel(listing, got);
            return;
        }
        int end = plusReply(listing, got, reply, OUT_HEADER + size, entry, (name, nameLen) -> lookup(se, in, dir, name, nameLen));
        reply.putInt(4, 0);
        reply.putLong(8, unique);
        sendToKernel(reply, end);
    }

    /** Looks up the name at {@code listing[nameAt..]}; true when its fuse_entry_out is at {@code entry[OUT_HEADER..]}. */
    interface EntryLookup {
        boolean lookup(int nameAt, int nameLen);
    }

    /**
     * Turns a READDIR reply ({@code listing}, {@code listingLen} bytes with its header) into READDIRPLUS records in
     * {@code reply} after its header, up to {@code limit} bytes; returns where they end. Only the entries that fit
     * are looked up: the kernel counts a lookup for each record it receives, and libfuse must have counted the same.
     */
    static int plusReply(Pointer listing, int listingLen, Pointer reply, int limit, Pointer entry, EntryLookup lookup) {
        int out = OUT_HEADER;
        for (int at = OUT_HEADER; at + DIRENT_HEADER <= listingLen; ) {
            long ino = listing.getLong(at);
            long off = listing.getLong(at + 8);
            int nameLen = listing.getInt(at + 16);
            int type = listing.getInt(at + 20);
            int name = at + DIRENT_HEADER;
            int plusLen = align8(ENTRY_OUT + DIRENT_HEADER + nameLen);
            if (name + nameLen > listingLen || out + plusLen > limit) break; // the kernel goes on from the last offset
            if (isDotOrDotDot(listing, name, nameLen) || !lookup.lookup(name, nameLen)) {
                reply.setMemory(out, ENTRY_OUT, (byte) 0); // no entry: the kernel links nothing
            } else {
                entry.transferTo(OUT_HEADER, reply, out, ENTRY_OUT);
                ino = entry.getLong(OUT_HEADER + ENTRY_INO);
                type = (entry.getInt(OUT_HEADER + ENTRY_MODE) >>> 12) & 0xf;
            }
            int d = out + ENTRY_OUT;
            reply.putLong(d, ino);
            reply.putLong(d + 8, off);
            reply.putInt(d + 16, nameLen);
            reply.putInt(d + 20, type);
            listing.transferTo(name, reply, d + DIRENT_HEADER, nameLen);
            int pad = plusLen - (ENTRY_OUT + DIRENT_HEADER + nameLen);
            if (pad > 0) reply.setMemory(d + DIRENT_HEADER + nameLen, pad, (byte) 0);
            out += plusLen;
            at += align8(DIRENT_HEADER + nameLen);
        }
        return out;
    }

    /** LOOKUP of the name at {@code listing[name..]} in {@code dir}, by libfuse; true when its entry is in {@link #entry}. */
    private boolean lookup(Pointer se, Pointer in, long dir, int name, int nameLen) {
        int len = IN_HEADER + nameLen + 1;
        if (len > REQUEST_MAX) return false; // listed without an entry; the kernel refuses such names anyway
        in.transferTo(0, request, 0, IN_HEADER); // unique, uid, gid and pid of the listing's caller
        request.putInt(0, len);
        request.putInt(4, FuseOpcode.LOOKUP);
        request.putLong(16, dir);
        listing.transferTo(name, request, IN_HEADER, nameLen);
        request.putByte(IN_HEADER + nameLen, (byte) 0);
        int got = process(se, len, entry, ENTRY_REPLY);
        return got == OUT_HEADER + ENTRY_OUT && entry.getInt(4) == 0 && entry.getLong(OUT_HEADER + ENTRY_NODEID) != 0;
    }

    private static int errorReply(Pointer p, long unique, int errno) {
        p.putInt(4, errno);
        p.putLong(8, unique);
        return OUT_HEADER;
    }

    private static boolean isDotOrDotDot(Pointer p, int at, int len) {
        return (len == 1 && p.getByte(at) == '.') || (len == 2 && p.getByte(at) == '.' && p.getByte(at + 1) == '.');
    }

    static int align8(int n) { return (n + 7) & ~7; }
}
