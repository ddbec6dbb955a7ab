package dev.ssefs.fuse.daemon;

import dev.ssefs.fuse.InMemoryStores;
import dev.ssefs.fuse.MountOptions;
import dev.ssefs.fuse.MountTable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The daemon in this JVM over the in-memory test double: two mounts, live administration, exit when idle. */
@DisplayName("daemon: mounts, forwarded commands, idle exit")
class DaemonTest {
    @Test
    void twoMountsAndALiveKeyChange() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")) && dev.ssefs.fuse.FuseMount.libfuseInstalled(), "no FUSE here");
        Path work = Files.createTempDirectory("ssefs-daemon-test");
        Path m1 = Files.createDirectories(work.resolve("m1"));
        Path m2 = Files.createDirectories(work.resolve("m2"));
        InMemoryStores stores = new InMemoryStores();
        stores.oss().createBucket("one", new dev.ssefs.objectcore.BucketEncryptionRule("KMS", null, null));
        stores.oss().createBucket("two", null);
        // a forwarded command line: here "disable" and "enable" switch the default CMK in the test double
        CommandRunner runner = (args, cwd, in, out, err, env) -> {
            if (args[0].equals("disable")) stores.disableDefaultKey(true);
            else if (args[0].equals("enable")) stores.disableDefaultKey(false);
            out.print("ran " + args[0]);
            return 0;
        };
        Daemon d = Daemon.start(work, () -> stores, null, runner);
        Thread serving = null;
        try {
            d.mount("root", "one", m1, new MountOptions());
            d.mount("root", "two", m2, new MountOptions());
            assertTrue(MountTable.isSsefsMount(m1) && MountTable.isSsefsMount(m2));
            assertEquals(1, Files.readAllLines(Daemon.pidFile(work)).size());
            Files.writeString(m1.resolve("f"), "secret");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            OptionalInt st = ControlClient.forward(work, new String[] {"disable"}, work, Map.of(), new ByteArrayInputStream(new byte[0]),
                    new PrintStream(out), System.err);
            assertEquals(OptionalInt.of(0), st);
            assertEquals("ran disable", out.toString());
            var ex = assertThrows(java.io.IOException.class, () -> Files.readString(m1.resolve("f")));
            assertEquals("Permission denied", ex.getMessage(), "EACCES at the next read");
            ControlClient.forward(work, new String[] {"enable"}, work, Map.of(), new ByteArrayInputStream(new byte[0]), new PrintStream(out), System.err);
            assertEquals("secret", Files.readString(m1.resolve("f")));

            serving = new Thread(d::runUntilIdle);
            serving.start();
            d.unmount(m2, false);
            assertFalse(MountTable.isSsefsMount(m2));
            assertTrue(serving.isAlive(), "still serving the first mount");
            d.unmount(m1, false);
            serving.join(15_000);
            assertFalse(serving.isAlive(), "the daemon stops when its last mount is gone");
            assertFalse(Files.exists(work.resolve("ssefs.sock")));
            assertFalse(Files.exists(Daemon.pidFile(work)));
        } finally {
            d.close();
            for (Path m : List.of(m1, m2)) new ProcessBuilder("fusermount", "-u", "-z", m.toString()).start().waitFor();
            assertEquals(List.of(), Files.readAllLines(Path.of("/proc/mounts")).stream().filter(l -> l.contains(work.toString())).toList());
            dev.ssefs.fuse.Sh.deleteTree(work);
        }
    }
}
