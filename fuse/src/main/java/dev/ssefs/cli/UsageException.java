package dev.ssefs.cli;

/** Bad command-line usage: printed as {@code ssefs: <message>} with a hint, exit status 2. */
final class UsageException extends RuntimeException {
    private final transient Command command;

    UsageException(String message) {
        this(message, null);
    }

    UsageException(String message, Command command) {
        super(message);
        this.command = command;
    }

    /** The command whose help the user should read, or null for the top level. */
    Command command() {
        return command;
    }
}
