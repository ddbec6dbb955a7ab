package dev.ssefs.fuse.daemon;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("control socket: command lines forwarded to the data dir's daemon")
class ControlSocketTest {
    @TempDir Path dataDir;

    @Test
    @DisplayName("argv, cwd, env (without the passphrase) and stdin reach the daemon; stdout, stderr and status come back")
    void roundTrip() throws Exception {
        AtomicReference<Map<String, String>> seenEnv = new AtomicReference<>();
        CommandRunner runner = (args, cwd, in, out, err, env) -> {
            seenEnv.set(env);
            String input = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            out.print(String.join("|", args) + "@" + cwd + ":" + input.length());
            err.print("warn");
            return 7;
        };
        try (ControlServer server = new ControlServer(dataDir, runner)) {
            Path sock = dataDir.resolve("ssefs.sock");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertTrue(ControlClient.daemonRunning(dataDir));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            byte[] big = new byte[300_000];
            OptionalInt status = ControlClient.forward(dataDir, new String[] {"key", "disable", "k1"}, Path.of("/tmp"),
                    Map.of("SSEFS_PASSPHRASE", "secret", "HOME", "/root"), new ByteArrayInputStream(big),
                    new PrintStream(out), new PrintStream(err));
            assertEquals(OptionalInt.of(7), status);
            assertEquals("key|disable|k1@/tmp:300000", out.toString());
            assertEquals("warn", err.toString());
            // sent over the 0600 socket so that the daemon can check it against the key store (never logged)
            assertEquals("secret", seenEnv.get().get("SSEFS_PASSPHRASE"), "the passphrase reaches the daemon for its check");
            assertEquals("/tmp", seenEnv.get().get("PWD"));
        }
        assertFalse(Files.exists(dataDir.resolve("ssefs.sock")), "socket removed on close");
        assertFalse(ControlClient.daemonRunning(dataDir));
    }

    @Test
    @DisplayName("no daemon: the command runs locally; a stale socket file is replaced")
    void noDaemon() throws Exception {
        assertEquals(OptionalInt.empty(), ControlClient.forward(dataDir, new String[] {"ls"}, dataDir, Map.of(),
                new ByteArrayInputStream(new byte[0]), System.out, System.err));
        Files.writeString(dataDir.resolve("ssefs.sock"), "stale");
        assertEquals(OptionalInt.empty(), ControlClient.forward(dataDir, new String[] {"ls"}, dataDir, Map.of(),
                new ByteArrayInputStream(new byte[0]), System.out, System.err));
        try (ControlServer server = new ControlServer(dataDir, (a, c, i, o, e, env) -> 0)) {
            assertTrue(ControlClient.daemonRunning(dataDir));
            assertThrows(java.io.IOException.class, () -> new ControlServer(dataDir, (a, c, i, o, e, env) -> 0),
                    "one daemon per data dir");
        }
    }
}
