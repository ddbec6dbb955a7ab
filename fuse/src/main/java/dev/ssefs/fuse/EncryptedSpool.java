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

/**
 * Spill space for one open file's staged pages. Each page is sealed with AES-GCM under a random key that exists
 * only in this object's memory, with a fresh random nonce per write (kept in memory too), so nothing readable
 * reaches disk and a page overwritten in place never reuses a nonce. The file is unlinked right after it is
 * created: a crash leaves nothing behind.
 */
final class EncryptedSpool implements Closeable {
    private static final int TAG_BYTES = 16;
    private static final int NONCE_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int pageSize;
    private final FileChannel channel;
    private final SecretKey key;
    private final Cipher cipher;
    private final Map<Long, byte[]> nonces = new HashMap<>();
    private final ByteBuffer sealed;

    EncryptedSpool(Path dir, int pageSize) throws IOException {
        this.pageSize = pageSize;
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
        this.sealed = ByteBuffer.allocateDirect(pageSize + TAG_BYTES);
    }

    private long slot(long pageIndex) { return pageIndex * (pageSize + TAG_BYTES); }

    synchronized boolean contains(long pageIndex) { return nonces.containsKey(pageIndex); }

    synchronized void remove(long pageIndex) { nonces.remove(pageIndex); }

    synchronized void removeFrom(long firstPage) { nonces.keySet().removeIf(i -> i >= firstPage); }

    synchronized void write(long pageIndex, byte[] page) throws IOException {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            sealed.clear();
            cipher.doFinal(ByteBuffer.wrap(page, 0, pageSize), sealed);
        } catch (GeneralSecurityException e) {
            throw new IOException("spool encryption failed", e);
        }
        sealed.flip();
        long pos = slot(pageIndex);
        while (sealed.hasRemaining()) pos += channel.write(sealed, pos);
        nonces.put(pageIndex, nonce);
    }

    /** Decrypts page {@code pageIndex} into {@code page}; false when it was never spilled. */
    synchronized boolean read(long pageIndex, byte[] page) throws IOException {
        byte[] nonce = nonces.get(pageIndex);
        if (nonce == null) return false;
        sealed.clear();
        long pos = slot(pageIndex);
        while (sealed.hasRemaining()) {
            int n = channel.read(sealed, pos);
            if (n < 0) throw new IOException("spool file truncated");
            pos += n;
        }
        sealed.flip();
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            cipher.doFinal(sealed, ByteBuffer.wrap(page, 0, pageSize));
        } catch (GeneralSecurityException e) {
            throw new IOException("spool page failed authentication", e);
        }
        return true;
    }

    synchronized boolean isEmpty() { return nonces.isEmpty(); }

    @Override
    public synchronized void close() throws IOException {
        nonces.clear();
        channel.close();
    }
}
