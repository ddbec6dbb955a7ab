package dev.ssefs.cli;

import java.nio.file.Path;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * The options every command takes, before the command or after it: where the data dir is, where the root
 * secret comes from, who is acting and how answers are printed. Nothing is read or opened here.
 *
 * @param dataDir        absolute data dir
 * @param passphraseFile {@code --passphrase-file}, absolute, or null
 * @param rootKeyFile    {@code --root-key-file}, absolute, or null
 * @param principal      the RAM principal commands run as
 * @param json           machine-readable output
 */
public record GlobalOptions(Path dataDir, Path passphraseFile, Path rootKeyFile, String principal, boolean json) {
    static final String DATA_DIR = "data-dir";
    static final String PASSPHRASE_FILE = "passphrase-file";
    static final String ROOT_KEY_FILE = "root-key-file";
    static final String PRINCIPAL = "principal";
    static final String JSON = "json";
    static final String HELP = "help";

    /** Environment variables the command line reads. */
    public static final String ENV_DATA_DIR = "SSEFS_DATA_DIR";
    public static final String ENV_PASSPHRASE = "SSEFS_PASSPHRASE";
    public static final String ENV_DEBUG = "SSEFS_DEBUG";

    static Options options() {
        Options o = new Options();
        o.addOption(Option.builder().longOpt(DATA_DIR).hasArg().argName("DIR")
                .desc("data dir (default $SSEFS_DATA_DIR, else ~/.local/share/ssefs); created on first use, mode 0700").build());
        o.addOption(Option.builder().longOpt(PASSPHRASE_FILE).hasArg().argName("FILE")
                .desc("read the root passphrase from FILE (first line)").build());
        o.addOption(Option.builder().longOpt(ROOT_KEY_FILE).hasArg().argName("FILE")
                .desc("use a 32-byte root key file (mode 0600) instead of a passphrase").build());
        o.addOption(Option.builder().longOpt(PRINCIPAL).hasArg().argName("NAME")
                .desc("act as this RAM principal (default root, the account owner)").build());
        o.addOption(Option.builder().longOpt(JSON).desc("machine-readable JSON output").build());
        o.addOption(helpOption());
        return o;
    }

    static Option helpOption() {
        return Option.builder("h").longOpt(HELP).desc("show this help").build();
    }

    /**
     * Combines the options given before the command ({@code before}) with those given after it
     * ({@code after}, may be null); the later ones win.
     */
    static GlobalOptions from(CommandLine before, CommandLine after, Map<String, String> env, Path cwd) {
        String dataDir = value(DATA_DIR, before, after);
        Path dir;
        if (dataDir != null) {
            dir = resolve(dataDir, env, cwd);
        } else if (nonEmpty(env.get(ENV_DATA_DIR))) {
            dir = resolve(env.get(ENV_DATA_DIR), env, cwd);
        } else {
            dir = home(env).resolve(".local/share/ssefs");
        }
        String pf = value(PASSPHRASE_FILE, before, after);
        String kf = value(ROOT_KEY_FILE, before, after);
        String principal = value(PRINCIPAL, before, after);
        if (principal != null && principal.isBlank()) {
            throw new UsageException("--principal must not be empty");
        }
        boolean json = before.hasOption(JSON) || (after != null && after.hasOption(JSON));
        return new GlobalOptions(dir.normalize(),
                pf == null ? null : resolve(pf, env, cwd),
                kf == null ? null : resolve(kf, env, cwd),
                principal == null ? "root" : principal, json);
    }

    private static String value(String opt, CommandLine before, CommandLine after) {
        if (after != null && after.hasOption(opt)) {
            return after.getOptionValue(opt);
        }
        return before.getOptionValue(opt);
    }

    /** Resolves a user-given path against the caller's working directory; {@code ~/} means the caller's home. */
    static Path resolve(String path, Map<String, String> env, Path cwd) {
        if (path.isEmpty()) {
            throw new UsageException("empty path");
        }
        if (path.equals("~") || path.startsWith("~/")) {
            return home(env).resolve(path.equals("~") ? "" : path.substring(2)).normalize();
        }
        return cwd.resolve(path).normalize();
    }

    private static Path home(Map<String, String> env) {
        String home = env.get("HOME");
        return Path.of(nonEmpty(home) ? home : System.getProperty("user.home")).toAbsolutePath();
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }
}
