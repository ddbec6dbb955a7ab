package dev.ssefs.objectcore.format;

import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.format.v1.FormatV1;

import java.io.IOException;

/** Entry point: the current format for writing, and the right format for reading any stored object. */
public final class ObjectFormats {
    public static final int LATEST_VERSION = FormatV1.VERSION;

    private ObjectFormats() {}

    /** The format new objects are written in. */
    public static ChunkedObjectCipher latest() {
        return FormatV1.INSTANCE;
    }

    public static ChunkedObjectCipher forVersion(int formatVersion) {
        if (formatVersion == FormatV1.VERSION) return FormatV1.INSTANCE;
        throw new IllegalArgumentException("unsupported object format version " + formatVersion);
    }

    /**
     * Parses a stored object's header WITHOUT authenticating it (that needs the data key): use it only to find and
     * unwrap the data key, then {@link #open}.
     * @throws IntegrityException when the bytes are not an ssefs object header of a known version
     */
    public static ObjectHeader readHeader(BlobReader blob, String objectName) throws IOException {
        return FormatV1.readUnauthenticatedHeader(blob, objectName);
    }

    /** Opens a stored object in whatever format version it was written; see {@link ChunkedObjectCipher#open}. */
    public static ObjectDecryptor open(BlobReader blob, byte[] dataKey, String objectName) throws IOException {
        return FormatV1.INSTANCE.open(blob, dataKey, objectName);
    }

    /**
     * {@link #open}, and checks the authenticated plaintext size against what the metadata recorded, so a whole older
     * blob of the object put in place of the current one is refused.
     */
    public static ObjectDecryptor open(BlobReader blob, byte[] dataKey, String objectName, long expectedPlaintextSize)
            throws IOException {
        ObjectDecryptor d = open(blob, dataKey, objectName);
        if (d.plaintextSize() != expectedPlaintextSize) {
            long actual = d.plaintextSize();
            d.close();
            throw IntegrityException.size(objectName, "the blob holds " + actual + " bytes but the metadata records "
                    + expectedPlaintextSize);
        }
        return d;
    }
}
