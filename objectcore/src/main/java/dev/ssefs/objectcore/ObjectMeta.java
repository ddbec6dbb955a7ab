package dev.ssefs.objectcore;

import java.time.Instant;
import java.util.Map;

/**
 * An object's index entry as returned by Head/Get/Put: plaintext size, ETag, Last-Modified,
 * Content-Type, the SSE headers exactly as OSS returns them (empty when unencrypted),
 * user metadata ({@code x-oss-meta-*}) and POSIX attributes (null for objects never touched by the mount).
 */
public record ObjectMeta(String bucket, String key, long size, String etag, Instant lastModified, String contentType,
                         Map<String, String> sseHeaders, Map<String, String> userMetadata, PosixAttributes posix,
                         String keyVersionId) {
    /** Every response header: Content-Length, ETag, Last-Modified, Content-Type, SSE headers and user metadata. */
    public Map<String, String> responseHeaders() {
        var h = new java.util.LinkedHashMap<String, String>();
        h.put("Content-Length", Long.toString(size));
        h.put("Content-Type", contentType);
        h.put("ETag", "\"" + etag + "\"");
        h.put("Last-Modified", java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                .format(lastModified.atZone(java.time.ZoneOffset.UTC)));
        h.putAll(sseHeaders);
        h.putAll(userMetadata);
        return h;
    }
}
