package dev.ssefs.objectcore.internal;

import dev.ssefs.objectcore.SseHeaders;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Request headers with case-insensitive names (as HTTP), and the user metadata among them. */
public final class RequestHeaders {
    private final Map<String, String> byLowerName = new TreeMap<>();

    public RequestHeaders(Map<String, String> headers) {
        if (headers != null) {
            headers.forEach((k, v) -> {
                if (k != null && v != null) byLowerName.put(k.toLowerCase(Locale.ROOT), v);
            });
        }
    }

    public String get(String name) { return byLowerName.get(name.toLowerCase(Locale.ROOT)); }

    /** {@code x-oss-meta-*} with lower-cased names, sorted. */
    public Map<String, String> userMetadata() {
        Map<String, String> m = new TreeMap<>();
        byLowerName.forEach((k, v) -> { if (k.startsWith(SseHeaders.USER_META_PREFIX)) m.put(k, v); });
        return m;
    }

    public boolean hasAnySse() {
        return get(SseHeaders.SSE) != null || get(SseHeaders.SSE_KEY_ID) != null || get(SseHeaders.SSE_DATA) != null;
    }
}
