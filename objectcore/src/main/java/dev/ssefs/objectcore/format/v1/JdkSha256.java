package dev.ssefs.objectcore.format.v1;

import org.bouncycastle.crypto.ExtendedDigest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The JDK's SHA-256 (CPU SHA extensions where present, several times Bouncy Castle's pure-Java one) behind Bouncy
 * Castle's digest interface, so that BC's HKDF runs on it: every object open and write derives two keys.
 */
final class JdkSha256 implements ExtendedDigest {
    private final MessageDigest md;

    JdkSha256() {
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    @Override public String getAlgorithmName() { return "SHA-256"; }

    @Override public int getDigestSize() { return 32; }

    /** The block size, which HMAC pads its key to. */
    @Override public int getByteLength() { return 64; }

    @Override public void update(byte in) { md.update(in); }

    @Override public void update(byte[] in, int inOff, int len) { md.update(in, inOff, len); }

    @Override
    public int doFinal(byte[] out, int outOff) {
        try {
            return md.digest(out, outOff, 32);
        } catch (java.security.DigestException e) {
            throw new IllegalArgumentException("output buffer too short for SHA-256", e);
        }
    }

    @Override public void reset() { md.reset(); }
}
