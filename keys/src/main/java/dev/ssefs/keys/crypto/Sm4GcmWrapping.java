package dev.ssefs.keys.crypto;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.SM4Engine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

import java.util.Arrays;

/** SM4-GCM from Bouncy Castle's lightweight API (no provider registration, JDK defaults untouched). */
public final class Sm4GcmWrapping implements WrappingAlgorithm {
    public static final Sm4GcmWrapping INSTANCE = new Sm4GcmWrapping();
    private static final ThreadLocal<Slot> CIPHERS = ThreadLocal.withInitial(Slot::new);

    /**
     * A per-thread cipher that remembers its last key: BC's GCM recomputes the GHASH tables on every init with a key,
     * so re-initialising with the same key passes none (nonce and AAD still change), which doubles throughput.
     */
    private static final class Slot {
        final GCMModeCipher cipher = GCMBlockCipher.newInstance(new SM4Engine());
        KeyParameter lastKey;

        GCMModeCipher init(boolean encrypt, KeyParameter key, byte[] nonce, byte[] aad) {
            KeyParameter k = key == lastKey ? null : key;
            try {
                cipher.init(encrypt, new AEADParameters(k, TAG_BYTES * 8, nonce, aad));
            } catch (IllegalArgumentException e) {
                // e.g. BC refusing a repeated (key, nonce) for encryption: start over with the key
                lastKey = null;
                throw e;
            }
            lastKey = key;
            return cipher;
        }
    }

    private Sm4GcmWrapping() {}

    @Override public byte id() { return 2; }

    @Override public int keyBytes() { return 16; }

    @Override
    public MasterKey key(byte[] material) {
        if (material.length != 16) throw new IllegalArgumentException("SM4 key must be 16 bytes");
        return new Key(material.clone());
    }

    private final class Key implements MasterKey {
        private final byte[] raw;
        private final KeyParameter keyParameter;

        Key(byte[] raw) { this.raw = raw; this.keyParameter = new KeyParameter(raw); }

        @Override public WrappingAlgorithm algorithm() { return Sm4GcmWrapping.this; }

        @Override
        public int wrap(byte[] plaintext, byte[] aad, byte[] out, int offset) {
            byte[] nonce = Randomness.bytes(NONCE_BYTES);
            System.arraycopy(nonce, 0, out, offset, NONCE_BYTES);
            GCMModeCipher c = CIPHERS.get().init(true, keyParameter, nonce, aad);
            int n = c.processBytes(plaintext, 0, plaintext.length, out, offset + NONCE_BYTES);
            try {
                n += c.doFinal(out, offset + NONCE_BYTES + n);
            } catch (InvalidCipherTextException e) {
                throw new IllegalStateException("SM4-GCM wrap failed", e);
            }
            return NONCE_BYTES + n;
        }

        @Override
        public byte[] unwrap(byte[] in, int offset, int length, byte[] aad) throws UnwrapException {
            if (length < NONCE_BYTES + TAG_BYTES) throw new UnwrapException("ciphertext too short", null);
            GCMModeCipher c = CIPHERS.get().init(false, keyParameter,
                    Arrays.copyOfRange(in, offset, offset + NONCE_BYTES), aad);
            byte[] out = new byte[c.getOutputSize(length - NONCE_BYTES)];
            int n = c.processBytes(in, offset + NONCE_BYTES, length - NONCE_BYTES, out, 0);
            try {
                n += c.doFinal(out, n);
            } catch (InvalidCipherTextException e) {
                Arrays.fill(out, (byte) 0);
                throw new UnwrapException("authentication failed", e);
            }
            return n == out.length ? out : Arrays.copyOf(out, n);
        }

        @Override
        public void destroy() {
            Arrays.fill(raw, (byte) 0);
            Arrays.fill(keyParameter.getKey(), (byte) 0);
        }
    }
}
