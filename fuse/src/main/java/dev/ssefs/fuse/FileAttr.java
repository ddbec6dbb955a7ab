package dev.ssefs.fuse;

/** What getattr reports: {@code mode} includes the type bits (S_IFREG, S_IFDIR, S_IFLNK); times in ns since the epoch. */
public record FileAttr(int mode, int uid, int gid, long size, long atimeNanos, long mtimeNanos, long ctimeNanos) {
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;

    public boolean isDirectory() { return (mode & S_IFMT) == S_IFDIR; }

    public boolean isSymlink() { return (mode & S_IFMT) == S_IFLNK; }

    public boolean isRegularFile() { return (mode & S_IFMT) == S_IFREG; }
}
