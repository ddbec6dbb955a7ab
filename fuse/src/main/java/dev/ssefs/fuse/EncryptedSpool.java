package dev.ssefs.fuse;

import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static dev.ssefs.fuse.SectorMask.SECTOR;
import static dev.ssefs.fuse.SectorMask.SECTORS;

/**
 * Spill space for one open file's staged sectors: only the sectors that were written, so spilling a page with one
 * 4 KiB sector written costs 4 KiB, not a page. Each sector is sealed on its own with AES-GCM under a random key that
 * exists only in this object's memory. The nonce is a counter that never repeats under that key (a sector spilled
 * again gets a new one), and the sector's index in the file is authenticated as associated data, so a sealed sector
 * in the wrong place, or an older copy of it, fails authentication. The file is unlinked right after it is created:
 * a crash leaves nothing behind.
 * <p>
 * Layout: the file is an array of slots of {@link #SEALED} bytes. A batch of sectors (many pages spilled at once) is
 * appended into consecutive new slots with one write, whatever their positions in the file; a sector spilled again
 * frees its old slot. Once the file holds twice the live sectors (plus some slack), freed slots are reused instead,
 * so the spool stays within about twice what is staged.
 */
final class EncryptedSpool implements Closeable {
    static final int TAG_BYTES = 16;
    static final int SEALED = SECTOR + TAG_BYTES;
    private static final int NONCE_BYTES = 12;
    /** Sectors sealed into one buffer before it is written. */
    private static final int BATCH_SECTORS = 64;
    /** Slots the file may have beyond twice the live sectors before freed slots are reused. */
    private static final int APPEND_SLACK = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Which sectors of one page are spilled, the slot of each, and the nonce counter it was sealed under. */
    private static final class SpilledPage {
        int mask;
        final long[] nonces = new long[SECTORS];
        final int[] slots = new int[SECTORS];
    }

    /** A sector sealed into the batch buffer, recorded once the buffer is on disk. */
    private record Pending(SpilledPage page, long pageIndex, int sector, long nonce) {}

    private final FileChannel channel;
    private final SecretKey key;
    private final Cipher cipher;
    private final Map<Long, SpilledPage> pages = new HashMap<>();
    /** Heap, not direct: the JDK's GCM runs fastest on arrays; the one copy into the kernel is per batch. */
    private final ByteBuffer sealed = ByteBuffer.allocate(BATCH_SECTORS * SEALED);
    private final Pending[] pending = new Pending[BATCH_SECTORS];
    private final ByteBuffer readBuffer = ByteBuffer.allocate(SECTORS * SEALED);
    private int pendingCount;
    private final byte[] nonce = new byte[NONCE_BYTES];
    private final byte[] aad = new byte[Long.BYTES];
    private long lastNonce;
    private long sectorsSpilled;
    /** Slots {@code [0, slotCount)} exist in the file; {@code free} lists those no sector uses. */
    private int slotCount;
    private int[] free = new int[64];
    private int freeCount;
    private long live;

    EncryptedSpool(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, "spool-", ".bin",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Files.deleteIfExists(file);
        try {
            KeyGenerator kg = KeyGenerator.getInstance("AES");
            kg.init(256, RANDOM);
            this.key = kg.generateKey();
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            channel.close();
            throw new IOException("cannot set up the spool cipher", e);
        }
    }

    private static long sectorIndex(long pageIndex, int sector) { return pageIndex * SECTORS + sector; }

    private static long position(int slot) { return (long) slot * SEALED; }

    /** The spilled sectors of page {@code pageIndex} (0 when none). */
    synchronized int mask(long pageIndex) {
        SpilledPage p = pages.get(pageIndex);
        return p == null ? 0 : p.mask;
    }

    synchronized boolean contains(long pageIndex) { return pages.containsKey(pageIndex); }

    /** Sectors sealed so far (each spill of a sector counts), for tests and diagnostics. */
    synchronized long sectorsSpilled() { return sectorsSpilled; }

    /** Slots the spool file has (its size in sealed sectors), for tests and diagnostics. */
    synchronized int slots() { return slotCount; }

    /** Forgets every spilled sector of page {@code pageIndex} outside {@code keep}. */
    synchronized void retain(long pageIndex, int keep) {
        SpilledPage p = pages.get(pageIndex);
        if (p == null) return;
        dropSectors(p, p.mask & ~keep);
        if (p.mask == 0) pages.remove(pageIndex);
    }

    synchronized void removeFrom(long firstPage) {
        pages.entrySet().removeIf(e -> {
            if (e.getKey() < firstPage) return false;
            dropSectors(e.getValue(), e.getValue().mask);
            return true;
        });
    }

    private void dropSectors(SpilledPage p, int drop) {
        for (int s = 0; s < SECTORS; s++) {
            if ((drop & (1 << s)) != 0) {
                freeSlot(p.slots[s]);
                live--;
            }
        }
        p.mask &= ~drop;
    }

    private void freeSlot(int slot) {
        if (freeCount == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeCount++] = slot;
    }

    /** Seals the sectors {@code mask} of {@code page} (a whole page's bytes) as page {@code pageIndex}'s. */
    synchronized void write(long pageIndex, byte[] page, int mask) throws IOException {
        add(pageIndex, page, mask);
        flush();
    }

    /**
     * Adds the sectors {@code mask} of {@code page} to the current batch; the batch is written when full and by
     * {@link #flush()}. A sector counts as spilled only once its batch is on disk: until then, and if the write fails,
     * its previous copy (if any) stays in force, and the caller keeps the page.
     */
    synchronized void add(long pageIndex, byte[] page, int mask) throws IOException {
        if (mask == 0) return;
        // in the map at once (mask 0 until on disk), so that every add of this page shares it
        SpilledPage sp = pages.computeIfAbsent(pageIndex, i -> new SpilledPage());
        for (int s = 0; s < SECTORS; s++) {
            if ((mask & (1 << s)) == 0) continue;
            if (pendingCount == BATCH_SECTORS) flush();
            long n = ++lastNonce;
            init(Cipher.ENCRYPT_MODE, n, sectorIndex(pageIndex, s));
            try {
                cipher.doFinal(page, s * SECTOR, SECTOR, sealed.array(), pendingCount * SEALED);
            } catch (GeneralSecurityException e) {
                throw new IOException("spool encryption failed", e);
            }
            pending[pendingCount++] = new Pending(sp, pageIndex, s, n);
            sealed.position(pendingCount * SEALED);
        }
    }

    /** Writes the current batch: appended in one write while the file is small enough, else into freed slots. */
    synchronized void flush() throws IOException {
        if (pendingCount == 0) return;
        try {
            if (slotCount > Integer.MAX_VALUE - 2 * BATCH_SECTORS) throw new IOException("spool full: too many staged sectors");
            sealed.flip();
            boolean append = freeCount == 0 || (long) slotCount + pendingCount <= 2 * (live + pendingCount) + APPEND_SLACK;
            int[] slots = new int[pendingCount];
            if (append) {
                for (int i = 0; i < pendingCount; i++) slots[i] = slotCount + i;
                long pos = position(slotCount);
                while (sealed.hasRemaining()) pos += channel.write(sealed, pos);
                slotCount += pendingCount;
            } else {
                for (int i = 0; i < pendingCount; i++) {
                    int slot = freeCount > 0 ? free[--freeCount] : slotCount++;
                    slots[i] = slot;
                    sealed.limit((i + 1) * SEALED).position(i * SEALED);
                    long pos = position(slot);
                    while (sealed.hasRemaining()) pos += channel.write(sealed, pos);
                }
            }
            // on disk: now the new copies replace the old ones, whose slots are free
            for (int i = 0; i < pendingCount; i++) {
                Pending p = pending[i];
                SpilledPage sp = p.page();
                int bit = 1 << p.sector();
                if ((sp.mask & bit) != 0) freeSlot(sp.slots[p.sector()]);
                else live++;
                sp.slots[p.sector()] = slots[i];
                sp.nonces[p.sector()] = p.nonce();
                sp.mask |= bit;
            }
            sectorsSpilled += pendingCount;
        } finally {
            // a failed write loses the batch (slots it took stay unused); the previous copies stay in force
            for (int i = 0; i < pendingCount; i++) {
                if (pending[i].page().mask == 0) pages.remove(pending[i].pageIndex(), pending[i].page());
            }
            Arrays.fill(pending, 0, pendingCount, null);
            pendingCount = 0;
            sealed.clear();
        }
    }

    /**
     * Decrypts the spilled sectors among {@code mask} of page {@code pageIndex} into {@code page} at their offsets
     * (plus {@code offset}); returns the sectors decrypted (those of {@code mask} that are spilled).
     */
    synchronized int read(long pageIndex, int mask, byte[] page, int offset) throws IOException {
        SpilledPage sp = pages.get(pageIndex);
        if (sp == null) return 0;
        int found = mask & sp.mask;
        int s = found == 0 ? SECTORS : Integer.numberOfTrailingZeros(found);
        ByteBuffer in = readBuffer;
        while (s < SECTORS) {
            // sectors of the page in consecutive slots (spilled together) come in one read
            int end = s + 1;
            while (end < SECTORS && (found & (1 << end)) != 0 && sp.slots[end] == sp.slots[end - 1] + 1) end++;
            in.clear().limit((end - s) * SEALED);
            long pos = position(sp.slots[s]);
            while (in.hasRemaining()) {
                int n = channel.read(in, pos);
                if (n < 0) throw new IOException("spool file truncated");
                pos += n;
            }
            for (int i = s; i < end; i++) {
                init(Cipher.DECRYPT_MODE, sp.nonces[i], sectorIndex(pageIndex, i));
                try {
                    cipher.doFinal(in.array(), (i - s) * SEALED, SEALED, page, offset + i * SECTOR);
                } catch (GeneralSecurityException e) {
                    throw new IOException("spool sector failed authentication", e);
                }
            }
            int rest = found & ~SectorMask.sectors(0, end);
            s = rest == 0 ? SECTORS : Integer.numberOfTrailingZeros(rest);
        }
        return found;
    }

    /** Nonce = the counter, big-endian, in the last 8 of 12 bytes; AAD = the sector's index in the file. */
    private void init(int mode, long counter, long sectorIndex) throws IOException {
        for (int i = 0; i < 8; i++) {
            nonce[NONCE_BYTES - 1 - i] = (byte) (counter >>> (8 * i));
            aad[7 - i] = (byte) (sectorIndex >>> (8 * i));
        }
        try {
            cipher.init(mode, key, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(aad);
        } catch (GeneralSecurityException e) {
            throw new IOException("spool cipher init failed", e);
        }
    }

    synchronized boolean isEmpty() { return pages.isEmpty(); }

    @Override
    public synchronized void close() throws IOException {
        pages.clear();
        pendingCount = 0;
        channel.close();
    }
}
