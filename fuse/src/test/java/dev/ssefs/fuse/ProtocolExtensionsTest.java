package dev.ssefs.fuse;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.ssefs.fuse.ProtocolExtensions.*;
import static org.junit.jupiter.api.Assertions.*;

/** The byte layouts ProtocolExtensions writes for the kernel (fuse_kernel.h), checked without a mount. */
@DisplayName("FUSE protocol extensions over libfuse2")
class ProtocolExtensionsTest {
    private static final jnr.ffi.Runtime RT = jnr.ffi.Runtime.getSystemRuntime();
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;

    static Pointer mem(int size) { return Memory.allocateDirect(RT, size, true); }

    /** A READDIR reply as libfuse builds it: header, then dirents of (ino, off, namelen, type, name, padding). */
    static int readdirReply(Pointer p, String... names) {
        int at = OUT_HEADER;
        for (String n : names) {
            byte[] b = n.getBytes(StandardCharsets.UTF_8);
            int rec = align8(DIRENT_HEADER + b.length);
            p.putLong(at, 0xffffffffL); // FUSE_UNKNOWN_INO: libfuse2 without use_ino
            p.putLong(at + 8, at + rec - OUT_HEADER); // the next entry's offset
            p.putInt(at + 16, b.length);
            p.putInt(at + 20, 0); // DT_UNKNOWN: our readdir gives no types
            p.put(at + DIRENT_HEADER, b, 0, b.length);
            at += rec;
        }
        return at;
    }

    record Plus(long nodeid, long ino, long off, int type, String name, long attrIno) {}

    static List<Plus> parse(Pointer reply, int end) {
        List<Plus> out = new ArrayList<>();
        for (int at = OUT_HEADER; at < end; ) {
            int d = at + ENTRY_OUT;
            int len = reply.getInt(d + 16);
            byte[] name = new byte[len];
            reply.get(d + DIRENT_HEADER, name, 0, len);
            for (int i = d + DIRENT_HEADER + len; i < at + align8(ENTRY_OUT + DIRENT_HEADER + len); i++) {
                assertEquals(0, reply.getByte(i), "padding is zeros");
            }
            out.add(new Plus(reply.getLong(at), reply.getLong(d), reply.getLong(d + 8), reply.getInt(d + 20),
                    new String(name, StandardCharsets.UTF_8), reply.getLong(at + 40)));
            at += align8(ENTRY_OUT + DIRENT_HEADER + len);
        }
        return out;
    }

    /** A lookup that gives node 100+i with inode 500+i to the i-th name it is asked, a directory when it ends in /d. */
    static final class FakeLookup implements EntryLookup {
        final Pointer listing;
        final Pointer entry;
        final List<String> asked = new ArrayList<>();
        String missing = "";

        FakeLookup(Pointer listing, Pointer entry) {
            this.listing = listing;
            this.entry = entry;
        }

        @Override
        public boolean lookup(int nameAt, int nameLen) {
            byte[] b = new byte[nameLen];
            listing.get(nameAt, b, 0, nameLen);
            String name = new String(b, StandardCharsets.UTF_8);
            asked.add(name);
            if (name.equals(missing)) return false;
            int i = asked.size();
            entry.setMemory(0, OUT_HEADER + ENTRY_OUT, (byte) 0x5a); // garbage where the fields are not set
            entry.putLong(OUT_HEADER, 100 + i);
            entry.putLong(OUT_HEADER + 40, 500 + i);
            entry.putInt(OUT_HEADER + 100, (name.endsWith("d") ? S_IFDIR : S_IFREG) | 0644);
            return true;
        }
    }

    @Nested
    @DisplayName("READDIRPLUS records from libfuse's READDIR reply")
    class Records {
        final Pointer listing = mem(65536);
        final Pointer reply = mem(65536);
        final Pointer entry = mem(4096);
        final FakeLookup lookup = new FakeLookup(listing, entry);

        @Test
        @DisplayName("each name is looked up once; its record carries the entry, the entry's inode and type, and the listing's offset")
        void entries() {
            int len = readdirReply(listing, ".", "..", "a", "subd", "name-of-nine");
            int end = plusReply(listing, len, reply, 4096 + OUT_HEADER, entry, lookup);
            List<Plus> got = parse(reply, end);
            assertEquals(List.of("a", "subd", "name-of-nine"), lookup.asked, ". and .. are not looked up");
            assertEquals(List.of(".", "..", "a", "subd", "name-of-nine"), got.stream().map(Plus::name).toList());
            assertEquals(0, got.get(0).nodeid(), ". has no entry: the kernel links nothing for it");
            assertEquals(0, got.get(1).nodeid());
            assertEquals(0xffffffffL, got.get(0).ino(), "no entry: the listing's inode number stays");
            assertEquals(new Plus(101, 501, offsetOf(2), 8, "a", 501), got.get(2), "DT_REG, inode from the entry");
            assertEquals(new Plus(102, 502, offsetOf(3), 4, "subd", 502), got.get(3), "DT_DIR");
            assertEquals(103, got.get(4).nodeid());
            assertEquals(0x5a5a5a5a5a5a5a5aL, reply.getLong(OUT_HEADER + 2 * align8(ENTRY_OUT + DIRENT_HEADER + 1) + 8),
                    "the entry's other fields are copied as libfuse gave them (generation here)");
        }

        @Test
        @DisplayName("a name whose lookup fails (removed meanwhile) is listed without an entry")
        void failedLookup() {
            lookup.missing = "gone";
            int len = readdirReply(listing, "gone", "kept");
            List<Plus> got = parse(reply, plusReply(listing, len, reply, 4096 + OUT_HEADER, entry, lookup));
            assertEquals(0, got.get(0).nodeid());
            assertEquals(0, got.get(0).type(), "type unknown, as listed");
            assertEquals(102, got.get(1).nodeid());
        }

        @Test
        @DisplayName("records stop before the kernel's size: names that do not fit are not looked up (the kernel counts one lookup per record)")
        void stopsAtSize() {
            String[] names = new String[100];
            for (int i = 0; i < names.length; i++) names[i] = "file-" + i;
            int len = readdirReply(listing, names);
            int rec = align8(ENTRY_OUT + DIRENT_HEADER + "file-10".length()); // 160 for names of 6 and 7 bytes
            int limit = OUT_HEADER + 4096;
            int end = plusReply(listing, len, reply, limit, entry, lookup);
            assertTrue(end <= limit);
            assertTrue(limit - end < rec, "filled up to the size");
            List<Plus> got = parse(reply, end);
            assertEquals(got.size(), lookup.asked.size(), "exactly the names sent were looked up");
            assertEquals(4096 / rec, got.size());
            assertEquals(offsetOf(got.size() - 1), got.get(got.size() - 1).off(),
                    "the last record's offset is where the next READDIRPLUS starts");
        }

        @Test
        @DisplayName("names of every length up to 255 bytes are padded to 8 bytes with zeros")
        void padding() {
            for (int n = 1; n <= 255; n += 17) {
                lookup.asked.clear();
                String name = "x".repeat(n);
                int len = readdirReply(listing, name);
                int end = plusReply(listing, len, reply, 4096 + OUT_HEADER, entry, lookup);
                assertEquals(OUT_HEADER + align8(ENTRY_OUT + DIRENT_HEADER + n), end);
                assertEquals(name, parse(reply, end).get(0).name());
            }
        }

        @Test
        @DisplayName("an empty listing (the end of the directory) gives an empty reply")
        void empty() {
            assertEquals(OUT_HEADER, plusReply(listing, OUT_HEADER, reply, 4096 + OUT_HEADER, entry, lookup));
            assertEquals(List.of(), lookup.asked);
        }

        /** The offset libfuse gave the i-th entry of the listing. */
        long offsetOf(int i) {
            int at = OUT_HEADER;
            for (int k = 0; k < i; k++) at += align8(DIRENT_HEADER + listing.getInt(at + 16));
            return listing.getLong(at + 8);
        }
    }

    @Nested
    @DisplayName("INIT and OPEN replies")
    class Replies {
        final Pointer in = mem(256);
        final Pointer reply = mem(256);

        @Test
        @DisplayName("INIT offers readdirplus (and its auto mode) only when the kernel does, keeping libfuse's flags")
        void init() {
            in.putInt(IN_HEADER + 12, FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | 1);
            reply.putInt(OUT_HEADER + 12, 0x39);
            offerReaddirPlus(in, IN_HEADER + 16, reply, OUT_HEADER + 24);
            assertEquals(0x39 | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO, reply.getInt(OUT_HEADER + 12));

            in.putInt(IN_HEADER + 12, FUSE_DO_READDIRPLUS);
            reply.putInt(OUT_HEADER + 12, 0x39);
            offerReaddirPlus(in, IN_HEADER + 16, reply, OUT_HEADER + 24);
            assertEquals(0x39 | FUSE_DO_READDIRPLUS, reply.getInt(OUT_HEADER + 12), "no auto mode unless offered");

            in.putInt(IN_HEADER + 12, 1);
            reply.putInt(OUT_HEADER + 12, 0x39);
            offerReaddirPlus(in, IN_HEADER + 16, reply, OUT_HEADER + 24);
            assertEquals(0x39, reply.getInt(OUT_HEADER + 12), "an old kernel gets libfuse's reply as it was");
        }

        @Test
        @DisplayName("OPEN: a read-only open gets FOPEN_NOFLUSH; a writer's, or a failed open's, reply is untouched")
        void open() {
            for (int flags : new int[] {0, 01, 02, 01000 | 01, 0100000}) {
                in.putInt(IN_HEADER, flags);
                reply.putInt(4, 0);
                reply.putInt(OUT_HEADER + 8, 2); // FOPEN_KEEP_CACHE from auto_cache
                noFlushWhenReadOnly(in, IN_HEADER + 8, reply, OUT_HEADER + 16);
                boolean readOnly = (flags & 3) == 0;
                assertEquals(readOnly ? 2 | FOPEN_NOFLUSH : 2, reply.getInt(OUT_HEADER + 8), "flags " + Integer.toOctalString(flags));
            }
            in.putInt(IN_HEADER, 0);
            reply.putInt(4, -13);
            reply.putInt(OUT_HEADER + 8, 0);
            noFlushWhenReadOnly(in, IN_HEADER + 8, reply, OUT_HEADER + 16); // as long as a success: the error decides
            assertEquals(0, reply.getInt(OUT_HEADER + 8));
        }
    }

    @Test
    @DisplayName("GETXATTR: only user.* names go to the filesystem; others (security.selinux, system.posix_acl_*) get EOPNOTSUPP at once")
    void userXattrs() {
        Pointer in = mem(512);
        for (String[] c : new String[][] {{"user.x-oss-server-side-encryption", "true"}, {"user.", "true"},
                {"security.selinux", "false"}, {"system.posix_acl_access", "false"}, {"trusted.x", "false"},
                {"use", "false"}, {"user", "false"}, {"userx.a", "false"}}) {
            byte[] b = (c[0] + "\0").getBytes(StandardCharsets.US_ASCII);
            in.put(IN_HEADER + 8, b, 0, b.length);
            assertEquals(Boolean.parseBoolean(c[1]), isUserXattr(in, IN_HEADER + 8 + b.length), c[0]);
            assertEquals(Xattrs.unsupportedNamespace(c[0]), !isUserXattr(in, IN_HEADER + 8 + b.length), "as SsefsFuse: " + c[0]);
        }
    }
}
