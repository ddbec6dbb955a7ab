package dev.ssefs.cli;

import dev.ssefs.fuse.FsCore;
import dev.ssefs.fuse.MountOptions;
import dev.ssefs.fuse.SsefsFuse;
import dev.ssefs.fuse.Volume;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The training run behind the launcher's class-data-sharing archive ({@code mount-scripts/ssefs}): run under
 * {@code -XX:ArchiveClassesAtExit}, it loads what a mount client and a mount daemon load, so that the archive holds
 * them parsed and verified. It works in a throwaway data dir and mounts nothing: the commands a mount runs, the
 * stores and the file system core a daemon opens, and libfuse's bindings without a mount. Exit status 0 when every
 * step ran; a failed step is printed and gives status 1 (the launcher then keeps no archive).
 */
public final class CdsTraining {
    private static final String BUCKET = "cds-training";
    private static final PrintStream NOWHERE = new PrintStream(OutputStream.nullOutputStream());

    private CdsTraining() {}

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("ssefs-cds-");
        int failed = 0;
        try {
            Path data = dir.resolve("data");
            Map<String, String> env = Map.of(GlobalOptions.ENV_PASSPHRASE, "cds-training", GlobalOptions.ENV_DATA_DIR, data.toString(),
                    "PWD", dir.toString(), "HOME", dir.toString());
            Path local = Files.writeString(dir.resolve("local.txt"), "class data sharing training\n");
            failed += step("forward", () -> MountCli.forwardToDaemon(new String[] {"ls"}, InputStream.nullInputStream(), NOWHERE, NOWHERE, env));
            for (String[] cmd : List.of(new String[] {"mb", "oss://" + BUCKET}, new String[] {"cp", local.toString(), "oss://" + BUCKET + "/a/b.txt"},
                    new String[] {"ls", "oss://" + BUCKET}, new String[] {"stat", "oss://" + BUCKET + "/a/b.txt"},
                    new String[] {"cat", "oss://" + BUCKET + "/a/b.txt"})) {
                failed += step(cmd[0], () -> check(Main.run(cmd, dir, InputStream.nullInputStream(), NOWHERE, NOWHERE, env, null)));
            }
            // a mount command line up to the mount point check (nothing is mounted: the directory does not exist)
            step("mount", () -> Main.run(new String[] {"mount", "oss://" + BUCKET, dir.resolve("absent").toString(), "-o", "ro"}, dir,
                    InputStream.nullInputStream(), NOWHERE, NOWHERE, env, null));
            failed += step("daemon stores", () -> daemonSide(data, env));
            failed += step("classes", CdsTraining::loadOwnClasses);
        } finally {
            deleteTree(dir);
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    /** What a mount daemon does before and after libfuse mounts: stores with grouped commits, the core, the bindings. */
    private static void daemonSide(Path data, Map<String, String> env) throws Exception {
        try (LocalStores stores = new LocalStores(new GlobalOptions(data, null, null, "root", false), env, Clock.systemUTC())) {
            stores.useGroupedCommits(MountCli.GROUP_COMMIT_INTERVAL);
            MountOptions options = MountOptions.parse(List.of("default_permissions"));
            Path spool = Files.createDirectories(data.resolve("spool"));
            FsCore core = new FsCore(new Volume(stores.objects().as("root"), BUCKET, options, spool, 0, 0));
            core.getattr("/a/b.txt");
            core.readdir("/a", name -> { });
            long fh = core.create("/c.txt", 0644, 01 | 0100, 0, 0); // O_WRONLY | O_CREAT
            core.write(fh, 0, ByteBuffer.allocateDirect(4096));
            core.flush(fh);
            core.release(fh);
            fh = core.open("/c.txt", 0);
            core.read(fh, 0, ByteBuffer.allocateDirect(4096));
            core.release(fh);
            core.listxattr("/c.txt");
            core.unlink("/c.txt");
            core.commitAll();
            SsefsFuse.warmUp();
            new SsefsFuse(core);
        }
    }

    /** Every class of ours, loaded and not initialised: the rarely used commands too. */
    private static void loadOwnClasses() throws Exception {
        Path jar = Path.of(CdsTraining.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isRegularFile(jar)) return; // run from classes/ (tests): nothing to enumerate
        List<String> names = new ArrayList<>();
        try (JarFile f = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
                String n = e.nextElement().getName();
                if (n.startsWith("dev/ssefs/") && n.endsWith(".class")) names.add(n.substring(0, n.length() - 6).replace('/', '.'));
            }
        }
        ClassLoader loader = CdsTraining.class.getClassLoader();
        for (String n : names) {
            try {
                Class.forName(n, false, loader);
            } catch (LinkageError | ClassNotFoundException e) {
                // a class of an optional part (bench-only, tests) is not needed at run time
            }
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static int step(String name, Step s) {
        try {
            s.run();
            return 0;
        } catch (Exception | LinkageError e) {
            System.err.println("ssefs: CDS training step '" + name + "' failed: " + e);
            return 1;
        }
    }

    private static void check(int status) {
        if (status != 0) throw new IllegalStateException("exit status " + status);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
