package dev.ssefs.keys.crypto;

/**
 * A symmetric AEAD that wraps small secrets (data keys, Encrypt plaintexts) under a master key version.
 * Output layout is {@code nonce(12) || ciphertext || tag(16)}.
 */
public interface WrappingAlgorithm {
    int NONCE_BYTES = 12;
    int TAG_BYTES = 16;

    /** The byte that names this algorithm inside a ciphertext blob. */
    byte id();

    /** Master key length in bytes. */
    int keyBytes();

    /** A reusable, thread-safe handle on one master key. */
    MasterKey key(byte[] material);

    static int wrappedLength(int plaintextLength) {
        return NONCE_BYTES + plaintextLength + TAG_BYTES;
    }

    static int unwrappedLength(int wrappedLength) {
        return wrappedLength - NONCE_BYTES - TAG_BYTES;
    }

    static WrappingAlgorithm byId(byte id) {
        if (id == AesGcmWrapping.INSTANCE.id()) return AesGcmWrapping.INSTANCE;
        if (id == Sm4GcmWrapping.INSTANCE.id()) return Sm4GcmWrapping.INSTANCE;
        return null;
    }

    interface MasterKey {
        WrappingAlgorithm algorithm();

        /** Writes nonce || ciphertext || tag into {@code out} at {@code offset}; returns bytes written. */
        int wrap(byte[] plaintext, byte[] aad, byte[] out, int offset);

        /** @throws javax.crypto.AEADBadTagException-like {@link UnwrapException} when tag or AAD do not match. */
        byte[] unwrap(byte[] in, int offset, int length, byte[] aad) throws UnwrapException;

        /** Zeroes the key bytes this handle holds. */
        void destroy();
    }

    final class UnwrapException extends Exception {
        public UnwrapException(String message, Throwable cause) { super(message, cause); }
    }
}
