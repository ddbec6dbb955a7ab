package dev.ssefs.fuse.daemon;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/** Runs one {@code ssefs} command line in this process with the daemon's open stores (the cli's {@code Main.run}). */
@FunctionalInterface
public interface CommandRunner {
    int run(String[] args, Path cwd, InputStream stdin, PrintStream out, PrintStream err, Map<String, String> env) throws Exception;
}
