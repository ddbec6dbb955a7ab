package dev.ssefs.cli;

import dev.ssefs.fuse.FuseMount;
import dev.ssefs.fuse.daemon.ControlClient;
import dev.ssefs.fuse.daemon.MountCommands;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.commons.cli.Option;

/**
 * The {@code mount} and {@code umount} commands (implemented in {@code dev.ssefs.fuse.daemon}) and the hook that
 * forwards a command line to the data dir's daemon when one is running.
 */
final class MountCli {
    private MountCli() {}

    /**
     * How much a crash of the mount daemon may lose of what was not fsync'ed (every object stays old or new);
     * the JVM property {@code ssefs.commitIntervalMillis} overrides it.
     */
    static final java.time.Duration GROUP_COMMIT_INTERVAL = java.time.Duration.ofMillis(Long.getLong("ssefs.commitIntervalMillis", 200));

    static void register(Command root) {
        root.add(Command.leaf("mount", "oss://BUCKET MOUNTPOINT",
                "Mount a bucket as a directory; returns once it is mounted (the daemon runs detached unless -f).", 2, 2,
                MountCli::mount,
                Option.builder("o").hasArg().argName("OPTS").desc("mount options, comma-separated: ro, allow_other, "
                        + "default_permissions, uid=N, gid=N, umask=OCT, stage_mem=SIZE, attr_timeout=S, entry_timeout=S, "
                        + "kernel_cache, debug (repeatable)").build(),
                Commands.flag("f", "foreground", "stay in the foreground as the data dir's daemon, logging to stderr"))
                .details("Files are objects, directories prefixes; SSE headers are the xattrs user.x-oss-server-side-encryption, "
                        + "-key-id and user.x-oss-server-side-data-encryption (on the mount root: the bucket's default rule). "
                        + "One daemon per data dir serves every mount and runs other ssefs commands on that data dir."));
        root.add(Command.leaf("umount", "MOUNTPOINT", "Commit open files and unmount.", 1, 1, MountCli::umount,
                Commands.flag("z", "lazy", "detach even when files are in use (fusermount -u -z)")));
    }

    private static MountCommands.Context context(Invocation inv, List<String> childArgs) {
        StoreProvider stores = inv.stores();
        return new MountCommands.Context(inv.globals().dataDir(), inv.principal(), inv.cwd(), inv.env(), inv.out(),
                inv.err(), stores::objects, stores instanceof AutoCloseable c ? c : null,
                (args, cwd, in, out, err, env) -> {
                    int status = Main.runForwarded(args, cwd, in, out, err, env, stores);
                    // the daemon commits in groups: a command's effects are durable when it returns, as without one
                    if (stores instanceof LocalStores ls) ls.syncIfOpen();
                    return status;
                },
                childArgs.toArray(new String[0]));
    }

    static int mount(Invocation inv, Command.Args a) throws Exception {
        List<String> opts = Arrays.asList(a.values("o"));
        GlobalOptions g = inv.globals();
        List<String> child = new ArrayList<>(List.of("--data-dir", g.dataDir().toString(), "--principal", g.principal()));
        if (g.passphraseFile() != null) child.addAll(List.of("--passphrase-file", g.passphraseFile().toString()));
        if (g.rootKeyFile() != null) child.addAll(List.of("--root-key-file", g.rootKeyFile().toString()));
        child.addAll(List.of("mount", a.arg(0), inv.cwd().resolve(a.arg(1)).normalize().toString()));
        for (String o : opts) child.addAll(List.of("-o", o));
        if (a.has("f") && dev.ssefs.fuse.daemon.Daemon.current() == null && inv.stores() instanceof LocalStores ls) {
            // this process becomes the daemon: close() need not be durable, fsync is (see FsCore.fsync)
            ls.useGroupedCommits(GROUP_COMMIT_INTERVAL);
        }
        try {
            return MountCommands.mount(a.arg(0), a.arg(1), opts, a.has("f"), context(inv, child));
        } catch (MountCommands.Failure | FuseMount.MountException e) {
            throw new CliFailure("mount: " + e.getMessage());
        }
    }

    static int umount(Invocation inv, Command.Args a) throws Exception {
        try {
            return MountCommands.umount(a.arg(0), a.has("z"), context(inv, List.of()));
        } catch (MountCommands.Failure | FuseMount.MountException e) {
            throw new CliFailure("umount: " + e.getMessage());
        }
    }

    /**
     * Runs the command line in the data dir's daemon when one answers on its socket; empty when there is none
     * (then it runs in this process). The data dir comes from --data-dir, $SSEFS_DATA_DIR or the default.
     */
    static OptionalInt forwardToDaemon(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        Path cwd = Path.of("").toAbsolutePath();
        String dir = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--data-dir") && i + 1 < args.length) dir = args[i + 1];
            else if (args[i].startsWith("--data-dir=")) dir = args[i].substring("--data-dir=".length());
        }
        if (dir == null) dir = env.get(GlobalOptions.ENV_DATA_DIR);
        Path dataDir;
        try {
            dataDir = dir == null || dir.isEmpty()
                    ? Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".local/share/ssefs")
                    : GlobalOptions.resolve(dir, env, cwd);
        } catch (RuntimeException e) {
            return OptionalInt.empty(); // a usage error: let the normal run report it
        }
        Map<String, String> sent = new java.util.HashMap<>(env);
        sent.put("PWD", cwd.toString());
        return ControlClient.forward(dataDir.normalize(), args, cwd, sent, in, out, err);
    }
}
