package dev.ssefs.keys.crypto;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/** AES-256-GCM from the JDK (hardware AES), one Cipher per thread. */
public final class AesGcmWrapping implements WrappingAlgorithm {
    public static final AesGcmWrapping INSTANCE = new AesGcmWrapping();
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding unavailable", e);
        }
    });

    private AesGcmWrapping() {}

    @Override public byte id() { return 1; }

    @Override public int keyBytes() { return 32; }

    @Override
    public MasterKey key(byte[] material) {
        if (material.length != 32 && material.length != 16) {
            throw new IllegalArgumentException("AES key must be 16 or 32 bytes");
        }
        return new Key(new SecretKeySpec(material, "AES"), material.clone());
    }

    private final class Key implements MasterKey {
        private final SecretKeySpec spec;
        private final byte[] raw;

        Key(SecretKeySpec spec, byte[] raw) { this.spec = spec; this.raw = raw; }

        @Override public WrappingAlgorithm algorithm() { return AesGcmWrapping.this; }

        @Override
        public int wrap(byte[] plaintext, byte[] aad, byte[] out, int offset) {
            byte[] nonce = Randomness.bytes(NONCE_BYTES);
            System.arraycopy(nonce, 0, out, offset, NONCE_BYTES);
            Cipher c = CIPHERS.get();
            try {
                c.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(TAG_BYTES * 8, nonce));
                c.updateAAD(aad);
                return NONCE_BYTES + c.doFinal(plaintext, 0, plaintext.length, out, offset + NONCE_BYTES);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM wrap failed", e);
            }
        }

        @Override
        public byte[] unwrap(byte[] in, int offset, int length, byte[] aad) throws UnwrapException {
            if (length < NONCE_BYTES + TAG_BYTES) throw new UnwrapException("ciphertext too short", null);
            Cipher c = CIPHERS.get();
            try {
                c.init(Cipher.DECRYPT_MODE, spec, new GCMParameterSpec(TAG_BYTES * 8, in, offset, NONCE_BYTES));
                c.updateAAD(aad);
                return c.doFinal(in, offset + NONCE_BYTES, length - NONCE_BYTES);
            } catch (GeneralSecurityException e) {
                throw new UnwrapException("authentication failed", e);
            }
        }

        @Override
        public void destroy() {
            Arrays.fill(raw, (byte) 0);
        }
    }
}
