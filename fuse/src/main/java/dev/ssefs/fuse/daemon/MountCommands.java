package dev.ssefs.fuse.daemon;

import dev.ssefs.fuse.FuseMount;
import dev.ssefs.fuse.MountOptions;
import dev.ssefs.fuse.MountTable;
import dev.ssefs.objectcore.ObjectStore;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code ssefs mount} and {@code ssefs umount}. Inside the daemon they act directly; from a plain command line,
 * {@code mount -f} makes this process the daemon, and {@code mount} without {@code -f} starts the daemon as a
 * detached child JVM (setsid, output to {@code DATA_DIR/ssefs.log}) and returns once the mount is ready.
 * (When a daemon already serves the data dir, the command line was forwarded to it before getting here.)
 */
public final class MountCommands {
    /** Set in the environment of a daemon started by {@code ssefs mount}. */
    public static final String ENV_DAEMON_CHILD = "SSEFS_DAEMON_CHILD";
    /** JVM options of a started daemon (default: a lean heap; the mount is long-lived so C2 stays on). */
    public static final String ENV_DAEMON_JAVA_OPTS = "SSEFS_DAEMON_JAVA_OPTS";
    /** The class data sharing archive the launcher (mount-scripts/ssefs) made for this jar and JDK, if any. */
    public static final String ENV_CDS_ARCHIVE = "SSEFS_CDS_ARCHIVE";
    public static final String LOG_NAME = "ssefs.log";
    /**
     * A lean heap (160 MiB, measured: the daemon's peak RSS with 256 MiB was 254-268 MiB in mount-scripts/bench)
     * that stays under 256 MiB resident while GiBs are copied (staging is bounded per open file and
     * sequential writes stream); full JIT for a long-lived process; UTF-8 file names whatever the locale
     * (JDK 17 takes the platform charset from LANG, and jnr decodes FUSE paths with it). Where the JDK has it,
     * the native heap is also trimmed every 5 s ({@link #TRIM_NATIVE_HEAP}): glibc keeps what the JIT and libfuse freed
     * (measured: 62 MiB of 276 MiB resident after an untar/md5sum/ls/rm round, released by one trim).
     */
    public static final String DEFAULT_DAEMON_JAVA_OPTS = "-Xms64m -Xmx160m -XX:+UseSerialGC -XX:ReservedCodeCacheSize=64m"
            + " -Dfile.encoding=UTF-8 -Dsun.jnu.encoding=UTF-8";

    /** Added to the daemon's options where the JDK has it (the launcher does the same for a foreground mount). */
    static final String TRIM_NATIVE_HEAP = "-XX:TrimNativeHeapInterval=5000";

    /** -XX:TrimNativeHeapInterval exists from JDK 17.0.9, 21.0.1 and 22; an older JVM would refuse to start. */
    static boolean trimsNativeHeap(Runtime.Version v) {
        return v.feature() >= 22 || (v.feature() == 21 && v.update() >= 1) || (v.feature() == 17 && v.update() >= 9);
    }

    /** What the command line knows when it runs mount or umount. */
    public record Context(Path dataDir, String principal, Path cwd, Map<String, String> env, PrintStream out,
                          PrintStream err, Supplier<ObjectStore> store, AutoCloseable stores, CommandRunner runner,
                          String[] argv) {}

    /** A failure with a message for the user (exit status 1). */
    public static final class Failure extends Exception {
        public Failure(String message) { super(message, null, false, false); }
    }

    private MountCommands() {}

    /** {@code oss://bucket} (a trailing slash allowed) to the bucket name. */
    public static String bucketOf(String url) throws Failure {
        if (url == null || !url.startsWith("oss://")) throw new Failure("expected oss://BUCKET, got '" + url + "'");
        String b = url.substring("oss://".length());
        if (b.endsWith("/")) b = b.substring(0, b.length() - 1);
        if (b.isEmpty() || b.contains("/")) throw new Failure("mount takes a whole bucket: oss://BUCKET, got '" + url + "'");
        return b;
    }

    public static int mount(String url, String mountPointArg, List<String> optionLists, boolean foreground, Context ctx) throws Exception {
        String bucket = bucketOf(url);
        MountOptions options;
        try {
            options = MountOptions.parse(optionLists);
        } catch (IllegalArgumentException e) {
            throw new Failure(e.getMessage());
        }
        checkGlobalsInOptions(options, ctx);
        Path mnt = MountTable.canonical(ctx.cwd().resolve(mountPointArg));
        String principal = options.principal != null ? options.principal : ctx.principal();

        Daemon running = Daemon.current();
        if (running != null) { // forwarded to the daemon
            running.mount(principal, bucket, mnt, options);
            return 0;
        }
        FuseMount.checkFuseAvailable();
        FuseMount.checkMountPoint(mnt);
        if (foreground) return runDaemon(bucket, mnt, options, principal, ctx);
        return spawnDaemon(mnt, ctx);
    }

    private static void checkGlobalsInOptions(MountOptions o, Context ctx) throws Failure {
        if (o.dataDir != null && !ctx.cwd().resolve(o.dataDir).normalize().equals(ctx.dataDir())) {
            throw new Failure("-o data_dir=" + o.dataDir + " differs from the data dir " + ctx.dataDir() + " (use --data-dir)");
        }
    }

    /** This process becomes the data dir's daemon and serves until its last mount is gone. */
    private static int runDaemon(String bucket, Path mnt, MountOptions options, String principal, Context ctx) throws Exception {
        DaemonLog.configure(System.err, options.debug);
        startFuseWarmUp();
        Daemon d = Daemon.start(ctx.dataDir(), ctx.store(), ctx.stores(), ctx.runner());
        try {
            d.mount(principal, bucket, mnt, options);
        } catch (Exception | Error e) {
            d.close();
            throw e;
        }
        d.runUntilIdle();
        return 0;
    }

    /**
     * Loads jnr-fuse and libfuse on another thread (another core) while this one unlocks the key store (Argon2id)
     * and opens meta.db: the two are independent, and each takes about half a second in a fresh JVM. A failure here
     * is only logged; the real mount reports it.
     */
    private static void startFuseWarmUp() {
        Thread t = new Thread(() -> {
            try {
                dev.ssefs.fuse.SsefsFuse.warmUp();
            } catch (LinkageError | RuntimeException e) {
                java.util.logging.Logger.getLogger("ssefs.daemon").fine("FUSE warm-up failed: " + e);
            }
        }, "ssefs-fuse-warmup");
        t.setDaemon(true);
        t.start();
    }

    /** Starts the daemon as a detached child and waits until the mount is ready or the child has failed. */
    private static int spawnDaemon(Path mnt, Context ctx) throws Exception {
        if (!Files.isDirectory(ctx.dataDir())) {
            throw new Failure("data dir " + ctx.dataDir() + " does not exist (create a bucket first: ssefs mb oss://BUCKET)");
        }
        Path log = ctx.dataDir().resolve(LOG_NAME);
        if (!Files.exists(log)) {
            Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-------"));
        long logStart = Files.size(log);

        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) cmd.add("/usr/bin/setsid");
        cmd.add(javaBinary());
        String opts = ctx.env().getOrDefault(ENV_DAEMON_JAVA_OPTS, DEFAULT_DAEMON_JAVA_OPTS);
        for (String o : opts.trim().split("\\s+")) if (!o.isEmpty()) cmd.add(o);
        String archive = ctx.env().get(ENV_CDS_ARCHIVE);
        if (archive != null && !archive.isEmpty() && Runtime.version().feature() < 22 && !opts.contains("SharedArchiveFile") && !opts.contains("ArchiveClassesAtExit")
                && !opts.contains("AutoCreateSharedArchive")
                && Files.isRegularFile(Path.of(archive))) {
            cmd.add("-Xlog:cds*=off"); // the JVM ignores an archive that does not fit: quietly
            cmd.add("-XX:SharedArchiveFile=" + archive); // the launcher's
        }
        if (trimsNativeHeap(Runtime.version()) && !opts.contains("TrimNativeHeapInterval")) cmd.add(TRIM_NATIVE_HEAP);
        if (Runtime.version().feature() >= 22) cmd.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 23) cmd.add("--sun-misc-unsafe-memory-access=allow"); // jffi uses Unsafe
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.ssefs.cli.Main");
        cmd.addAll(Arrays.asList(ctx.argv()));
        cmd.add("-f");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(ctx.env());
        pb.environment().put(ENV_DAEMON_CHILD, "1");
        // glibc gives every thread that mallocs its own 64 MiB arena; the FUSE and fsync threads would add them up
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        pb.directory(ctx.cwd().toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process child = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (MountTable.isSsefsMount(mnt) && ControlClient.daemonRunning(ctx.dataDir())) return 0;
            if (!child.isAlive()) {
                if (MountTable.isSsefsMount(mnt)) return 0;
                reportChildFailure(log, logStart, child.exitValue(), ctx.err());
                return 1;
            }
            Thread.sleep(50);
        }
        child.destroy();
        ctx.err().println("ssefs: mount: the daemon did not get ready within 120 s; see " + log);
        return 1;
    }

    private static void reportChildFailure(Path log, long from, int exit, PrintStream err) throws IOException {
        String tail;
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            f.seek(from);
            byte[] b = new byte[(int) Math.min(64 * 1024, f.length() - from)];
            f.readFully(b);
            tail = new String(b, StandardCharsets.UTF_8);
        }
        List<String> messages = tail.lines().filter(l -> l.startsWith("ssefs:") || l.startsWith("fuse:")).toList();
        if (messages.isEmpty()) {
            err.println("ssefs: mount: the daemon exited with status " + exit + "; see " + log);
            if (!tail.isBlank()) err.print(tail);
        } else {
            messages.forEach(err::println);
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    public static int umount(String mountPointArg, boolean lazy, Context ctx) throws Exception {
        Path mnt = MountTable.canonical(ctx.cwd().resolve(mountPointArg));
        Daemon running = Daemon.current();
        if (running != null) {
            running.unmount(mnt, lazy);
            return 0;
        }
        // no daemon answers for this data dir: a mount left by a daemon that died (or of another data dir)
        MountTable.Entry e = MountTable.at(mnt);
        if (e == null || !e.fsType().equals("fuse.ssefs")) throw new Failure(mnt + " is not an ssefs mount");
        Process p = new ProcessBuilder(lazy ? List.of("fusermount", "-u", "-z", mnt.toString()) : List.of("fusermount", "-u", mnt.toString()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) throw new Failure("cannot unmount " + mnt + ": " + out.replace("fusermount: ", ""));
        return 0;
    }
}
