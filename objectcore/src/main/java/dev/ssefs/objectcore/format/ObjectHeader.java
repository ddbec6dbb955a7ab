package dev.ssefs.objectcore.format;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What the header of a stored object says, so any copy of the blob is self-describing to a holder of the KMS:
 * the format version, the data algorithm, where the data key came from (key source, key id, key version id and the
 * wrapped data key, all opaque to the format), a random per-version id and the chunk size.
 * <p>
 * A value object: the encoding and its authentication belong to the versioned implementation
 * ({@link ChunkedObjectCipher}). A header obtained from {@link ObjectFormats#readHeader} is NOT yet authenticated;
 * use it only to find the data key, then open the blob with that key, which authenticates it.
 */
public final class ObjectHeader {
    public static final int VERSION_ID_LENGTH = 16;
    /** Limits on the variable fields, so a header always stays small. */
    public static final int MAX_STRING_BYTES = 1024;
    public static final int MAX_WRAPPED_KEY_BYTES = 8192;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final int formatVersion;
    private final DataAlgorithm algorithm;
    private final int chunkSize;
    private final byte[] versionId;
    private final String keySource;
    private final String keyId;
    private final String keyVersionId;
    private final byte[] wrappedKey;

    /**
     * @param keySource e.g. {@code KMS}, {@code OSS-AES256}; opaque to the format
     * @param keyId the wrapping key's id, "" if none
     * @param keyVersionId the wrapping key's version id, "" if none
     * @param wrappedKey the data key as wrapped by the KMS; opaque to the format
     */
    public ObjectHeader(int formatVersion, DataAlgorithm algorithm, int chunkSize, byte[] versionId,
                        String keySource, String keyId, String keyVersionId, byte[] wrappedKey) {
        if (formatVersion < 1 || formatVersion > 0xFFFF) throw new IllegalArgumentException("bad format version " + formatVersion);
        this.formatVersion = formatVersion;
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        if (chunkSize < ChunkLayout.MIN_CHUNK_SIZE || chunkSize > ChunkLayout.MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " outside "
                    + ChunkLayout.MIN_CHUNK_SIZE + ".." + ChunkLayout.MAX_CHUNK_SIZE);
        }
        this.chunkSize = chunkSize;
        Objects.requireNonNull(versionId, "versionId");
        if (versionId.length != VERSION_ID_LENGTH) throw new IllegalArgumentException("version id must be 16 bytes");
        this.versionId = versionId.clone();
        this.keySource = checkString(keySource, "key source");
        this.keyId = checkString(keyId, "key id");
        this.keyVersionId = checkString(keyVersionId, "key version id");
        Objects.requireNonNull(wrappedKey, "wrappedKey");
        if (wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
            throw new IllegalArgumentException("wrapped key longer than " + MAX_WRAPPED_KEY_BYTES + " bytes");
        }
        this.wrappedKey = wrappedKey.clone();
    }

    /** A header for a new object version: a fresh random version id, the latest format, 64 KiB chunks. */
    public static ObjectHeader newVersion(DataAlgorithm algorithm, String keySource, String keyId, String keyVersionId,
                                          byte[] wrappedKey) {
        return newVersion(algorithm, keySource, keyId, keyVersionId, wrappedKey, ChunkLayout.DEFAULT_CHUNK_SIZE);
    }

    public static ObjectHeader newVersion(DataAlgorithm algorithm, String keySource, String keyId, String keyVersionId,
                                          byte[] wrappedKey, int chunkSize) {
        byte[] id = new byte[VERSION_ID_LENGTH];
        RANDOM.nextBytes(id);
        return new ObjectHeader(ObjectFormats.LATEST_VERSION, algorithm, chunkSize, id, keySource, keyId, keyVersionId, wrappedKey);
    }

    /** The same object version (same version id, algorithm, chunk size) with its data key wrapped differently. */
    public ObjectHeader withKeyWrapping(String keySource, String keyId, String keyVersionId, byte[] wrappedKey) {
        return new ObjectHeader(formatVersion, algorithm, chunkSize, versionId, keySource, keyId, keyVersionId, wrappedKey);
    }

    private static String checkString(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.getBytes(StandardCharsets.UTF_8).length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException(what + " longer than " + MAX_STRING_BYTES + " bytes");
        }
        return s;
    }

    public int formatVersion() { return formatVersion; }

    public DataAlgorithm algorithm() { return algorithm; }

    public int chunkSize() { return chunkSize; }

    /** A copy of the 16-byte random id of this object version. */
    public byte[] versionId() { return versionId.clone(); }

    public String versionIdHex() { return HexFormat.of().formatHex(versionId); }

    public String keySource() { return keySource; }

    public String keyId() { return keyId; }

    public String keyVersionId() { return keyVersionId; }

    /** A copy of the wrapped data key. */
    public byte[] wrappedKey() { return wrappedKey.clone(); }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ObjectHeader h)) return false;
        return formatVersion == h.formatVersion && algorithm == h.algorithm && chunkSize == h.chunkSize
                && Arrays.equals(versionId, h.versionId) && keySource.equals(h.keySource) && keyId.equals(h.keyId)
                && keyVersionId.equals(h.keyVersionId) && Arrays.equals(wrappedKey, h.wrappedKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(formatVersion, algorithm, chunkSize, Arrays.hashCode(versionId), keySource, keyId, keyVersionId);
    }

    /** No key material here: the wrapped key is shown by length only. */
    @Override
    public String toString() {
        return "ObjectHeader[v" + formatVersion + ", " + algorithm.displayName() + ", chunk=" + chunkSize
                + ", version=" + versionIdHex() + ", source=" + keySource + ", keyId=" + keyId
                + ", keyVersionId=" + keyVersionId + ", wrappedKey=" + wrappedKey.length + " bytes]";
    }
}
