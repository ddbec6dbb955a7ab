package dev.ssefs.cli;

import dev.ssefs.keys.KeyStoreException;
import dev.ssefs.keys.KmsException;
import dev.ssefs.objectcore.OssException;
import dev.ssefs.objectcore.format.IntegrityException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * Entry point of the {@code ssefs} command line.
 *
 * <p>{@link #main} is the only place that exits the JVM. Everything else goes through {@link #run}, which a
 * daemon can call for each forwarded command line with the caller's streams, environment and working
 * directory, and with its own {@link StoreProvider} holding the stores it already has open.
 *
 * <p>Exit status: {@value #OK} success, {@value #SERVICE_ERROR} service error (a KMS or OSS error, printed
 * as {@code ssefs: <Code>: <message>}, or another failure with a one-line message), {@value #USAGE} usage error.
 */
public final class Main {
    public static final int OK = 0;
    public static final int SERVICE_ERROR = 1;
    public static final int USAGE = 2;

    private Main() {}

    public static void main(String[] args) {
        // a daemon holding this data dir's stores runs the command line instead (MapDB: one process per file)
        java.util.OptionalInt forwarded = MountCli.forwardToDaemon(args, System.in, System.out, System.err, System.getenv());
        if (forwarded.isPresent()) {
            System.out.flush();
            System.exit(forwarded.getAsInt());
        }
        int status = run(args, System.in, System.out, System.err, System.getenv(), null);
        System.out.flush();
        System.exit(status);
    }

    /**
     * Runs one command line, resolving relative local paths against {@code env.get("PWD")} when that is an
     * absolute path, else against this process's working directory.
     *
     * @param stores the stores to use, or null to open them from the global options (and close them at the end)
     * @return the exit status
     */
    public static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err,
                          Map<String, String> env, StoreProvider stores) {
        String pwd = env.get("PWD");
        Path cwd = pwd != null && Path.of(pwd).isAbsolute() ? Path.of(pwd) : Path.of("").toAbsolutePath();
        return run(args, cwd, stdin, out, err, env, stores);
    }

    /**
     * Runs one command line with an explicit working directory (the caller's, which for a daemon is not its own).
     *
     * @param stores the stores to use, or null to open them from the global options (and close them at the end)
     * @return the exit status
     */
    public static int run(String[] args, Path cwd, InputStream stdin, PrintStream out, PrintStream err,
                          Map<String, String> env, StoreProvider stores) {
        return new Main.Runner(Commands.root(), cwd.toAbsolutePath(), stdin, out, err, env, Clock.systemUTC())
                .run(args, stores, false);
    }

    /**
     * Runs a command line forwarded to a daemon that holds {@code stores} open: the command's own root secret must
     * pass the key store's check before it may use them, as it would have to open them itself.
     */
    public static int runForwarded(String[] args, Path cwd, InputStream stdin, PrintStream out, PrintStream err,
                                   Map<String, String> env, StoreProvider stores) {
        return new Main.Runner(Commands.root(), cwd.toAbsolutePath(), stdin, out, err, env, Clock.systemUTC())
                .run(args, stores, true);
    }

    /** One run of one command line; holds no state beyond the call. */
    static final class Runner {
        private static final String GLOBALS_LINE = "Global options: --data-dir DIR, --passphrase-file FILE | --root-key-file FILE | $"
                + GlobalOptions.ENV_PASSPHRASE + ", --principal NAME, --json (see 'ssefs --help').";

        private final Command root;
        private final Path cwd;
        private final InputStream stdin;
        private final PrintStream out;
        private final PrintStream err;
        private final Map<String, String> env;
        private final Clock clock;

        Runner(Command root, Path cwd, InputStream stdin, PrintStream out, PrintStream err, Map<String, String> env, Clock clock) {
            this.root = root;
            this.cwd = cwd;
            this.stdin = stdin;
            this.out = out;
            this.err = err;
            this.env = env;
            this.clock = clock;
        }

        int run(String[] args, StoreProvider given) {
            return run(args, given, false);
        }

        int run(String[] args, StoreProvider given, boolean checkSecret) {
            LocalStores own = null;
            int status;
            try {
                DefaultParser parser = DefaultParser.builder().setAllowPartialMatching(false).build();
                CommandLine before = parser.parse(GlobalOptions.options(), args, true);
                List<String> rest = new ArrayList<>(before.getArgList());
                if (rest.isEmpty()) {
                    if (before.hasOption(GlobalOptions.HELP)) {
                        printHelp(root, out);
                        return OK;
                    }
                    throw new UsageException("missing command", root);
                }
                if (rest.get(0).equals("help")) {
                    printHelp(find(rest.subList(1, rest.size())), out);
                    return OK;
                }
                Command cmd = root;
                int i = 0;
                while (cmd.isGroup()) {
                    if (before.hasOption(GlobalOptions.HELP) && i == rest.size()) {
                        printHelp(cmd, out);
                        return OK;
                    }
                    if (i == rest.size()) {
                        throw new UsageException(cmd == root ? "missing command" : cmd.path() + ": missing command", cmd);
                    }
                    String word = rest.get(i++);
                    if (word.equals("-h") || word.equals("--help")) {
                        printHelp(cmd, out);
                        return OK;
                    }
                    Command child = cmd.child(word);
                    if (child == null) {
                        String what = word.startsWith("-") ? "unknown option '" + word + "'" : "unknown command '" + word + "'";
                        throw new UsageException(cmd == root ? what : cmd.path() + ": " + what, cmd);
                    }
                    cmd = child;
                }
                if (before.hasOption(GlobalOptions.HELP)) {
                    printHelp(cmd, out);
                    return OK;
                }
                String[] leafArgs = rest.subList(i, rest.size()).toArray(new String[0]);
                CommandLine line;
                try {
                    line = parser.parse(withGlobals(cmd), leafArgs, false);
                } catch (ParseException e) {
                    throw new UsageException(cmd.path() + ": " + e.getMessage(), cmd);
                }
                if (line.hasOption(GlobalOptions.HELP)) {
                    printHelp(cmd, out);
                    return OK;
                }
                cmd.checkArgCount(line.getArgList());
                GlobalOptions globals = GlobalOptions.from(before, line, env, cwd);
                StoreProvider stores = given != null && checkSecret ? new CheckedSecretStores(given, globals, env) : given;
                if (stores == null) {
                    own = new LocalStores(globals, env, clock);
                    stores = own;
                }
                Invocation inv = new Invocation(stdin, out, err, env, cwd, globals, stores);
                status = cmd.action().run(inv, new Command.Args(cmd, line));
            } catch (Exception e) {
                status = report(e);
            } finally {
                if (own != null) {
                    try {
                        own.close();
                    } catch (Exception e) {
                        int s = report(e);
                        status = s; // a failed close may have lost a commit: never report success then
                    }
                }
                out.flush();
                err.flush();
            }
            return status;
        }

        private Command find(List<String> names) {
            Command cmd = root;
            for (String n : names) {
                Command child = cmd.child(n);
                if (child == null) {
                    throw new UsageException("help: unknown command '" + String.join(" ", names) + "'", root);
                }
                cmd = child;
            }
            return cmd;
        }

        /** Prints a failure on stderr and returns its exit status. */
        int report(Exception e) {
            if (e instanceof UsageException u) {
                err.println("ssefs: " + u.getMessage());
                Command c = u.command() == null ? root : u.command();
                err.println("Try '" + c.fullName() + " --help'.");
                return USAGE;
            }
            if (e instanceof ParseException p) {
                err.println("ssefs: " + p.getMessage());
                err.println("Try 'ssefs --help'.");
                return USAGE;
            }
            if (e instanceof KmsException k) {
                err.println("ssefs: " + k.code() + ": " + k.getMessage());
                debugTrace(e);
                return SERVICE_ERROR;
            }
            if (e instanceof OssException o) {
                err.println("ssefs: " + o.code() + ": " + o.getMessage());
                debugTrace(e);
                return SERVICE_ERROR;
            }
            if (e instanceof IntegrityException) {
                // names the object and what failed; no plaintext was returned from the failed check
                err.println("ssefs: " + e.getMessage());
                debugTrace(e);
                return SERVICE_ERROR;
            }
            if (e instanceof IOException io) {
                err.println("ssefs: I/O error: " + Invocation.describe(io));
                debugTrace(e);
                return SERVICE_ERROR;
            }
            if (e instanceof CliFailure || e instanceof KeyStoreException) {
                err.println("ssefs: " + e.getMessage());
                debugTrace(e);
                return SERVICE_ERROR;
            }
            String m = e.getMessage();
            err.println("ssefs: unexpected error: " + e.getClass().getSimpleName() + (m == null ? "" : ": " + m)
                    + (debug() ? "" : " (set " + GlobalOptions.ENV_DEBUG + "=1 for a stack trace)"));
            debugTrace(e);
            return SERVICE_ERROR;
        }

        private boolean debug() {
            return "1".equals(env.get(GlobalOptions.ENV_DEBUG));
        }

        private void debugTrace(Exception e) {
            if (debug()) {
                e.printStackTrace(err);
            }
        }

        static Options withGlobals(Command cmd) {
            Options o = new Options();
            for (Option opt : cmd.options().getOptions()) {
                o.addOption(opt);
            }
            for (Option opt : GlobalOptions.options().getOptions()) {
                o.addOption(opt);
            }
            return o;
        }

        static void printHelp(Command cmd, PrintStream to) {
            PrintWriter pw = new PrintWriter(to);
            HelpFormatter hf = new HelpFormatter();
            hf.setOptionComparator(null);
            int width = 100;
            if (cmd.isGroup()) {
                String prefix = cmd.fullName().equals("ssefs") ? "ssefs [global options]" : cmd.fullName();
                pw.println("Usage: " + prefix + " COMMAND [options] [arguments]");
                pw.println();
                pw.println(cmd.summary());
                if (!cmd.details().isEmpty()) {
                    pw.println();
                    pw.println(cmd.details());
                }
                pw.println();
                pw.println("Commands:");
                int w = cmd.children().stream().mapToInt(c -> c.name().length()).max().orElse(0);
                for (Command c : cmd.children()) {
                    pw.println("  " + c.name() + " ".repeat(w - c.name().length() + 3) + c.summary());
                }
                pw.println();
                if (cmd.fullName().equals("ssefs")) {
                    pw.println("Global options (before or after the command):");
                    hf.printOptions(pw, width, GlobalOptions.options(), 2, 3);
                    pw.println();
                    pw.println("The root secret comes from exactly one of --passphrase-file, $"
                            + GlobalOptions.ENV_PASSPHRASE + " or --root-key-file.");
                    pw.println("Exit status: 0 success, 1 service error (the KMS/OSS error code is printed), 2 usage error.");
                } else {
                    pw.println(GLOBALS_LINE);
                }
                pw.println("Run '" + cmd.fullName() + " COMMAND --help' for the options of a command.");
            } else {
                pw.println("Usage: " + cmd.fullName() + (cmd.options().getOptions().isEmpty() ? "" : " [options]")
                        + (cmd.argsSyntax().isEmpty() ? "" : " " + cmd.argsSyntax()));
                pw.println();
                pw.println(cmd.summary());
                if (!cmd.details().isEmpty()) {
                    pw.println();
                    pw.println(cmd.details());
                }
                if (!cmd.options().getOptions().isEmpty()) {
                    pw.println();
                    pw.println("Options:");
                    hf.printOptions(pw, width, cmd.options(), 2, 3);
                }
                pw.println();
                pw.println(GLOBALS_LINE);
            }
            pw.flush();
        }
    }
}
