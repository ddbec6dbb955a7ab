package dev.ssefs.fuse.daemon;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The daemon's unix socket ({@code DATA_DIR/ssefs.sock}, mode 0600). Each connection runs one forwarded command
 * line on its own thread; only the daemon's own user (or root) may connect (checked with SO_PEERCRED too).
 */
final class ControlServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("ssefs.daemon");

    private final Path socket;
    private final CommandRunner runner;
    private final ServerSocketChannel server;
    private final AtomicInteger active = new AtomicInteger();
    private final String owner;
    private volatile boolean closed;

    ControlServer(Path dataDir, CommandRunner runner) throws IOException {
        this.socket = ControlProtocol.socketPath(dataDir);
        this.runner = runner;
        this.owner = Files.getOwner(dataDir).getName();
        if (ControlClient.daemonRunning(dataDir)) throw new IOException("another ssefs daemon already serves " + dataDir);
        Files.deleteIfExists(socket); // left by a daemon that was killed
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            // bind under a private name with mode 0600, then move it in place: never reachable with wider mode
            Path tmp = dataDir.resolve(".ssefs.sock." + ProcessHandle.current().pid());
            Files.deleteIfExists(tmp);
            s.bind(UnixDomainSocketAddress.of(tmp));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, socket, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        this.server = s;
        Thread t = new Thread(this::acceptLoop, "ssefs-control");
        t.setDaemon(true);
        t.start();
    }

    Path socket() { return socket; }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                active.incrementAndGet();
                Thread t = new Thread(() -> serve(ch), "ssefs-command");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) LOG.warning("control socket: " + e.getMessage());
                return;
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            String user = peer.user().getName();
            if (!user.equals(owner) && !user.equals("root")) {
                LOG.warning("control socket: refused a connection from user " + user);
                return;
            }
            ControlProtocol.In in = new ControlProtocol.In(ch);
            if (in.readInt() != ControlProtocol.MAGIC || in.readInt() != ControlProtocol.VERSION) return;
            int argc = in.readInt();
            if (argc < 0 || argc > 10_000) return;
            String[] args = new String[argc];
            for (int i = 0; i < argc; i++) args[i] = in.readString();
            Path cwd = Path.of(in.readString());
            int envc = in.readInt();
            if (envc < 0 || envc > 100_000) return;
            Map<String, String> env = new LinkedHashMap<>();
            for (int i = 0; i < envc; i++) env.put(in.readString(), in.readString());
            env.put("PWD", cwd.toString());
            ControlProtocol.Out out = new ControlProtocol.Out(ch);
            int status;
            try (PrintStream o = new PrintStream(out.stream(ControlProtocol.STDOUT), false, StandardCharsets.UTF_8);
                 PrintStream e = new PrintStream(out.stream(ControlProtocol.STDERR), true, StandardCharsets.UTF_8)) {
                LOG.info("command: " + commandName(args));
                try {
                    status = runner.run(args, cwd, new FrameStdin(in), o, e, env);
                } catch (Exception ex) {
                    e.println("ssefs: daemon: " + ex);
                    status = 1;
                }
                o.flush();
                e.flush();
            }
            out.raw(java.nio.ByteBuffer.allocate(5).put(ControlProtocol.EXIT).putInt(status).flip()); // status in the length field
        } catch (IOException e) {
            if (!closed) LOG.fine("control connection: " + e.getMessage());
        } finally {
            active.decrementAndGet();
        }
    }

    private static final java.util.Set<String> GLOBALS_WITH_VALUE = java.util.Set.of("--data-dir", "--passphrase-file",
            "--root-key-file", "--principal");

    /** The command words only (e.g. "ssefs key disable"), never option values or arguments beyond them. */
    static String commandName(String[] args) {
        StringBuilder b = new StringBuilder("ssefs");
        int words = 0;
        for (int i = 0; i < args.length && words < 2; i++) {
            String a = args[i];
            if (GLOBALS_WITH_VALUE.contains(a)) { i++; continue; }
            if (a.startsWith("-")) continue;
            if (a.contains("://") || a.startsWith("/")) break;
            b.append(' ').append(a);
            words++;
        }
        return b.toString();
    }

    /** Waits (up to {@code millis}) for running commands to finish answering. */
    void awaitIdle(long millis) {
        long end = System.currentTimeMillis() + millis;
        while (active.get() > 0 && System.currentTimeMillis() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    int activeCommands() { return active.get(); }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // a stale socket is detected and replaced by the next daemon
        }
    }

    /** stdin of a forwarded command: the client's STDIN frames, until STDIN_EOF. */
    private static final class FrameStdin extends InputStream {
        private final ControlProtocol.In in;
        private byte[] buf = new byte[0];
        private int pos;
        private boolean eof;

        FrameStdin(ControlProtocol.In in) { this.in = in; }

        private boolean fill() throws IOException {
            while (!eof && pos >= buf.length) {
                byte type = in.readByte();
                int len = in.readInt();
                if (type == ControlProtocol.STDIN_EOF) {
                    eof = true;
                    break;
                }
                if (type != ControlProtocol.STDIN || len < 0 || len > (1 << 20)) throw new IOException("bad stdin frame");
                buf = new byte[len];
                in.readFully(buf);
                pos = 0;
            }
            return pos < buf.length;
        }

        @Override
        public int read() throws IOException {
            return fill() ? buf[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (!fill()) return -1;
            int n = Math.min(len, buf.length - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
