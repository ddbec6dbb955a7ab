package dev.ssefs.objectcore.blob;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Blob ids: 4..128 characters of {@code [0-9a-z_-]}, starting with {@code [0-9a-z]}: safe as file and S3 key names. */
public final class BlobIds {
    private static final Pattern VALID = Pattern.compile("[0-9a-z][0-9a-z_-]{3,127}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private BlobIds() {}

    /** A new random id: 32 lower-case hex characters (128 bits). */
    public static String random() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public static boolean isValid(String blobId) {
        return blobId != null && VALID.matcher(blobId).matches();
    }

    /** @throws IllegalArgumentException naming the bad id */
    public static String requireValid(String blobId) {
        if (!isValid(blobId)) {
            throw new IllegalArgumentException("invalid blob id '" + blobId
                    + "': expected 4..128 characters of [0-9a-z_-], starting with a letter or digit");
        }
        return blobId;
    }
}
