package dev.ssefs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs real tools (cp, dd, tar, rsync, getfattr...) for the real-mount tests. */
public final class Sh {
    record Result(int exit, String out, String err) {}

    private Sh() {}

    static Result run(Path cwd, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (cwd != null) pb.directory(cwd.toFile());
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
    static String ok(Path cwd, String script) throws IOException, InterruptedException {
        Result r = run(cwd, "bash", "-c", script);
        assertEquals(0, r.exit(), () -> "failed: " + script + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        return r.out();
    }

    static boolean fuseUsable() {
        return Files.exists(Path.of("/dev/fuse")) && FuseMount.libfuseInstalled();
    }

    /** Lines of /proc/mounts naming {@code needle}. */
    static List<String> mountsContaining(String needle) throws IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream().filter(l -> l.contains(needle)).toList();
    }

    /** Deletes a test's work tree, unless something is still mounted under it (then it is left for inspection). */
    public static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root) || !mountsContaining(root.toString()).isEmpty()) return;
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static void lazyUnmount(Path mountPoint) {
        try {
            new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(20, TimeUnit.SECONDS);
        } catch (IOException e) {
            // nothing mounted or fusermount missing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
