package dev.ssefs.objectcore;

import java.util.List;

/**
 * The result of {@link Oss#verify}: how many objects and plaintext bytes were authenticated in full,
 * and every object that failed, as {@code oss://bucket/key} with the reason.
 */
public record VerifyReport(String bucket, long objectsChecked, long bytesChecked, List<Failure> failures) {
    public record Failure(String url, String key, String reason) {}

    public boolean ok() { return failures.isEmpty(); }

    /** Progress callbacks for a progress bar; all methods are optional. */
    public interface Listener {
        /** Called once before checking, with the number of objects and plaintext bytes to check. */
        default void started(long objects, long bytes) {}
        /** Called after each object; {@code failure} is null when it passed. */
        default void checked(String key, long bytes, Failure failure) {}
    }
}
