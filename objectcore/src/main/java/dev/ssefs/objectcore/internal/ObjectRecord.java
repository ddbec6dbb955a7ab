package dev.ssefs.objectcore.internal;

import dev.ssefs.objectcore.PosixAttributes;

import java.util.Map;

/**
 * One object's index entry in meta.db. {@code blobId} names the blob and is also the version id
 * authenticated in the blob's header. {@code wrappedKey} is the KMS/SSE-OSS ciphertext of the data key
 * (the plaintext key is never stored). {@code plain} marks back-to-origin objects stored unencrypted.
 * {@code sseAlgorithm} is what OSS reports (null = no SSE); an object without SSE is still encrypted at rest
 * (SSE-OSS AES256 service key) unless {@code plain}.
 */
public record ObjectRecord(int kind, boolean plain, long size, String etag, long lastModifiedMillis, String contentType,
                           String sseAlgorithm, String cmkId, boolean sm4Data, String keyVersionId, byte[] wrappedKey,
                           String blobId, Map<String, String> userMetadata, PosixAttributes posix) {
    public static final int NORMAL = 0;
    public static final int APPENDABLE = 1;
    public static final int MULTIPART = 2;

    private static final int FORMAT = 1;

    public boolean encrypted() { return sseAlgorithm != null; }

    public ObjectRecord withPosixAndMeta(PosixAttributes p, Map<String, String> meta) {
        return new ObjectRecord(kind, plain, size, etag, lastModifiedMillis, contentType, sseAlgorithm, cmkId, sm4Data,
                keyVersionId, wrappedKey, blobId, meta, p);
    }

    public byte[] encode() {
        Codec.Out o = new Codec.Out().i(FORMAT).i(kind).b(plain).l(size).str(etag).l(lastModifiedMillis).str(contentType)
                .str(sseAlgorithm).str(cmkId).b(sm4Data).str(keyVersionId).bytes(wrappedKey).str(blobId).map(userMetadata);
        o.b(posix != null);
        if (posix != null) {
            o.i(posix.mode()).i(posix.uid()).i(posix.gid()).l(posix.atimeNanos()).l(posix.mtimeNanos()).l(posix.ctimeNanos())
                    .str(posix.symlinkTarget());
        }
        return o.done();
    }

    public static ObjectRecord decode(byte[] b) {
        Codec.In in = new Codec.In(b);
        int format = in.i();
        if (format != FORMAT) throw new IllegalStateException("unknown object record format " + format);
        int kind = in.i();
        boolean plain = in.b();
        long size = in.l();
        String etag = in.str();
        long lm = in.l();
        String ct = in.str();
        String alg = in.str();
        String cmk = in.str();
        boolean sm4 = in.b();
        String kv = in.str();
        byte[] wk = in.bytes();
        String blob = in.str();
        Map<String, String> meta = in.map();
        PosixAttributes p = null;
        if (in.b()) p = new PosixAttributes(in.i(), in.i(), in.i(), in.l(), in.l(), in.l(), in.str());
        return new ObjectRecord(kind, plain, size, etag, lm, ct, alg, cmk, sm4, kv, wk, blob, meta == null ? Map.of() : meta, p);
    }
}
