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
import java.util.HashMap;
import java.util.Map;

import static dev.ssefs.fuse.SectorMask.SECTOR;
import static dev.ssefs.fuse.SectorMask.SECTORS;

/**
 * Spill space for one open file's staged sectors: only the sectors that were written, so spilling a page with one
 * 4 KiB sector written costs 4 KiB, not a page. Each sector is sealed on its own with AES-GCM under a random key that
 * exists only in this object's memory. The nonce is a counter that never repeats under that key (a sector
 * overwritten in place gets a new one), and the sector's position is authenticated as associated data, so a sealed
 * sector moved, or an older copy of it, fails authentication. The file is unlinked right after it is created: a crash
 * leaves nothing behind. Slots are at fixed positions (sector index times the sealed size), so the file is sparse.
 */
final class EncryptedSpool implements Closeable {
    static final int TAG_BYTES = 16;
    static final int SEALED = SECTOR + TAG_BYTES;
    private static final int NONCE_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Which sectors of one page are spilled, and the nonce counter each was sealed under. */
    private static final class SpilledPage {
        int mask;
        final long[] nonces = new long[SECTORS];
    }

    private final FileChannel channel;
    private final SecretKey key;
    private final Cipher cipher;
    private final Map<Long, SpilledPage> pages = new HashMap<>();
    private final ByteBuffer sealed = ByteBuffer.allocateDirect(SECTORS * SEALED);
    private final byte[] nonce = new byte[NONCE_BYTES];
    private final byte[] aad = new byte[Long.BYTES];
    private long lastNonce;
    private long sectorsSpilled;

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

    /** The spilled sectors of page {@code pageIndex} (0 when none). */
    synchronized int mask(long pageIndex) {
        SpilledPage p = pages.get(pageIndex);
        return p == null ? 0 : p.mask;
    }

    synchronized boolean contains(long pageIndex) { return pages.containsKey(pageIndex); }

    /** Sectors sealed so far (each spill of a sector counts), for tests and diagnostics. */
    synchronized long sectorsSpilled() { return sectorsSpilled; }

    /** Forgets every spilled sector of page {@code pageIndex} outside {@code keep}. */
    synchronized void retain(long pageIndex, int keep) {
        SpilledPage p = pages.get(pageIndex);
        if (p == null) return;
        p.mask &= keep;
        if (p.mask == 0) pages.remove(pageIndex);
    }

    synchronized void removeFrom(long firstPage) { pages.keySet().removeIf(i -> i >= firstPage); }

    /** Seals the sectors {@code mask} of {@code page} (a whole page's bytes) into their slots of page {@code pageIndex}. */
    synchronized void write(long pageIndex, byte[] page, int mask) throws IOException {
        if (mask == 0) return;
        SpilledPage sp = pages.computeIfAbsent(pageIndex, i -> new SpilledPage());
        try {
            writeRuns(pageIndex, page, mask, sp);
        } finally {
            if (sp.mask == 0) pages.remove(pageIndex);
        }
    }

    private void writeRuns(long pageIndex, byte[] page, int mask, SpilledPage sp) throws IOException {
        int s = Integer.numberOfTrailingZeros(mask);
        while (s < SECTORS) {
            int end = SectorMask.runEnd(mask, s);
            sealed.clear();
            long[] used = new long[end - s];
            for (int i = s; i < end; i++) {
                long n = ++lastNonce;
                init(Cipher.ENCRYPT_MODE, n, sectorIndex(pageIndex, i));
                try {
                    cipher.doFinal(ByteBuffer.wrap(page, i * SECTOR, SECTOR), sealed);
                } catch (GeneralSecurityException e) {
                    throw new IOException("spool encryption failed", e);
                }
                used[i - s] = n;
            }
            sealed.flip();
            long pos = sectorIndex(pageIndex, s) * SEALED;
            while (sealed.hasRemaining()) pos += channel.write(sealed, pos);
            // only once on disk: a failed write leaves the previous copies (and their nonces) in force
            System.arraycopy(used, 0, sp.nonces, s, used.length);
            sp.mask |= SectorMask.sectors(s, end);
            sectorsSpilled += end - s;
            int rest = mask & ~SectorMask.sectors(0, end);
            s = rest == 0 ? SECTORS : Integer.numberOfTrailingZeros(rest);
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
        if (found == 0) return 0;
        // one read from the first to the last sector wanted: holes between them cost a copy, not a system call
        int first = Integer.numberOfTrailingZeros(found);
        int end = 32 - Integer.numberOfLeadingZeros(found);
        sealed.clear().limit((end - first) * SEALED);
        long pos = sectorIndex(pageIndex, first) * SEALED;
        while (sealed.hasRemaining()) {
            int n = channel.read(sealed, pos);
            if (n < 0) throw new IOException("spool file truncated");
            pos += n;
        }
        for (int i = first; i < end; i++) {
            if ((found & (1 << i)) == 0) continue;
            sealed.limit((i - first + 1) * SEALED).position((i - first) * SEALED);
            init(Cipher.DECRYPT_MODE, sp.nonces[i], sectorIndex(pageIndex, i));
            try {
                cipher.doFinal(sealed, ByteBuffer.wrap(page, offset + i * SECTOR, SECTOR));
            } catch (GeneralSecurityException e) {
                throw new IOException("spool sector failed authentication", e);
            }
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
        channel.close();
    }
}
