package dev.ssefs.objectcore;

/** What the mount keeps per object. {@code mode} includes the file type bits; {@code symlinkTarget} is null unless a symlink. Times in ns since the epoch. */
public record PosixAttributes(int mode, int uid, int gid, long atimeNanos, long mtimeNanos, long ctimeNanos, String symlinkTarget) {}
