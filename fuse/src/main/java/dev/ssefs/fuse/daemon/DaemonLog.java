package dev.ssefs.fuse.daemon;

import java.io.PrintStream;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The daemon's log: one line per event on stderr, which is the terminal with {@code -f} and the data dir's
 * {@code ssefs.log} (mode 0600) for a daemonized mount. Lines name objects and codes, never data, keys or
 * passphrases.
 */
public final class DaemonLog {
    private DaemonLog() {}

    public static void configure(PrintStream to, boolean debug) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) root.removeHandler(h);
        Handler h = new StreamHandler(to, new Formatter() {
            @Override
            public String format(LogRecord r) {
                String line = Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel().getName() + " " + r.getLoggerName()
                        + ": " + formatMessage(r) + System.lineSeparator();
                if (r.getThrown() != null && debug) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    line += sw;
                }
                return line;
            }
        }) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        Level level = debug ? Level.FINE : Level.INFO;
        h.setLevel(level);
        root.addHandler(h);
        root.setLevel(Level.INFO);
        Logger.getLogger("ssefs").setLevel(level);
        Logger.getLogger("ssefs.fuse").setLevel(level);
        Logger.getLogger("ssefs.daemon").setLevel(level);
    }
}
