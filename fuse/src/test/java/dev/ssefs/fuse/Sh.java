package dev.ssefs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs real tools (cp, dd, tar, rsync, getfattr...) and the launcher for the real-mount tests (public for the
 * reliability suite in {@code dev.ssefs.reliability}).
 */
public final class Sh {
    public record Result(int exit, String out, String err) {
        @Override public String toString() { return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    private Sh() {}

    public static Result run(Path cwd, String... cmd) throws IOException, InterruptedException {
        return run(cwd, Map.of(), cmd);
    }

    /** Runs {@code cmd} with {@code env} added to (a null value: removed from) this process's environment. */
    public static Result run(Path cwd, Map<String, String> env, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (cwd != null) pb.directory(cwd.toFile());
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        Path out = Files.createTempFile("sh-out", ".txt");
        Path err = Files.createTempFile("sh-err", ".txt");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(out), StandardCharsets.UTF_8),
                    new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs {@code bash -c script}, asserting success; returns stdout. */
    public static String ok(Path cwd, String script) throws IOException, InterruptedException {
        Result r = run(cwd, "bash", "-c", script);
        assertEquals(0, r.exit(), () -> "failed: " + script + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        return r.out();
    }

    public static boolean fuseUsable() {
        return Files.exists(Path.of("/dev/fuse")) && FuseMount.libfuseInstalled();
    }

    /** Lines of /proc/mounts naming {@code needle}. */
    public static List<String> mountsContaining(String needle) throws IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream().filter(l -> l.contains(needle)).toList();
    }

    /** Deletes a test's work tree, unless something is still mounted under it (then it is left for inspection). */
    public static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root) || !mountsContaining(root.toString()).isEmpty()) return;
        awaitDaemonsExit(root);
        for (int attempt = 1; ; attempt++) {
            try (var s = Files.walk(root)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                return;
            } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.NoSuchFileException e) {
                // a process that is just exiting may still add or remove a file (log, journal)
                if (attempt == 5) throw e;
                sleep(200);
            } catch (java.io.UncheckedIOException e) { // the same, met by the walk itself
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt == 5) throw e;
                sleep(200);
            }
        }
    }

    /** A daemon leaves after its last mount is gone, writing as it closes its stores: wait for it (at most 30 s). */
    private static void awaitDaemonsExit(Path root) throws IOException {
        List<Path> pidFiles = null;
        for (int attempt = 1; pidFiles == null; attempt++) {
            try (var s = Files.walk(root)) {
                pidFiles = s.filter(p -> p.getFileName().toString().equals("ssefs.pid")).toList();
            } catch (java.io.UncheckedIOException e) {
                // the walk met a file an exiting daemon just removed (meta.db.journal): walk again
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt == 5) throw e;
                sleep(200);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Path f : pidFiles) {
            long pid;
            try {
                pid = Long.parseLong(Files.readString(f).trim());
            } catch (IOException | NumberFormatException gone) {
                continue;
            }
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                sleep(100);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void lazyUnmount(Path mountPoint) {
        try {
            new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(20, TimeUnit.SECONDS);
        } catch (IOException e) {
            // nothing mounted or fusermount missing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The source tree ({@code -Dssefs.root}, set by failsafe). */
    public static Path root() {
        return Path.of(System.getProperty("ssefs.root", "..")).toAbsolutePath().normalize();
    }

    /** {@code mount-scripts/ssefs}, the launcher users run. */
    public static Path launcher() {
        return root().resolve("mount-scripts/ssefs");
    }
}
