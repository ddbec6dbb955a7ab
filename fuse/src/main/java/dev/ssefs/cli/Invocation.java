package dev.ssefs.cli;

import dev.ssefs.keys.Kms;
import dev.ssefs.objectcore.Oss;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything one command run sees: its streams, the caller's environment and working directory, the
 * global options and the stores. Built per call, so a daemon can serve many callers at once.
 */
final class Invocation {
    private final InputStream stdin;
    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final Path cwd;
    private final GlobalOptions globals;
    private final StoreProvider stores;
    private final Output output;

    Invocation(InputStream stdin, PrintStream out, PrintStream err, Map<String, String> env, Path cwd,
               GlobalOptions globals, StoreProvider stores) {
        this.stdin = stdin;
        this.out = out;
        this.err = err;
        this.env = env;
        this.cwd = cwd;
        this.globals = globals;
        this.stores = stores;
        this.output = new Output(out, globals.json());
    }

    InputStream stdin() {
        return stdin;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    /** The caller's working directory (for a daemon, not its own). */
    Path cwd() {
        return cwd;
    }

    Map<String, String> env() {
        return env;
    }

    GlobalOptions globals() {
        return globals;
    }

    Output output() {
        return output;
    }

    String principal() {
        return globals.principal();
    }

    StoreProvider stores() {
        return stores;
    }

    /** The KMS as the acting principal sees it. Opens the key store on first use. */
    Kms kms() {
        return stores.keys().as(globals.principal());
    }

    /** The object store as the acting principal sees it. Opens the stores on first use. */
    Oss oss() {
        return stores.objects().as(globals.principal());
    }

    /** A user-given local path, resolved against the caller's working directory. */
    Path path(String userPath) {
        return GlobalOptions.resolve(userPath, env, cwd);
    }

    /** Reads a local file named by the user ({@code -} is stdin), with a clear message when it cannot. */
    byte[] readLocal(String userPath, long maxBytes) {
        if (userPath.equals("-")) {
            try {
                byte[] b = stdin.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                if (b.length > maxBytes) {
                    throw new CliFailure("standard input is larger than " + maxBytes + " bytes");
                }
                return b;
            } catch (IOException e) {
                throw new CliFailure("cannot read standard input: " + e.getMessage(), e);
            }
        }
        Path p = path(userPath);
        try {
            if (Files.isDirectory(p)) {
                throw new CliFailure("cannot read " + p + ": it is a directory");
            }
            long size = Files.size(p);
            if (size > maxBytes) {
                throw new CliFailure("cannot read " + p + ": larger than " + maxBytes + " bytes");
            }
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new CliFailure("cannot read " + p + ": no such file");
        } catch (IOException e) {
            throw new CliFailure("cannot read " + p + ": " + describe(e), e);
        }
    }

    static String describe(IOException e) {
        String m = e.getMessage();
        String kind = e.getClass().getSimpleName().replace("Exception", "");
        return m == null ? kind : kind + " (" + m + ")";
    }
}
