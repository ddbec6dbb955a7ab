package dev.ssefs.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The staged (written, not yet committed) pages of one open file: whole {@link #PAGE}-byte pages, in memory up to a
 * bound, beyond which the lowest-numbered pages are sealed into an {@link EncryptedSpool}. Not thread-safe: the
 * owning {@link OpenFile} guards it (writes under its write lock; reads only under its read lock, which never
 * touch the memory map's structure but may decrypt spilled pages through the spool's own monitor).
 */
final class PageStage implements AutoCloseable {
    static final int PAGE = 128 * 1024;

    /** Fills a fresh page with the file's current content of that page (base version or zeros). */
    interface PageLoader {
        void load(long pageIndex, byte[] page) throws IOException;
    }

    private final TreeMap<Long, byte[]> memory = new TreeMap<>();
    private final long memoryBound;
    private final Path spoolDir;
    private final StageBudget budget;
    /** What this stage has counted against {@link #budget}: the bytes of its memory pages. */
    private long charged;
    private EncryptedSpool spool;
    private final Object scratchLock = new Object();
    private byte[] scratch;

    PageStage(long memoryBound, Path spoolDir) {
        this(memoryBound, spoolDir, StageBudget.shared());
    }

    PageStage(long memoryBound, Path spoolDir, StageBudget budget) {
        this.memoryBound = Math.max(memoryBound, 2L * PAGE);
        this.spoolDir = spoolDir;
        this.budget = budget;
    }

    /** Brings the budget in line with the memory pages held now. */
    private void recharge() {
        long now = (long) memory.size() * PAGE;
        if (now != charged) {
            budget.add(now - charged);
            charged = now;
        }
    }

    long memoryBytes() { return (long) memory.size() * PAGE; }

    boolean isEmpty() { return memory.isEmpty() && (spool == null || spool.isEmpty()); }

    boolean contains(long pageIndex) {
        return memory.containsKey(pageIndex) || (spool != null && spool.contains(pageIndex));
    }

    boolean spilled() { return spool != null && !spool.isEmpty(); }

    /** The in-memory page {@code pageIndex}, made writable: taken from memory, the spool, or the loader. */
    byte[] pageForWrite(long pageIndex, PageLoader loader) throws IOException {
        byte[] page = memory.get(pageIndex);
        if (page != null) return page;
        page = new byte[PAGE];
        if (spool == null || !spool.read(pageIndex, page)) loader.load(pageIndex, page);
        else spool.remove(pageIndex);
        memory.put(pageIndex, page);
        recharge();
        evictBeyondBound(pageIndex);
        return page;
    }

    /** Spills past this file's bound, and past the shared budget down to the one page being written. */
    private void evictBeyondBound(long keep) throws IOException {
        while ((long) memory.size() * PAGE > memoryBound || (budget.exceeded() && memory.size() > 1)) {
            Map.Entry<Long, byte[]> victim = memory.firstEntry();
            if (victim.getKey() == keep) victim = memory.higherEntry(keep);
            if (victim == null) return;
            if (spool == null) spool = new EncryptedSpool(spoolDir, PAGE);
            spool.write(victim.getKey(), victim.getValue());
            memory.remove(victim.getKey());
            recharge();
        }
    }

    /**
     * Copies {@code len} bytes of page {@code pageIndex} from {@code offset} into {@code dst};
     * false (and nothing copied) when the page is not staged.
     */
    boolean readInto(long pageIndex, int offset, int len, ByteBuffer dst) throws IOException {
        byte[] page = memory.get(pageIndex);
        if (page != null) {
            dst.put(page, offset, len);
            return true;
        }
        if (spool == null) return false;
        synchronized (scratchLock) {
            if (scratch == null) scratch = new byte[PAGE];
            if (!spool.read(pageIndex, scratch)) return false;
            dst.put(scratch, offset, len);
            return true;
        }
    }

    /** The page itself when in memory (for zero-copy commit), else null. */
    byte[] memoryPage(long pageIndex) { return memory.get(pageIndex); }

    /** Reads a spilled page into {@code page}; false when not spilled. */
    boolean readSpilled(long pageIndex, byte[] page) throws IOException {
        return spool != null && spool.read(pageIndex, page);
    }

    /** Drops everything at or after {@code size} and zeroes the tail of the page holding {@code size}. */
    void truncate(long size, PageLoader loader) throws IOException {
        long firstWhole = (size + PAGE - 1) / PAGE;
        memory.tailMap(firstWhole, true).clear();
        recharge();
        if (spool != null) spool.removeFrom(firstWhole);
        int tail = (int) (size % PAGE);
        long partial = size / PAGE;
        if (tail != 0 && contains(partial)) {
            byte[] page = pageForWrite(partial, loader);
            java.util.Arrays.fill(page, tail, PAGE, (byte) 0);
        }
    }

    /** Ascending indexes of every staged page. */
    java.util.NavigableSet<Long> indexes() {
        java.util.TreeSet<Long> all = new java.util.TreeSet<>(memory.keySet());
        return all;
    }

    void clear() throws IOException {
        memory.clear();
        recharge();
        if (spool != null) {
            spool.close();
            spool = null;
        }
    }

    @Override
    public void close() throws IOException { clear(); }
}
