package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.format.ChunkLayout;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.SM4Engine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

import javax.crypto.AEADBadTagException;
import java.util.Arrays;

/** SM4-GCM (128-bit key) through Bouncy Castle's lightweight API: the JDK has no SM4; no provider is registered. */
final class BcSm4Gcm extends ChunkAead {
    private static final ThreadLocal<GCMModeCipher> CIPHERS =
            ThreadLocal.withInitial(() -> GCMBlockCipher.newInstance(new SM4Engine()));

    private final KeyParameter key;

    BcSm4Gcm(byte[] chunkKey) {
        if (chunkKey.length != 16) throw new IllegalArgumentException("SM4 needs a 16-byte key");
        this.key = new KeyParameter(chunkKey);
    }

    @Override
    int seal(byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        GCMModeCipher c = CIPHERS.get();
        byte[] nonce = Arrays.copyOfRange(out, outOff, outOff + ChunkLayout.NONCE_LENGTH);
        c.init(true, new AEADParameters(key, TAG_BITS, nonce, aad));
        int o = outOff + ChunkLayout.NONCE_LENGTH;
        int n = c.processBytes(in, inOff, len, out, o);
        try {
            return n + c.doFinal(out, o + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("SM4-GCM encryption failed", e);
        }
    }

    @Override
    int open(byte[] aad, byte[] in, int inOff, int sealedLen, byte[] out, int outOff) throws AEADBadTagException {
        GCMModeCipher c = CIPHERS.get();
        byte[] nonce = Arrays.copyOfRange(in, inOff, inOff + ChunkLayout.NONCE_LENGTH);
        c.init(false, new AEADParameters(key, TAG_BITS, nonce, aad));
        int n = c.processBytes(in, inOff + ChunkLayout.NONCE_LENGTH, sealedLen - ChunkLayout.NONCE_LENGTH, out, outOff);
        try {
            return n + c.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            c.reset();
            AEADBadTagException bad = new AEADBadTagException("SM4-GCM tag mismatch");
            bad.initCause(e);
            throw bad;
        }
    }

    @Override
    public void close() {
        Arrays.fill(key.getKey(), (byte) 0);
    }
}
