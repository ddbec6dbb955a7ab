package dev.ssefs.fuse;

import dev.ssefs.objectcore.Oss;

import java.nio.file.Path;

/**
 * One mounted bucket as the filesystem sees it: the principal's {@link Oss}, the bucket, the mount options,
 * the spool directory, and who owns what has no POSIX attributes.
 */
public record Volume(Oss oss, String bucket, MountOptions options, Path spoolDir, int defaultUid, int defaultGid) {
    /** Files written sequentially from offset 0 stream straight into a new object version past this size. */
    public long streamThreshold() {
        return Math.max(PageStage.PAGE, Math.min(options.stageMemory, 1L << 20));
    }
}
