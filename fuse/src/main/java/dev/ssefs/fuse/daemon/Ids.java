package dev.ssefs.fuse.daemon;

import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/** This process's uid and gid (owner of what carries no POSIX attributes). */
final class Ids {
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();

    private Ids() {}

    static int uid() { return POSIX.getuid(); }

    static int gid() { return POSIX.getgid(); }
}
