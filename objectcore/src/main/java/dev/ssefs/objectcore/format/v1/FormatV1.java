package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.blob.BlobReader;
import dev.ssefs.objectcore.format.ChunkLayout;
import dev.ssefs.objectcore.format.ChunkedObjectCipher;
import dev.ssefs.objectcore.format.DataAlgorithm;
import dev.ssefs.objectcore.format.IntegrityException;
import dev.ssefs.objectcore.format.ObjectDecryptor;
import dev.ssefs.objectcore.format.ObjectEncryptor;
import dev.ssefs.objectcore.format.ObjectHeader;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * Format version 1. Header (big-endian):
 * <pre>
 *  0  8  magic "ssefsOBJ"
 *  8  2  format version (1)
 * 10  4  header length L, MAC included
 * 14  1  data algorithm id (1 AES-256-GCM, 2 SM4-GCM)
 * 15  4  chunk size (plaintext bytes)
 * 19 16  version id (random per object version)
 * 35     key source, key id, key version id: each u16 length + UTF-8
 *        wrapped data key: u16 length + bytes
 * L-32 32 HMAC-SHA256(header MAC key, bytes 0..L-32)
 * </pre>
 * then the chunks described by {@link ChunkLayout}, each sealed with AAD = version id | chunk index (u64) | final (u8).
 */
public final class FormatV1 implements ChunkedObjectCipher {
    public static final int VERSION = 1;
    public static final FormatV1 INSTANCE = new FormatV1();

    static final byte[] MAGIC = {'s', 's', 'e', 'f', 's', 'O', 'B', 'J'};
    static final int PREFIX_LENGTH = MAGIC.length + 2 + 4;
    static final int MIN_HEADER_LENGTH = PREFIX_LENGTH + 1 + 4 + ObjectHeader.VERSION_ID_LENGTH + 4 * 2 + V1Keys.MAC_LENGTH;
    static final int MAX_HEADER_LENGTH = MIN_HEADER_LENGTH + 3 * ObjectHeader.MAX_STRING_BYTES + ObjectHeader.MAX_WRAPPED_KEY_BYTES;
    static final int AAD_LENGTH = ObjectHeader.VERSION_ID_LENGTH + 8 + 1;

    /** Nonces: 96 random bits per chunk, so re-encrypting even the same version id never repeats one. */
    static final SecureRandom RANDOM = new SecureRandom();

    private FormatV1() {}

    @Override
    public int formatVersion() {
        return VERSION;
    }

    @Override
    public int headerLength(ObjectHeader header) {
        return encodeBody(header).length + V1Keys.MAC_LENGTH;
    }

    @Override
    public ObjectEncryptor newEncryptor(ObjectHeader header, byte[] dataKey, WritableByteChannel target, String objectName)
            throws IOException {
        requireV1(header);
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(objectName, "objectName");
        V1Keys keys = new V1Keys(header.algorithm(), dataKey, header.versionId());
        try {
            byte[] headerBytes = encode(header, keys);
            return new V1Encryptor(header, keys, headerBytes, target, objectName);
        } catch (IOException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    @Override
    public ObjectEncryptor newAppender(BlobReader existing, byte[] dataKey, WritableByteChannel target, String objectName)
            throws IOException {
        Objects.requireNonNull(target, "target");
        try (V1Decryptor d = (V1Decryptor) open(existing, dataKey, objectName)) {
            ObjectHeader header = d.header();
            int headerLength = (int) d.layout().headerLength();
            ByteBuffer headerBytes = ByteBuffer.allocate(headerLength);
            existing.readFully(0, headerBytes); // authenticated by open(); blobs are immutable
            writeFully(target, headerBytes.flip());
            V1Keys keys = new V1Keys(header.algorithm(), dataKey, header.versionId());
            byte[] lastPlain = new byte[header.chunkSize()];
            try {
                int lastLength = d.copyAllButFinalChunk(target, lastPlain);
                long last = d.lastChunkIndex();
                V1Encryptor enc = new V1Encryptor(header, keys, null, target, objectName);
                enc.resume(last, d.plaintextSize(), d.layout().chunkCiphertextOffset(last), lastPlain, lastLength);
                return enc;
            } catch (IOException | RuntimeException e) {
                keys.close();
                throw e;
            } finally {
                Arrays.fill(lastPlain, (byte) 0);
            }
        }
    }

    @Override
    public byte[] encodeHeader(ObjectHeader header, byte[] dataKey) {
        requireV1(header);
        try (V1Keys keys = new V1Keys(header.algorithm(), dataKey, header.versionId())) {
            return encode(header, keys);
        }
    }

    @Override
    public ObjectDecryptor open(BlobReader blob, byte[] dataKey, String objectName) throws IOException {
        Objects.requireNonNull(objectName, "objectName");
        byte[] raw = readHeaderBytes(blob, objectName);
        ObjectHeader header = parse(raw, objectName);
        V1Keys keys;
        try {
            keys = new V1Keys(header.algorithm(), dataKey, header.versionId());
        } catch (IllegalArgumentException e) {
            // The key length is judged against the algorithm the (not yet authenticated) header names.
            throw IntegrityException.header(objectName, "authentication failed: " + e.getMessage()
                    + " (edited header or wrong data key)");
        }
        try {
            byte[] mac = keys.headerMac(raw, 0, raw.length - V1Keys.MAC_LENGTH);
            if (!MessageDigest.isEqual(mac, Arrays.copyOfRange(raw, raw.length - V1Keys.MAC_LENGTH, raw.length))) {
                throw IntegrityException.header(objectName, "authentication failed (edited header or wrong data key)");
            }
            return V1Decryptor.open(blob, header, new ChunkLayout(raw.length, header.chunkSize()), keys, objectName);
        } catch (IOException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    @Override
    public long rewrap(BlobReader source, ObjectHeader newHeader, byte[] dataKey, WritableByteChannel target,
                       String objectName) throws IOException {
        requireV1(newHeader);
        long oldHeaderLength;
        long blobSize;
        try (ObjectDecryptor d = open(source, dataKey, objectName)) {
            ObjectHeader old = d.header();
            if (!Arrays.equals(old.versionId(), newHeader.versionId()) || old.algorithm() != newHeader.algorithm()
                    || old.chunkSize() != newHeader.chunkSize()) {
                throw new IllegalArgumentException(objectName + ": a re-wrapped header must keep the version id, "
                        + "algorithm and chunk size (use ObjectHeader.withKeyWrapping)");
            }
            oldHeaderLength = d.layout().headerLength();
            blobSize = d.layout().ciphertextSize(d.plaintextSize());
        }
        long written = writeFully(target, ByteBuffer.wrap(encodeHeader(newHeader, dataKey)));
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long pos = oldHeaderLength; pos < blobSize; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), blobSize - pos));
            try {
                source.readFully(pos, buf);
            } catch (EOFException e) {
                throw IntegrityException.size(objectName, "blob shrank while being re-wrapped");
            }
            pos += buf.flip().remaining();
            written += writeFully(target, buf);
        }
        return written;
    }

    private static long writeFully(WritableByteChannel target, ByteBuffer b) throws IOException {
        long n = 0;
        while (b.hasRemaining()) n += target.write(b);
        return n;
    }

    /** See {@link dev.ssefs.objectcore.format.ObjectFormats#readHeader}. */
    public static ObjectHeader readUnauthenticatedHeader(BlobReader blob, String objectName) throws IOException {
        return parse(readHeaderBytes(blob, objectName), objectName);
    }

    // ---- encoding

    private static void requireV1(ObjectHeader header) {
        if (header.formatVersion() != VERSION) {
            throw new IllegalArgumentException("format v1 cannot write a v" + header.formatVersion() + " header");
        }
    }

    private static byte[] encode(ObjectHeader header, V1Keys keys) {
        byte[] body = encodeBody(header);
        byte[] mac = keys.headerMac(body, 0, body.length);
        byte[] out = Arrays.copyOf(body, body.length + mac.length);
        System.arraycopy(mac, 0, out, body.length, mac.length);
        return out;
    }

    private static byte[] encodeBody(ObjectHeader h) {
        byte[] source = h.keySource().getBytes(StandardCharsets.UTF_8);
        byte[] keyId = h.keyId().getBytes(StandardCharsets.UTF_8);
        byte[] keyVersionId = h.keyVersionId().getBytes(StandardCharsets.UTF_8);
        byte[] wrapped = h.wrappedKey();
        int total = MIN_HEADER_LENGTH + source.length + keyId.length + keyVersionId.length + wrapped.length;
        ByteBuffer b = ByteBuffer.allocate(total - V1Keys.MAC_LENGTH);
        b.put(MAGIC).putShort((short) VERSION).putInt(total);
        b.put((byte) h.algorithm().wireId()).putInt(h.chunkSize()).put(h.versionId());
        putField(b, source);
        putField(b, keyId);
        putField(b, keyVersionId);
        putField(b, wrapped);
        if (b.hasRemaining()) throw new IllegalStateException("header length miscomputed");
        return b.array();
    }

    private static void putField(ByteBuffer b, byte[] v) {
        b.putShort((short) v.length).put(v);
    }

    // ---- decoding

    private static byte[] readHeaderBytes(BlobReader blob, String objectName) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(PREFIX_LENGTH);
        try {
            blob.readFully(0, prefix);
        } catch (EOFException e) {
            throw IntegrityException.size(objectName, "blob of " + blob.size() + " bytes is shorter than any object header");
        }
        prefix.flip();
        byte[] magic = new byte[MAGIC.length];
        prefix.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw IntegrityException.header(objectName, "bad magic: not an ssefs encrypted object");
        }
        int version = Short.toUnsignedInt(prefix.getShort());
        if (version != VERSION) {
            throw IntegrityException.header(objectName, "unsupported format version " + version);
        }
        int length = prefix.getInt();
        if (length < MIN_HEADER_LENGTH || length > MAX_HEADER_LENGTH) {
            throw IntegrityException.header(objectName, "header length " + Integer.toUnsignedString(length)
                    + " outside " + MIN_HEADER_LENGTH + ".." + MAX_HEADER_LENGTH);
        }
        ByteBuffer all = ByteBuffer.allocate(length);
        prefix.flip();
        all.put(prefix);
        try {
            blob.readFully(PREFIX_LENGTH, all);
        } catch (EOFException e) {
            throw IntegrityException.size(objectName, "blob of " + blob.size() + " bytes ends inside its "
                    + length + "-byte header");
        }
        return all.array();
    }

    /** Strict: every length must add up to exactly the stated header length; strings must be valid UTF-8. */
    private static ObjectHeader parse(byte[] raw, String objectName) throws IntegrityException {
        ByteBuffer b = ByteBuffer.wrap(raw, 0, raw.length - V1Keys.MAC_LENGTH);
        b.position(PREFIX_LENGTH);
        try {
            int algorithmId = Byte.toUnsignedInt(b.get());
            DataAlgorithm algorithm = DataAlgorithm.fromWireId(algorithmId);
            int chunkSize = b.getInt();
            byte[] versionId = new byte[ObjectHeader.VERSION_ID_LENGTH];
            b.get(versionId);
            String source = getString(b);
            String keyId = getString(b);
            String keyVersionId = getString(b);
            byte[] wrapped = getField(b);
            if (b.hasRemaining()) throw new IllegalArgumentException(b.remaining() + " stray bytes after the fields");
            return new ObjectHeader(VERSION, algorithm, chunkSize, versionId, source, keyId, keyVersionId, wrapped);
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            String why = e.getMessage() == null ? "fields overrun the header length" : e.getMessage();
            throw IntegrityException.header(objectName, "malformed: " + why, e);
        }
    }

    private static byte[] getField(ByteBuffer b) {
        int len = Short.toUnsignedInt(b.getShort());
        if (len > b.remaining()) throw new IllegalArgumentException("field length " + len + " overruns the header");
        byte[] v = new byte[len];
        b.get(v);
        return v;
    }

    private static String getString(ByteBuffer b) {
        byte[] v = getField(b);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(v)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a string field is not valid UTF-8");
        }
    }

    /** AAD of a chunk: version id | index (u64 big-endian) | final flag. */
    static void chunkAad(byte[] aad, byte[] versionId, long index, boolean last) {
        System.arraycopy(versionId, 0, aad, 0, versionId.length);
        int o = versionId.length;
        for (int i = 7; i >= 0; i--) {
            aad[o + 7 - i] = (byte) (index >>> (8 * i));
        }
        aad[o + 8] = (byte) (last ? 1 : 0);
    }
}
