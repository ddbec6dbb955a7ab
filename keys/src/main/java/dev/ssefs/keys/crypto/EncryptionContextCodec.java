package dev.ssefs.keys.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Canonical bytes of an EncryptionContext, bound as AEAD additional data together with the blob header:
 * the header, then for each entry in key order: len(key) key len(value) value (big-endian int lengths, UTF-8).
 * Sorting makes {"a":"1","b":"2"} and {"b":"2","a":"1"} equal, as in KMS.
 */
public final class EncryptionContextCodec {
    private EncryptionContextCodec() {}

    /** {@code header} is the first {@code headerLength} bytes of {@code blob}. */
    public static byte[] aad(byte[] blob, int headerLength, Map<String, String> context) {
        if (context == null || context.isEmpty()) {
            byte[] aad = new byte[headerLength];
            System.arraycopy(blob, 0, aad, 0, headerLength);
            return aad;
        }
        Map<String, String> sorted = context instanceof TreeMap<String, String> t && t.comparator() == null
                ? t : new TreeMap<>(context);
        int len = headerLength;
        byte[][] parts = new byte[sorted.size() * 2][];
        int i = 0;
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            parts[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
            parts[i + 1] = e.getValue().getBytes(StandardCharsets.UTF_8);
            len += 8 + parts[i].length + parts[i + 1].length;
            i += 2;
        }
        byte[] aad = new byte[len];
        System.arraycopy(blob, 0, aad, 0, headerLength);
        int p = headerLength;
        for (byte[] part : parts) {
            aad[p++] = (byte) (part.length >>> 24);
            aad[p++] = (byte) (part.length >>> 16);
            aad[p++] = (byte) (part.length >>> 8);
            aad[p++] = (byte) part.length;
            System.arraycopy(part, 0, aad, p, part.length);
            p += part.length;
        }
        return aad;
    }
}
