package dev.ssefs.keys.crypto;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The versioned ciphertext blob returned by GenerateDataKey and Encrypt:
 * <pre>
 *   format(1)=0x01 | kind(1) | keyRef(16, UUID) | versionRef(16, UUID) | algorithm(1) | nonce(12) | ciphertext | tag(16)
 * </pre>
 * The 35-byte header is authenticated (it is part of the AAD), so a blob cannot be re-pointed at another key or version.
 */
public record CiphertextBlob(byte kind, UUID keyRef, UUID versionRef, byte algorithm, byte[] bytes) {
    public static final byte FORMAT_V1 = 0x01;
    /** Wrapped under a customer master key (or the default OSS CMK). */
    public static final byte KIND_CMK = 0x01;
    /** Wrapped under an SSE-OSS service master key ring. */
    public static final byte KIND_SERVICE_RING = 0x02;
    public static final int HEADER_BYTES = 1 + 1 + 16 + 16 + 1;

    public static int length(int plaintextLength) {
        return HEADER_BYTES + WrappingAlgorithm.wrappedLength(plaintextLength);
    }

    /** Writes the header into a new blob buffer sized for {@code plaintextLength}. */
    public static byte[] newBuffer(byte kind, UUID keyRef, UUID versionRef, byte algorithm, int plaintextLength) {
        byte[] out = new byte[length(plaintextLength)];
        ByteBuffer b = ByteBuffer.wrap(out);
        b.put(FORMAT_V1).put(kind)
                .putLong(keyRef.getMostSignificantBits()).putLong(keyRef.getLeastSignificantBits())
                .putLong(versionRef.getMostSignificantBits()).putLong(versionRef.getLeastSignificantBits())
                .put(algorithm);
        return out;
    }

    /** @return null when the bytes are not a v1 blob. */
    public static CiphertextBlob parse(byte[] blob) {
        if (blob == null || blob.length < HEADER_BYTES + WrappingAlgorithm.NONCE_BYTES + WrappingAlgorithm.TAG_BYTES) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(blob);
        if (b.get() != FORMAT_V1) return null;
        byte kind = b.get();
        if (kind != KIND_CMK && kind != KIND_SERVICE_RING) return null;
        UUID key = new UUID(b.getLong(), b.getLong());
        UUID version = new UUID(b.getLong(), b.getLong());
        byte alg = b.get();
        if (WrappingAlgorithm.byId(alg) == null) return null;
        return new CiphertextBlob(kind, key, version, alg, blob);
    }

    public int plaintextLength() {
        return WrappingAlgorithm.unwrappedLength(bytes.length - HEADER_BYTES);
    }
}
