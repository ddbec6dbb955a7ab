package dev.ssefs.fuse;

import java.nio.charset.StandardCharsets;

/**
 * Maps FUSE paths to object keys: {@code /a/b} is the object {@code a/b}; a directory {@code /a} is the marker
 * object {@code a/} or the implied prefix {@code a/}. The root is the empty key.
 */
public final class ObjectPaths {
    /** Longest file name component, in bytes, as on ext4. */
    public static final int NAME_MAX = 255;
    /** Longest object key, in UTF-8 bytes (OSS); a directory's marker adds a slash, so its key may have one less. */
    public static final int KEY_MAX = 1023;

    private ObjectPaths() {}

    /** The object key of {@code path}; checks every component's length and the whole key's (ENAMETOOLONG). */
    public static String key(String path) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            throw new FsException(Errno.EINVAL, "not an absolute path: " + path);
        }
        int start = 1;
        int n = path.length();
        while (start < n) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? n : slash;
            checkName(path, start, end);
            start = end + 1;
        }
        String key = n == 1 ? "" : path.endsWith("/") ? path.substring(1, n - 1) : path.substring(1);
        checkKeyLength(key, false);
        return key;
    }

    /**
     * ENAMETOOLONG when {@code key} (as a directory: its marker {@code key/}) is longer than {@link #KEY_MAX} bytes,
     * so that nothing is created that could not be committed.
     */
    public static void checkKeyLength(String key, boolean dir) {
        int max = dir ? KEY_MAX - 1 : KEY_MAX;
        if (key.length() * 3 <= max) return; // fast path: cannot exceed in UTF-8
        if (utf8Length(key) > max) {
            throw new FsException(Errno.ENAMETOOLONG, (dir ? "directory" : "path") + " longer than " + max + " bytes as an object key");
        }
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }

    private static void checkName(String path, int start, int end) {
        int len = end - start;
        // fast path: ASCII names up to 85 chars cannot exceed 255 UTF-8 bytes
        if (len * 3 <= NAME_MAX) return;
        if (path.substring(start, end).getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "file name longer than " + NAME_MAX + " bytes");
        }
    }

    /** The marker key of a directory key ({@code ""} for the root). */
    public static String dirPrefix(String key) {
        return key.isEmpty() ? "" : key + "/";
    }

    /** The last component of a key or prefix (without a trailing slash). */
    public static String name(String keyOrPrefix) {
        String k = keyOrPrefix.endsWith("/") ? keyOrPrefix.substring(0, keyOrPrefix.length() - 1) : keyOrPrefix;
        return k.substring(k.lastIndexOf('/') + 1);
    }

    /** True when {@code key} lies strictly inside the directory {@code dirKey}. */
    public static boolean isUnder(String key, String dirKey) {
        return dirKey.isEmpty() ? !key.isEmpty() : key.length() > dirKey.length() + 1
                && key.startsWith(dirKey) && key.charAt(dirKey.length()) == '/';
    }
}
