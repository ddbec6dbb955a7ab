package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.format.DataAlgorithm;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The keys of one object version, derived from its data key with HKDF-SHA256 (salt = the version id), so the header
 * MAC key and the chunk key are independent, each algorithm gets its own chunk key, and each version its own keys
 * even if a data key were ever reused.
 */
final class V1Keys implements AutoCloseable {
    static final int MAC_LENGTH = 32;
    private static final byte[] INFO_HEADER_MAC = "ssefs v1 header mac".getBytes(StandardCharsets.US_ASCII);
    private static final String INFO_CHUNK_KEY = "ssefs v1 chunk key ";
    /** Upper bound on accepted data keys (KMS GenerateDataKey gives at most 1024 bytes). */
    static final int MAX_DATA_KEY = 1024;

    private final byte[] macKey;
    final ChunkAead aead;

    V1Keys(DataAlgorithm algorithm, byte[] dataKey, byte[] versionId) {
        if (dataKey == null || dataKey.length < algorithm.keyLength() || dataKey.length > MAX_DATA_KEY) {
            throw new IllegalArgumentException(algorithm.displayName() + " needs a data key of at least "
                    + algorithm.keyLength() + " bytes, got " + (dataKey == null ? "none" : dataKey.length + " bytes"));
        }
        // one extract, two expands: the same keys as two whole HKDF runs (RFC 5869), half the hashing
        byte[] prk = new HKDFBytesGenerator(new JdkSha256()).extractPRK(versionId, dataKey);
        byte[] chunkKey = null;
        try {
            this.macKey = expand(prk, INFO_HEADER_MAC, MAC_LENGTH);
            chunkKey = expand(prk, (INFO_CHUNK_KEY + algorithm.displayName()).getBytes(StandardCharsets.US_ASCII),
                    algorithm.keyLength());
            this.aead = ChunkAead.create(algorithm, chunkKey);
        } finally {
            Arrays.fill(prk, (byte) 0);
            if (chunkKey != null) Arrays.fill(chunkKey, (byte) 0);
        }
    }

    /** HMAC-SHA256 over the header bytes before the MAC. */
    byte[] headerMac(byte[] data, int off, int len) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
            mac.update(data, off, len);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static byte[] expand(byte[] prk, byte[] info, int length) {
        HKDFBytesGenerator g = new HKDFBytesGenerator(new JdkSha256());
        g.init(HKDFParameters.skipExtractParameters(prk, info));
        byte[] out = new byte[length];
        g.generateBytes(out, 0, length);
        return out;
    }

    @Override
    public void close() {
        Arrays.fill(macKey, (byte) 0);
        aead.close();
    }
}
