package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.format.ChunkLayout;
import dev.ssefs.objectcore.format.DataAlgorithm;

import javax.crypto.AEADBadTagException;

/**
 * Seals and opens single chunks under one object's chunk key. A sealed chunk is {@code nonce | ciphertext | tag}.
 * Instances hold the key; the cipher objects themselves are leased per thread, so an instance is thread-safe.
 */
abstract class ChunkAead implements AutoCloseable {
    static final int TAG_BITS = ChunkLayout.TAG_LENGTH * 8;

    static ChunkAead create(DataAlgorithm algorithm, byte[] chunkKey) {
        return switch (algorithm) {
            case AES_256_GCM -> new JdkAesGcm(chunkKey);
            case SM4_GCM -> new BcSm4Gcm(chunkKey);
        };
    }

    /**
     * Seals {@code len} plaintext bytes. The 12-byte nonce must already be at {@code out[outOff..]}; ciphertext and tag
     * follow it. @return bytes written after the nonce ({@code len + 16})
     */
    abstract int seal(byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff);

    /**
     * Opens a sealed chunk {@code in[inOff .. inOff+sealedLen)} (nonce first) into {@code out}.
     * What lands in {@code out} must not be used if this throws.
     * @return plaintext bytes
     */
    abstract int open(byte[] aad, byte[] in, int inOff, int sealedLen, byte[] out, int outOff) throws AEADBadTagException;

    /** Wipes the key bytes this instance holds. */
    @Override
    public abstract void close();
}
