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
     * Appends to a stored object (OSS AppendObject) without re-encrypting it: authenticates {@code existing} (header,
     * every chunk), writes its header and all but its final chunk unchanged to {@code target}, and returns an
     * encryptor positioned at its end, holding the old final chunk's plaintext, which it seals again with a fresh
     * nonce (as non-final once more data follows). The result keeps the version id and data key, so a chunk of the
     * old blob spliced into the new one yields either exactly the old object or a failure, never a mix; telling the
     * two apart is the metadata's job (size, ETag). The target must be a new blob; {@code existing} stays unchanged.
     */
    ObjectEncryptor newAppender(BlobReader existing, byte[] dataKey, WritableByteChannel target, String objectName)
            throws IOException;

    /**
     * The authenticated header bytes of {@code header} under {@code dataKey}. With {@link ObjectHeader#withKeyWrapping}
     * this re-wraps an object (new KMS key version) without re-encrypting chunks: write these bytes, then the old blob's
     * bytes from its old header length on. The header MAC has no nonce, so a rewrite reuses none.
     */
    byte[] encodeHeader(ObjectHeader header, byte[] dataKey);

    /**
     * Re-wraps a stored object without re-encrypting it: authenticates {@code source}'s header and final chunk with
     * {@code dataKey}, writes {@code newHeader} (which must be {@code source}'s header
     * {@link ObjectHeader#withKeyWrapping re-wrapped}: same version id, algorithm and chunk size) authenticated with
     * the same data key, then copies the sealed chunks verbatim. Chunks are not re-verified; run
     * {@link ObjectDecryptor#verifyAll()} on the result if wanted.
     * @return bytes written to {@code target}
     */
    long rewrap(BlobReader source, ObjectHeader newHeader, byte[] dataKey, WritableByteChannel target, String objectName)
            throws IOException;
}
