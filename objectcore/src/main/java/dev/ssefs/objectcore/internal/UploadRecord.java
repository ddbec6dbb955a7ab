package dev.ssefs.objectcore.internal;

import java.util.Map;

/** A multipart upload in progress: target, the SSE fixed at Initiate, and the headers to apply at Complete. */
public record UploadRecord(String bucket, String key, long initiatedMillis, String sseAlgorithm, String cmkId,
                           boolean sm4Data, String contentType, Map<String, String> userMetadata) {
    private static final int FORMAT = 1;

    public SseSpec sse() { return new SseSpec(sseAlgorithm, cmkId, sm4Data); }

    public byte[] encode() {
        return new Codec.Out().i(FORMAT).str(bucket).str(key).l(initiatedMillis).str(sseAlgorithm).str(cmkId).b(sm4Data)
                .str(contentType).map(userMetadata).done();
    }

    public static UploadRecord decode(byte[] b) {
        Codec.In in = new Codec.In(b);
        int f = in.i();
        if (f != FORMAT) throw new IllegalStateException("unknown upload record format " + f);
        return new UploadRecord(in.str(), in.str(), in.l(), in.str(), in.str(), in.b(), in.str(), in.map());
    }
}
