package dev.ssefs.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static dev.ssefs.fuse.SectorMask.SECTOR;
import static dev.ssefs.fuse.SectorMask.SECTORS;

/**
 * The staged (written, not yet committed) data of one open file, by {@link #PAGE}-byte page and, within a page, by
 * {@link SectorMask#SECTOR}-byte sector. A write never reads the base version except for the sectors it covers only
 * partly (and that are not staged yet): a page remembers which of its sectors are written, and every other sector
 * still reads from the base version (or zeros) through the owner's {@link Unstaged}. Pages stay in memory up to a
 * bound; beyond it the lowest-numbered pages spill their written sectors, and only those, to an
 * {@link EncryptedSpool}. A sector's content is therefore: the memory page's if written there, else the spool's if
 * spilled, else unstaged.
 * <p>
 * Not thread-safe: the owning {@link OpenFile} guards it (writes under its write lock; reads only under its read lock,
 * which never touch the memory map's structure but may decrypt spilled sectors through the spool's own monitor).
 */
final class PageStage implements AutoCloseable {
    static final int PAGE = 128 * 1024;

    /** Puts {@code n} bytes of the file's unstaged content at {@code pos} into {@code dst}: the base version or zeros. */
    interface Unstaged {
        void fill(long pos, ByteBuffer dst, int n) throws IOException;
    }

    /** A page in memory: {@code data} holds the file's content in the sectors of {@code written}, anything elsewhere. */
    private static final class Page {
        final byte[] data;
        int written;

        Page(byte[] data) { this.data = data; }
    }

    private final TreeMap<Long, Page> memory = new TreeMap<>();
    /** Arrays of spilled pages kept for the next new pages (no allocation per write); counted like memory pages. */
    private final java.util.ArrayDeque<byte[]> spare = new java.util.ArrayDeque<>();
    /**
     * Page arrays of cleared stages, for any file's new pages (bounded: 2 MiB). Their content is stale plaintext of
     * another file, in memory only, and never read: only written sectors are.
     */
    private static final java.util.concurrent.ArrayBlockingQueue<byte[]> POOL = new java.util.concurrent.ArrayBlockingQueue<>(16);
    private final long memoryBound;
    private final Path spoolDir;
    private final StageBudget budget;
    /** What this stage has counted against {@link #budget}: the bytes of its memory pages and spare arrays. */
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
        long now = (long) (memory.size() + spare.size()) * PAGE;
        if (now != charged) {
            budget.add(now - charged);
            charged = now;
        }
    }

    long memoryBytes() { return (long) memory.size() * PAGE; }

    boolean isEmpty() { return memory.isEmpty() && (spool == null || spool.isEmpty()); }

    /** True when some sector of page {@code pageIndex} is staged (in memory or spilled). */
    boolean contains(long pageIndex) {
        return memory.containsKey(pageIndex) || (spool != null && spool.contains(pageIndex));
    }

    boolean spilled() { return spool != null && !spool.isEmpty(); }

    /** Slots (sealed sectors) the spool file has room for. */
    int spoolSlots() { return spool == null ? 0 : spool.slots(); }

    /** Sectors sealed into the spool so far. */
    long sectorsSpilled() { return spool == null ? 0 : spool.sectorsSpilled(); }

    /** The staged sectors of page {@code pageIndex}, in memory or spilled. */
    int stagedSectors(long pageIndex) {
        Page p = memory.get(pageIndex);
        return (p == null ? 0 : p.written) | (spool == null ? 0 : spool.mask(pageIndex));
    }

    /**
     * Stages {@code len} bytes of {@code src} at offset {@code inPage} of page {@code pageIndex}. Sectors the write
     * covers entirely are just copied; a sector it covers partly is first made whole from the spool or
     * {@code unstaged} (only when it is not already written in memory).
     */
    void write(long pageIndex, int inPage, ByteBuffer src, int len, Unstaged unstaged) throws IOException {
        Page p = pageForWrite(pageIndex);
        int end = inPage + len;
        int partial = SectorMask.touched(inPage, end) & ~SectorMask.whole(inPage, end) & ~p.written;
        if (partial != 0) complete(pageIndex, p, partial, unstaged);
        src.get(p.data, inPage, len);
        p.written |= SectorMask.touched(inPage, end);
    }

    /** Makes the sectors {@code mask} (not written in memory) of {@code p} hold the file's current content. */
    private void complete(long pageIndex, Page p, int mask, Unstaged unstaged) throws IOException {
        int fromSpool = spool == null ? 0 : spool.read(pageIndex, mask, p.data, 0);
        int rest = mask & ~fromSpool;
        long start = pageIndex * PAGE;
        for (int s = 0; s < SECTORS; s++) {
            if ((rest & (1 << s)) != 0) unstaged.fill(start + (long) s * SECTOR, ByteBuffer.wrap(p.data, s * SECTOR, SECTOR), SECTOR);
        }
        p.written |= mask;
    }

    /** The memory page {@code pageIndex}, added (with nothing written) when absent. */
    private Page pageForWrite(long pageIndex) throws IOException {
        Page p = memory.get(pageIndex);
        if (p != null) return p;
        if (spare.isEmpty()) makeRoom();
        byte[] recycled = spare.poll();
        if (recycled == null) recycled = POOL.poll();
        p = new Page(recycled != null ? recycled : new byte[PAGE]);
        memory.put(pageIndex, p);
        recharge();
        return p;
    }

    /**
     * Makes room for one more page: past this file's bound, spills the lower half of its pages (one batch, appended
     * to the spool in few writes) and keeps their arrays as spares for the next new pages; past the shared budget,
     * spills all of them and keeps one array, so that each file then holds only the page it is writing. (A spare's
     * content is stale, which is fine: only written sectors are ever read.)
     */
    private void makeRoom() throws IOException {
        boolean overBudget = budget.wouldExceed(PAGE);
        if (memory.isEmpty() || ((long) (memory.size() + 1) * PAGE <= memoryBound && !overBudget)) return;
        int victims = overBudget ? memory.size() : Math.max(1, memory.size() / 2);
        if (spool == null) spool = new EncryptedSpool(spoolDir);
        java.util.Iterator<Map.Entry<Long, Page>> it = memory.entrySet().iterator();
        for (int i = 0; i < victims; i++) {
            Map.Entry<Long, Page> v = it.next();
            spool.add(v.getKey(), v.getValue().data, v.getValue().written);
        }
        spool.flush();
        // only now that they are on disk do the pages leave memory
        it = memory.entrySet().iterator();
        for (int i = 0; i < victims; i++) {
            byte[] data = it.next().getValue().data;
            it.remove();
            if (!overBudget || spare.isEmpty()) spare.push(data);
        }
        recharge();
    }

    /**
     * Puts {@code len} bytes of page {@code pageIndex} from offset {@code inPage} into {@code dst}: staged sectors from
     * memory or the spool, the rest from {@code unstaged}.
     */
    void read(long pageIndex, int inPage, int len, ByteBuffer dst, Unstaged unstaged) throws IOException {
        Page p = memory.get(pageIndex);
        int inMemory = p == null ? 0 : p.written;
        int end = inPage + len;
        int wanted = SectorMask.touched(inPage, end);
        int spilled = spool == null ? 0 : spool.mask(pageIndex) & wanted & ~inMemory;
        long start = pageIndex * PAGE;
        if (((inMemory | spilled) & wanted) == 0) {
            unstaged.fill(start + inPage, dst, len);
            return;
        }
        if (spilled != 0) {
            synchronized (scratchLock) {
                if (scratch == null) scratch = new byte[PAGE];
                spilled = spool.read(pageIndex, spilled, scratch, 0);
                copyRuns(p, inMemory, spilled, scratch, start, inPage, end, dst, unstaged);
            }
        } else {
            copyRuns(p, inMemory, 0, null, start, inPage, end, dst, unstaged);
        }
    }

    /** Copies {@code [from, end)} of a page run by run of sectors with one source: memory, spool scratch, unstaged. */
    private static void copyRuns(Page p, int inMemory, int spilled, byte[] spilledData, long start, int from, int end,
                                 ByteBuffer dst, Unstaged unstaged) throws IOException {
        int unstagedMask = ~(inMemory | spilled);
        int pos = from;
        while (pos < end) {
            int bit = 1 << (pos / SECTOR);
            int source = (inMemory & bit) != 0 ? inMemory : (spilled & bit) != 0 ? spilled : unstagedMask;
            int runEnd = Math.min(end, SectorMask.runEnd(source, pos / SECTOR) * SECTOR);
            int n = runEnd - pos;
            if ((inMemory & bit) != 0) dst.put(p.data, pos, n);
            else if ((spilled & bit) != 0) dst.put(spilledData, pos, n);
            else unstaged.fill(start + pos, dst, n);
            pos = runEnd;
        }
    }

    /**
     * Puts the first {@code len} bytes of page {@code pageIndex} into {@code out} at {@code off} (with room for a whole
     * page there), for a commit: the unstaged content once for the whole page (when some sector is not staged), then
     * the spilled and memory sectors over it.
     */
    void fillPage(long pageIndex, int len, byte[] out, int off, Unstaged unstaged) throws IOException {
        Page p = memory.get(pageIndex);
        int inMemory = p == null ? 0 : p.written;
        int wanted = SectorMask.touched(0, len);
        int spilled = spool == null ? 0 : spool.mask(pageIndex) & wanted & ~inMemory;
        if (((inMemory | spilled) & wanted) != wanted) unstaged.fill(pageIndex * PAGE, ByteBuffer.wrap(out, off, len), len);
        if (spilled != 0) spool.read(pageIndex, spilled, out, off);
        int s = inMemory == 0 ? SECTORS : Integer.numberOfTrailingZeros(inMemory);
        while (s < SECTORS) {
            int end = SectorMask.runEnd(inMemory, s);
            int from = s * SECTOR;
            if (from >= len) break;
            System.arraycopy(p.data, from, out, off + from, Math.min(len, end * SECTOR) - from);
            int rest = inMemory & ~SectorMask.sectors(0, end);
            s = rest == 0 ? SECTORS : Integer.numberOfTrailingZeros(rest);
        }
    }

    /**
     * Drops everything at or after {@code size}: whole pages, the sectors of the page holding {@code size} that lie
     * entirely past it, and the tail of the sector holding it (zeroed, so that growing the file again shows zeros).
     */
    void truncate(long size, Unstaged unstaged) throws IOException {
        long firstWhole = (size + PAGE - 1) / PAGE;
        memory.tailMap(firstWhole, true).clear();
        recharge();
        if (spool != null) spool.removeFrom(firstWhole);
        int tail = (int) (size % PAGE);
        if (tail == 0) return;
        long partial = size / PAGE;
        int keep = SectorMask.below(tail);
        Page p = memory.get(partial);
        if (p != null) p.written &= keep;
        if (spool != null) spool.retain(partial, keep);
        int boundary = tail / SECTOR;
        if (tail % SECTOR != 0 && (stagedSectors(partial) & (1 << boundary)) != 0) {
            p = pageForWrite(partial);
            int missing = (1 << boundary) & ~p.written;
            if (missing != 0) complete(partial, p, missing, unstaged);
            Arrays.fill(p.data, tail, (boundary + 1) * SECTOR, (byte) 0);
        }
        p = memory.get(partial);
        if (p != null && p.written == 0) {
            memory.remove(partial);
            recharge();
        }
    }

    void clear() throws IOException {
        // the arrays go to the next files' pages: an untar of small files allocates no 128 KiB page per file
        for (Page p : memory.values()) if (!POOL.offer(p.data)) break;
        for (byte[] a : spare) if (!POOL.offer(a)) break;
        memory.clear();
        spare.clear();
        recharge();
        if (spool != null) {
            spool.close();
            spool = null;
        }
    }

    @Override
    public void close() throws IOException { clear(); }
}
