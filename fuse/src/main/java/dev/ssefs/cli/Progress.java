package dev.ssefs.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr (me.tongfei:progressbar), or nothing. It is drawn only when stderr is a terminal,
 * or when {@code --progress} asks for it, so scripts and logs never see carriage-return noise.
 */
final class Progress implements AutoCloseable {
    /** Set by a daemon's client to say that the caller's stderr is a terminal. */
    static final String ENV_STDERR_TTY = "SSEFS_STDERR_TTY";

    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress start(Invocation inv, Command.Args a, String task, long max, boolean bytes) {
        boolean show = a.has("progress") || (!a.has("no-progress") && stderrIsTerminal(inv));
        if (!show) {
            return new Progress(null);
        }
        int width = 100;
        String cols = inv.env().get("COLUMNS");
        if (cols != null && cols.matches("\\d{2,4}")) {
            width = Integer.parseInt(cols);
        }
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(inv.err(), width));
        if (bytes) {
            b.setUnit(" MiB", 1 << 20).showSpeed();
        }
        return new Progress(b.build());
    }

    /** True when this process's stderr is a terminal, or the daemon's client says the caller's is. */
    static boolean stderrIsTerminal(Invocation inv) {
        if (inv.err() != System.err) {
            return "1".equals(inv.env().get(ENV_STDERR_TTY));
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }

    void step(long n) {
        if (bar != null) {
            bar.stepBy(n);
        }
    }

    void message(String text) {
        if (bar != null) {
            bar.setExtraMessage(text);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }

}
