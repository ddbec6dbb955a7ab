package dev.ssefs.cli;

/**
 * An {@code oss://bucket[/key]} URL as ossutil takes it. {@code key} is empty for a bucket or a bucket root;
 * it keeps a trailing slash (a "directory").
 */
record OssUrl(String bucket, String key) {
    static final String SCHEME = "oss://";

    static boolean isOss(String text) {
        return text.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /** @throws IllegalArgumentException with a message for the user */
    static OssUrl parse(String text) {
        if (!isOss(text)) {
            throw new IllegalArgumentException("'" + text + "' is not an oss:// URL (expected oss://bucket[/key])");
        }
        String rest = text.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' names no bucket (expected oss://bucket[/key])");
        }
        return new OssUrl(bucket, key);
    }

    boolean isBucket() {
        return key.isEmpty();
    }

    /** The last path segment of the key ({@code a/b/c.txt} gives {@code c.txt}). */
    String baseName() {
        String k = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
        return k.substring(k.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
        return SCHEME + bucket + (key.isEmpty() ? "" : "/" + key);
    }
}
