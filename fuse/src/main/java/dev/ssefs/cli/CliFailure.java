package dev.ssefs.cli;

/**
 * A failure that is neither a usage error nor a KMS/OSS error, with a message written for the user
 * (an unreadable local file, a store that cannot be opened): printed as {@code ssefs: <message>}, exit 1.
 */
final class CliFailure extends RuntimeException {
    CliFailure(String message) {
        super(message);
    }

    CliFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
