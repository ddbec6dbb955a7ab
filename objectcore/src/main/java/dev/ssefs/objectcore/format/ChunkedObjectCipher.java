package dev.ssefs.objectcore.format;

import dev.ssefs.objectcore.blob.BlobReader;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * One version of the chunked, authenticated object format. Obtain via {@link ObjectFormats}.
 * <p>
 * The data key is passed as plaintext bytes (it came from the KMS; the format never calls the KMS) and is never bound
 * to the object's name, so a rename is a metadata change only. Implementations copy what they need from the key and
 * never keep the caller's array; the caller should wipe it when done.
 */
public interface ChunkedObjectCipher {
    int formatVersion();

    /** Bytes the encoded, authenticated header of {@code header} takes in the blob. */
    int headerLength(ObjectHeader header);

    /** The layout of an object written with {@code header}. */
    default ChunkLayout layout(ObjectHeader header) {
        return new ChunkLayout(headerLength(header), header.chunkSize());
    }

    /**
     * Writes the authenticated header of a new object version to {@code target}, and returns the encryptor for its
     * plaintext.
     * @param dataKey plaintext data key, at least {@code header.algorithm().keyLength()} bytes
     * @param objectName display name for error messages, e.g. {@code oss://bucket/key}
     */
    ObjectEncryptor newEncryptor(ObjectHeader header, byte[] dataKey, WritableByteChannel target, String objectName)
            throws IOException;

    /**
     * Opens a stored object: reads and authenticates the header with {@code dataKey} (a wrong key fails as a header
     * integrity error), derives the plaintext size from the blob size, and authenticates the final chunk.
     */
    ObjectDecryptor open(BlobReader blob, byte[] dataKey, String objectName) throws IOException;

    /**
     * The authenticated header bytes of {@code header} under {@code dataKey}. With {@link ObjectHeader#withKeyWrapping}
     * this re-wraps an object (new KMS key version) without re-encrypting chunks: write these bytes, then the old blob's
     * bytes from its old header length on. The header MAC has no nonce, so a rewrite reuses none.
     */
    byte[] encodeHeader(ObjectHeader header, byte[] dataKey);
}
