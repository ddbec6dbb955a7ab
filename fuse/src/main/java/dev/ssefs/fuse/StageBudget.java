package dev.ssefs.fuse;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap that staged pages of all open files may take together (every mount of the daemon's JVM). {@code stage_mem}
 * bounds one file; this bounds their sum, so that many files written at random offsets spill to their encrypted
 * spools instead of exhausting the heap. Past the budget each file keeps only the page it is writing in memory.
 */
public final class StageBudget {
    /** System property overriding the shared budget, in bytes. */
    public static final String PROPERTY = "ssefs.stageBudget";
    private static final StageBudget SHARED = new StageBudget(defaultLimit());

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    public StageBudget(long limit) { this.limit = limit; }

    /** The budget of this JVM: {@value #PROPERTY}, else a quarter of the maximum heap (-Xmx), at least 4 MiB. */
    public static StageBudget shared() { return SHARED; }

    static long defaultLimit() {
        String p = System.getProperty(PROPERTY);
        if (p != null) {
            try {
                return Math.max(0, Long.parseLong(p.trim()));
            } catch (NumberFormatException e) {
                java.util.logging.Logger.getLogger("ssefs.fuse").warning(PROPERTY + " is not a number of bytes: " + p);
            }
        }
        return Math.max(4L << 20, Runtime.getRuntime().maxMemory() / 4);
    }

    public long limit() { return limit; }

    public long used() { return used.get(); }

    /** True when {@code more} bytes on top of what is used now would go past the limit. */
    boolean wouldExceed(long more) { return used.get() + more > limit; }

    void add(long delta) { used.addAndGet(delta); }
}
