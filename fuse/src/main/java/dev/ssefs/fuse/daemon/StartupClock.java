package dev.ssefs.fuse.daemon;

/** How long this JVM has been up, for the daemon's startup timings in its log. */
final class StartupClock {
    private StartupClock() {}

    /** Milliseconds since the JVM started, or -1 when the OS does not tell (ProcessHandle, not java.management: cheaper to load). */
    static long uptimeMillis() {
        return ProcessHandle.current().info().startInstant()
                .map(s -> System.currentTimeMillis() - s.toEpochMilli()).orElse(-1L);
    }
}
