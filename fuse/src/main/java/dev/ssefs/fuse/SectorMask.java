package dev.ssefs.fuse;

/**
 * Range arithmetic of a staged page's sectors: a page of {@link PageStage#PAGE} bytes is {@link #SECTORS} sectors of
 * {@link #SECTOR} bytes, and a set of them is an {@code int} whose bit {@code s} stands for sector {@code s}. Byte
 * ranges are half-open, {@code [from, to)}, offsets within the page.
 */
final class SectorMask {
    static final int SECTOR = 4096;
    static final int SECTORS = PageStage.PAGE / SECTOR;
    /** Every sector of a page. */
    static final int ALL = SECTORS == 32 ? -1 : (1 << SECTORS) - 1;

    static {
        if (SECTORS > 32 || PageStage.PAGE % SECTOR != 0) throw new AssertionError("a page's sectors must fit an int");
    }

    private SectorMask() { }

    /** Sectors {@code [first, end)}; empty when {@code end <= first}. */
    static int sectors(int first, int end) {
        if (end <= first) return 0;
        int n = end - first;
        return (n >= 32 ? -1 : (1 << n) - 1) << first;
    }

    /** Sectors holding at least one byte of {@code [from, to)}. */
    static int touched(int from, int to) {
        if (to <= from) return 0;
        return sectors(from / SECTOR, (to - 1) / SECTOR + 1);
    }

    /** Sectors that {@code [from, to)} covers entirely. */
    static int whole(int from, int to) {
        return sectors((from + SECTOR - 1) / SECTOR, to / SECTOR);
    }

    /** Sectors holding at least one byte below {@code limit} (a page offset, 0..PAGE). */
    static int below(int limit) {
        return sectors(0, (limit + SECTOR - 1) / SECTOR);
    }

    /** The end (exclusive) of the run of sectors of {@code mask} that starts at sector {@code first}. */
    static int runEnd(int mask, int first) {
        int above = ~mask >>> first;
        int len = above == 0 ? 32 - first : Integer.numberOfTrailingZeros(above);
        return Math.min(first + len, SECTORS);
    }
}
