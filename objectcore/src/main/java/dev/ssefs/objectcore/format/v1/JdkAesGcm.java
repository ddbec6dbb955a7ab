package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.format.ChunkLayout;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/** AES-256-GCM through the JDK provider: its GCM is intrinsified (AES-NI + CLMUL), tens of times faster than BC's. */
final class JdkAesGcm extends ChunkAead {
    /** Cipher objects are not thread-safe and costly to look up: one per thread, re-initialised per chunk. */
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no AES/GCM/NoPadding", e);
        }
    });

    private final byte[] keyBytes;
    private final SecretKeySpec key;

    JdkAesGcm(byte[] chunkKey) {
        if (chunkKey.length != 32) throw new IllegalArgumentException("AES-256 needs a 32-byte key");
        this.keyBytes = chunkKey.clone();
        this.key = new SecretKeySpec(keyBytes, "AES");
    }

    @Override
    int seal(byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        Cipher c = CIPHERS.get();
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, out, outOff, ChunkLayout.NONCE_LENGTH));
            c.updateAAD(aad);
            return c.doFinal(in, inOff, len, out, outOff + ChunkLayout.NONCE_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    @Override
    int open(byte[] aad, byte[] in, int inOff, int sealedLen, byte[] out, int outOff) throws AEADBadTagException {
        Cipher c = CIPHERS.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, inOff, ChunkLayout.NONCE_LENGTH));
            c.updateAAD(aad);
            return c.doFinal(in, inOff + ChunkLayout.NONCE_LENGTH, sealedLen - ChunkLayout.NONCE_LENGTH, out, outOff);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        }
    }

    @Override
    public void close() {
        Arrays.fill(keyBytes, (byte) 0); // SecretKeySpec keeps its own copy, which the JDK 17 cannot destroy
    }
}
