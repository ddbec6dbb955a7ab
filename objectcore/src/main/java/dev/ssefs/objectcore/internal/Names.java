package dev.ssefs.objectcore.internal;

import dev.ssefs.objectcore.OssException;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** OSS naming rules for buckets and object keys. */
public final class Names {
    private Names() {}

    /** 3 to 63 characters: lower-case letters, digits and hyphens, starting and ending with a letter or digit. */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

    public static void checkBucket(String name) {
        if (name == null || !BUCKET.matcher(name).matches()) {
            throw new OssException(400, "InvalidBucketName", "The specified bucket is not valid. Bucket: " + name
                    + " (3 to 63 characters: lower-case letters, digits and hyphens, starting and ending with a letter or digit)");
        }
    }

    /** 1 to 1023 bytes of UTF-8, not starting with '/' or '\'. */
    public static void checkKey(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.startsWith("\\")
                || key.getBytes(StandardCharsets.UTF_8).length > 1023 || key.indexOf('\0') >= 0) {
            throw new OssException(400, "InvalidObjectName", "The specified object is not valid. Object: " + key
                    + " (1 to 1023 bytes of UTF-8, not starting with '/' or '\\', no NUL)");
        }
    }

    /**
     * The least string greater than every string starting with {@code prefix}; null when there is none
     * (empty prefix, or all characters U+FFFF).
     */
    public static String successor(String prefix) {
        StringBuilder b = new StringBuilder(prefix);
        while (b.length() > 0) {
            char last = b.charAt(b.length() - 1);
            if (last != Character.MAX_VALUE) {
                b.setCharAt(b.length() - 1, (char) (last + 1));
                return b.toString();
            }
            b.setLength(b.length() - 1);
        }
        return null;
    }
}
