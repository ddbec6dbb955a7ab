package dev.ssefs.cli;

/** Entry point of the {@code ssefs} command line. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.err.println("ssefs: not implemented yet");
        System.exit(2);
    }
}
