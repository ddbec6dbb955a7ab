package dev.ssefs.objectcore.format.v1;

import dev.ssefs.objectcore.format.ChunkLayout;
import dev.ssefs.objectcore.format.ObjectEncryptor;
import dev.ssefs.objectcore.format.ObjectHeader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

final class V1Encryptor implements ObjectEncryptor {
    /**
     * NIST SP 800-38D: with random 96-bit nonces, at most 2^32 invocations per key. Keys are per object version,
     * so this caps one object at 2^32 chunks (64 TiB at the default 16 KiB, the mount's maximum file size).
     */
    static final long MAX_CHUNKS = 1L << 32;
    /** Sealed chunks are written to the blob in pieces of about this size. */
    static final int OUTPUT_BUFFER = 256 * 1024;

    private final V1Keys keys;
    private final WritableByteChannel target;
    private final String objectName;
    private final byte[] versionId;
    private final int chunkSize;
    private final byte[] buffer;      // plaintext of the chunk being filled
    /** Sealed chunks (nonce | ciphertext | tag each) not yet written: small chunks, few large writes. */
    private byte[] sealed;
    private int sealedFill;
    private final byte[] aad = new byte[FormatV1.AAD_LENGTH];
    private final byte[] nonce = new byte[ChunkLayout.NONCE_LENGTH];
    private int buffered;
    private long chunkIndex;
    private long plaintextSize;
    private long ciphertextSize;
    private boolean open = true;
    private boolean failed;
    private Result result;

    V1Encryptor(ObjectHeader header, V1Keys keys, byte[] headerBytes, WritableByteChannel target, String objectName)
            throws IOException {
        this.keys = keys;
        this.target = target;
        this.objectName = objectName;
        this.versionId = header.versionId();
        this.chunkSize = header.chunkSize();
        this.buffer = new byte[chunkSize];
        // one sealed chunk to start (most objects are small); grown to OUTPUT_BUFFER once an object spans several
        this.sealed = new byte[chunkSize + ChunkLayout.CHUNK_OVERHEAD];
        if (headerBytes != null) writeOut(ByteBuffer.wrap(headerBytes));
    }

    /**
     * Continues an existing object whose header and chunks {@code 0 .. chunkIndex-1} are already in the target
     * ({@code ciphertextSize} bytes): {@code lastChunk[0 .. len)} is the plaintext of its former final chunk, which
     * will be sealed again (with a fresh nonce) as chunk {@code chunkIndex}.
     */
    void resume(long chunkIndex, long plaintextSize, long ciphertextSize, byte[] lastChunk, int len) {
        this.chunkIndex = chunkIndex;
        this.plaintextSize = plaintextSize;
        this.ciphertextSize = ciphertextSize;
        System.arraycopy(lastChunk, 0, buffer, 0, len);
        this.buffered = len;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        checkWritable();
        int consumed = src.remaining();
        while (src.hasRemaining()) {
            if (buffered == chunkSize) { // more data follows, so the buffered chunk is not the final one
                sealAndWrite(buffer, 0, chunkSize, false);
                buffered = 0;
            }
            if (buffered == 0 && src.hasArray() && src.remaining() > chunkSize) {
                // A whole non-final chunk straight from the caller's array: no copy.
                int p = src.position();
                sealAndWrite(src.array(), src.arrayOffset() + p, chunkSize, false);
                src.position(p + chunkSize);
                continue;
            }
            int take = Math.min(chunkSize - buffered, src.remaining());
            src.get(buffer, buffered, take);
            buffered += take;
        }
        plaintextSize += consumed;
        return consumed;
    }

    private void sealAndWrite(byte[] in, int off, int len, boolean last) throws IOException {
        if (chunkIndex >= MAX_CHUNKS) {
            failed = true;
            throw new IOException(objectName + ": object too large: more than " + MAX_CHUNKS + " chunks under one data key");
        }
        if (sealedFill + len + ChunkLayout.CHUNK_OVERHEAD > sealed.length) {
            flushSealed();
            int sealedChunk = chunkSize + ChunkLayout.CHUNK_OVERHEAD;
            if (sealed.length == sealedChunk && OUTPUT_BUFFER >= 2 * sealedChunk) {
                sealed = new byte[OUTPUT_BUFFER / sealedChunk * sealedChunk];
            }
        }
        FormatV1.RANDOM.nextBytes(nonce);
        System.arraycopy(nonce, 0, sealed, sealedFill, ChunkLayout.NONCE_LENGTH);
        FormatV1.chunkAad(aad, versionId, chunkIndex, last);
        sealedFill += ChunkLayout.NONCE_LENGTH + keys.aead.seal(aad, in, off, len, sealed, sealedFill);
        chunkIndex++;
    }

    private void flushSealed() throws IOException {
        if (sealedFill == 0) return;
        ByteBuffer out = ByteBuffer.wrap(sealed, 0, sealedFill);
        sealedFill = 0;
        writeOut(out);
    }

    private void writeOut(ByteBuffer b) throws IOException {
        try {
            while (b.hasRemaining()) {
                ciphertextSize += target.write(b);
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private void checkWritable() throws IOException {
        if (!open) throw new ClosedChannelException();
        if (result != null) throw new IllegalStateException(objectName + ": encryptor already finished");
        if (failed) throw new IOException(objectName + ": an earlier write failed; the object cannot be finished");
    }

    @Override
    public long plaintextSize() {
        return plaintextSize;
    }

    @Override
    public Result finish() throws IOException {
        if (result != null) return result;
        checkWritable();
        sealAndWrite(buffer, 0, buffered, true);
        buffered = 0;
        flushSealed();
        result = new Result(plaintextSize, ciphertextSize, chunkIndex);
        wipe();
        return result;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() throws IOException {
        if (!open) return;
        try {
            if (result == null && !failed) finish();
        } finally {
            open = false;
            wipe();
        }
    }

    private void wipe() {
        Arrays.fill(buffer, (byte) 0);
        keys.close();
    }
}
