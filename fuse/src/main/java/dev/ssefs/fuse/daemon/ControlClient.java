package dev.ssefs.fuse.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The command line's side of the control socket: when the data dir's daemon is running, the whole command line
 * (argv, working directory, environment minus secrets, stdin) is forwarded and run there, since the daemon
 * holds the stores open (MapDB allows one process per file).
 */
public final class ControlClient {

    private ControlClient() {}

    /** True when a daemon answers on {@code dataDir}'s socket. */
    public static boolean daemonRunning(Path dataDir) {
        Path sock = ControlProtocol.socketPath(dataDir);
        if (!Files.exists(sock)) return false;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Runs {@code args} in the daemon of {@code dataDir}; empty when no daemon answers (run it here then).
     */
    public static OptionalInt forward(Path dataDir, String[] args, Path cwd, Map<String, String> env,
                                      InputStream stdin, PrintStream out, PrintStream err) {
        Path sock = ControlProtocol.socketPath(dataDir);
        if (!Files.exists(sock)) return OptionalInt.empty();
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(sock));
        } catch (IOException e) {
            return OptionalInt.empty(); // stale socket of a daemon that is gone
        }
        try (ch) {
            ControlProtocol.Out o = new ControlProtocol.Out(ch);
            o.raw(ByteBuffer.allocate(12).putInt(ControlProtocol.MAGIC).putInt(ControlProtocol.VERSION).putInt(args.length).flip());
            for (String a : args) o.raw(ControlProtocol.string(a));
            o.raw(ControlProtocol.string(cwd.toAbsolutePath().toString()));
            // the passphrase (SSEFS_PASSPHRASE) goes too, over the 0600 socket: the daemon checks it against the key
            // store before it runs a command that uses the stores, as a command run here would be checked
            Map<String, String> sent = new java.util.TreeMap<>(env);
            o.raw(ByteBuffer.allocate(4).putInt(sent.size()).flip());
            for (var e : sent.entrySet()) {
                o.raw(ControlProtocol.string(e.getKey()));
                o.raw(ControlProtocol.string(e.getValue()));
            }
            Thread pump = new Thread(() -> pumpStdin(stdin, o), "ssefs-stdin");
            pump.setDaemon(true);
            pump.start();
            ControlProtocol.In in = new ControlProtocol.In(ch);
            for (;;) {
                byte type = in.readByte();
                int len = in.readInt();
                if (type == ControlProtocol.EXIT) {
                    out.flush();
                    err.flush();
                    return OptionalInt.of(len);
                }
                byte[] b = new byte[len];
                in.readFully(b);
                (type == ControlProtocol.STDERR ? err : out).write(b, 0, len);
                if (type == ControlProtocol.STDERR) err.flush();
            }
        } catch (IOException e) {
            err.println("ssefs: lost the connection to the daemon of " + dataDir + ": " + e.getMessage());
            return OptionalInt.of(1);
        }
    }

    private static void pumpStdin(InputStream stdin, ControlProtocol.Out o) {
        byte[] buf = new byte[64 * 1024];
        try {
            int n;
            while ((n = stdin.read(buf)) > 0) o.frame(ControlProtocol.STDIN, buf, 0, n);
            o.frame(ControlProtocol.STDIN_EOF, buf, 0, 0);
        } catch (IOException ignored) {
            // the command finished, or stdin failed: the daemon sees EOF either way
        }
    }
}
