package dev.ssefs.fuse;

/** The kernel's FUSE request opcodes this module reads (include/linux/fuse.h, enum fuse_opcode). */
final class FuseOpcode {
    static final int LOOKUP = 1;
    static final int GETATTR = 3;
    static final int OPEN = 14;
    static final int GETXATTR = 22;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int READDIR = 28;
    static final int READDIRPLUS = 44;

    private FuseOpcode() {}
}
