package dev.ssefs.objectcore.format;

/** The AEAD that seals an object's chunks. The wire id is stored (authenticated) in the object header. */
public enum DataAlgorithm {
    /** AES-256 in GCM mode, through the JDK provider (hardware-accelerated). */
    AES_256_GCM(1, "AES-256-GCM", 32),
    /** SM4 (128-bit key) in GCM mode, through Bouncy Castle. */
    SM4_GCM(2, "SM4-GCM", 16);

    private final int wireId;
    private final String displayName;
    private final int keyLength;

    DataAlgorithm(int wireId, String displayName, int keyLength) {
        this.wireId = wireId;
        this.displayName = displayName;
        this.keyLength = keyLength;
    }

    public int wireId() { return wireId; }

    public String displayName() { return displayName; }

    /** Length in bytes of the chunk key; a data key must have at least this many bytes. */
    public int keyLength() { return keyLength; }

    /** @throws IllegalArgumentException for an unknown id */
    public static DataAlgorithm fromWireId(int id) {
        for (DataAlgorithm a : values()) {
            if (a.wireId == id) return a;
        }
        throw new IllegalArgumentException("unknown data algorithm id " + id);
    }
}
