package dev.ssefs.reliability;

import dev.ssefs.fuse.MountTable;
import dev.ssefs.fuse.Sh;
import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.keys.RootSecret;
import dev.ssefs.objectcore.EmbeddedObjectStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One data dir driven the way users drive it: {@code mount-scripts/ssefs} processes (through {@link Sh}), a mount
 * whose daemon is a launcher process of its own (so that tests can signal it), and, while nothing is mounted, the
 * stores opened in this JVM for checks that need the objectcore API. Every mount is undone by {@link #close()}.
 */
final class Store implements AutoCloseable {
    final Path work;
    final Path data;
    final Path keyFile;
    final String passphrase;
    final List<Path> mountPoints = new ArrayList<>();
    final List<Process> daemons = new ArrayList<>();
    /**
     * SSEFS_INLINE_LIMIT for every command, daemon and {@link #open}: "0" (every object a blob file) unless a test sets
     * null (the default: small objects in meta.db). Most of these tests look at or tamper with blob files.
     */
    String inlineLimit = "0";
    /** Added to the environment of {@link #mountForeground} daemons (e.g. SSEFS_JAVA_OPTS). */
    final Map<String, String> daemonEnv = new HashMap<>();

    /** A store sealed with a root key file (no Argon2 per command: the many launcher runs stay cheap). */
    static Store withRootKey(String name) throws IOException {
        Path work = Files.createTempDirectory("ssefs-rel-" + name);
        Path kf = work.resolve("root.key");
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        Files.write(kf, k);
        Files.setPosixFilePermissions(kf, PosixFilePermissions.fromString("rw-------"));
        return new Store(work, kf, null);
    }

    /** A store sealed with a passphrase given in SSEFS_PASSPHRASE. */
    static Store withPassphrase(String name, String passphrase) throws IOException {
        return new Store(Files.createTempDirectory("ssefs-rel-" + name), null, passphrase);
    }

    private Store(Path work, Path keyFile, String passphrase) {
        this(work, work.resolve("data"), keyFile, passphrase);
    }

    private Store(Path work, Path data, Path keyFile, String passphrase) {
        this.work = work;
        this.data = data;
        this.keyFile = keyFile;
        this.passphrase = passphrase;
    }

    /** The same secret and work dir, another data dir (e.g. a tmpfs mounted by the test). */
    Store withDataDir(Path dataDir) {
        Store s = new Store(work, dataDir, keyFile, passphrase);
        s.inlineLimit = inlineLimit;
        return s;
    }

    List<String> globals() {
        List<String> g = new ArrayList<>(List.of("--data-dir", data.toString()));
        if (keyFile != null) g.addAll(List.of("--root-key-file", keyFile.toString()));
        return g;
    }

    Map<String, String> env() {
        Map<String, String> e = new HashMap<>();
        e.put("SSEFS_DATA_DIR", null);
        e.put("SSEFS_DEBUG", null);
        e.put("SSEFS_PASSPHRASE", passphrase);
        e.put("SSEFS_INLINE_LIMIT", inlineLimit);
        e.put("HOME", work.toString());
        e.put("LANG", "C.UTF-8");
        return e;
    }

    /** {@code ssefs GLOBALS args...} through the launcher. */
    Sh.Result run(String... args) throws IOException, InterruptedException {
        return runWith(Map.of(), args);
    }

    Sh.Result runWith(Map<String, String> extraEnv, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Sh.launcher().toString());
        cmd.addAll(globals());
        cmd.addAll(Arrays.asList(args));
        Map<String, String> env = env();
        env.putAll(extraEnv);
        return Sh.run(work, env, cmd.toArray(new String[0]));
    }

    Sh.Result ok(String... args) throws IOException, InterruptedException {
        Sh.Result r = run(args);
        assertEquals(0, r.exit(), () -> "ssefs " + String.join(" ", args) + "\n" + r);
        return r;
    }

    Path mountPoint(String name) throws IOException {
        Path m = Files.createDirectories(work.resolve(name));
        if (!mountPoints.contains(m)) mountPoints.add(m);
        return m;
    }

    /** {@code ssefs mount} (the daemon detaches); returns once mounted. */
    void mount(String bucket, Path mnt, String... opts) throws IOException, InterruptedException {
        List<String> a = new ArrayList<>(List.of("mount", "oss://" + bucket, mnt.toString()));
        for (String o : opts) a.addAll(List.of("-o", o));
        ok(a.toArray(new String[0]));
        assertTrue(MountTable.isSsefsMount(mnt), "mounted when the command returns");
    }

    /**
     * {@code ssefs mount -f} as a child process: the returned process IS the daemon JVM (the launcher execs java),
     * so a test can SIGKILL or SIGTERM it. Its output goes to {@code work/daemon-N.log}.
     */
    Process mountForeground(String bucket, Path mnt, String... opts) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Sh.launcher().toString());
        cmd.addAll(globals());
        cmd.addAll(List.of("mount", "oss://" + bucket, mnt.toString(), "-f"));
        for (String o : opts) cmd.addAll(List.of("-o", o));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        Map<String, String> env = env();
        env.putAll(daemonEnv);
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        Path log = work.resolve("daemon-" + daemons.size() + ".log");
        pb.redirectOutput(log.toFile()).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        daemons.add(p);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(MountTable.isSsefsMount(mnt) && Files.exists(data.resolve("ssefs.sock")))) {
            if (!p.isAlive()) throw new AssertionError("the daemon exited with " + p.exitValue() + ":\n" + Files.readString(log));
            if (System.nanoTime() > end) throw new AssertionError("no mount within 60 s:\n" + Files.readString(log));
            Thread.sleep(20);
        }
        return p;
    }

    /** Root may mount file systems (tmpfs, bind mounts) and drop caches; other users skip what needs it. */
    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The pid in DATA_DIR/ssefs.pid (the daemon of a detached mount). */
    long daemonPid() throws IOException {
        return Long.parseLong(Files.readString(data.resolve("ssefs.pid")).trim());
    }

    static void kill(long pid, String signal) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
    }

    static boolean awaitExit(long pid, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.currentTimeMillis() > end) return false;
            Thread.sleep(10);
        }
        return true;
    }

    /** Unmounts (umount, then fusermount -u -z) and waits for the daemon to go. */
    void unmount(Path mnt) throws IOException, InterruptedException {
        if (MountTable.isSsefsMount(mnt)) run("umount", mnt.toString());
        Sh.lazyUnmount(mnt);
    }

    /** Opens the stores in this JVM (nothing may be mounted). */
    Opened open() {
        assertFalse(Files.exists(data.resolve("ssefs.sock")) && dev.ssefs.fuse.daemon.ControlClient.daemonRunning(data),
                "a daemon holds the stores");
        RootSecret s = keyFile != null ? RootSecret.fromKeyFile(keyFile) : RootSecret.fromPassphrase(passphrase.toCharArray());
        EmbeddedKms kms;
        try {
            kms = EmbeddedKms.open(data, s, Clock.systemUTC());
        } finally {
            s.destroy();
        }
        try {
            EmbeddedObjectStore.Options o = EmbeddedObjectStore.Options.defaults();
            if (inlineLimit != null) o = o.withInlineLimit(Integer.parseInt(inlineLimit));
            return new Opened(kms, EmbeddedObjectStore.open(data, kms, Clock.systemUTC(), o));
        } catch (RuntimeException e) {
            kms.close();
            throw e;
        }
    }

    record Opened(EmbeddedKms kms, EmbeddedObjectStore objects) implements AutoCloseable {
        @Override
        public void close() {
            try {
                objects.close();
            } finally {
                kms.close();
            }
        }
    }

    /** Every regular file under DATA_DIR/blobs. */
    List<Path> blobFiles() throws IOException {
        Path b = data.resolve("blobs");
        if (!Files.isDirectory(b)) return List.of();
        try (Stream<Path> s = Files.walk(b)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** The blob that appeared since {@code before}. */
    Path newBlob(List<Path> before) throws IOException {
        List<Path> now = new ArrayList<>(blobFiles());
        now.removeAll(before);
        assertEquals(1, now.size(), "exactly one new blob: " + now);
        return now.get(0);
    }

    @Override
    public void close() throws Exception {
        try {
            for (Path m : mountPoints) {
                try {
                    unmount(m);
                } catch (Exception | AssertionError ignored) {
                    Sh.lazyUnmount(m);
                }
            }
        } finally {
            for (Process p : daemons) {
                if (p.isAlive()) {
                    p.destroy();
                    if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
                }
            }
            if (Files.exists(data.resolve("ssefs.pid"))) {
                try {
                    long pid = daemonPid();
                    ProcessHandle.of(pid).filter(h -> h.info().command().orElse("").contains("java")).ifPresent(h -> {
                        h.destroy();
                    });
                    awaitExit(pid, 10_000);
                } catch (IOException | NumberFormatException ignored) {
                    // no daemon
                }
            }
            for (Path m : mountPoints) Sh.lazyUnmount(m);
            assertEquals(List.of(), Sh.mountsContaining(work.toString()).stream().filter(l -> l.contains("fuse")).toList(),
                    "no mount left behind");
            Sh.deleteTree(work); // skipped while anything (e.g. a test's tmpfs) is still mounted under it
        }
    }

    /** Deletes the work tree once the test has unmounted what it mounted under it. */
    void deleteTree() throws IOException {
        Sh.deleteTree(work);
    }
}
