package dev.ssefs.keys.crypto;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Per-thread DRBGs seeded from the OS. The default NativePRNG funnels every call through one lock and a
 * read of /dev/urandom; a per-thread Hash_DRBG is lock-free and several times faster for small outputs.
 */
public final class Randomness {
    private static final ThreadLocal<SecureRandom> PER_THREAD = ThreadLocal.withInitial(Randomness::newDrbg);

    private Randomness() {}

    private static SecureRandom newDrbg() {
        try {
            return SecureRandom.getInstance("DRBG",
                    DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, null));
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    /** This thread's generator; never share it with another thread. */
    public static SecureRandom current() {
        return PER_THREAD.get();
    }

    public static byte[] bytes(int n) {
        byte[] b = new byte[n];
        PER_THREAD.get().nextBytes(b);
        return b;
    }

    public static void fill(byte[] b) {
        PER_THREAD.get().nextBytes(b);
    }
}
