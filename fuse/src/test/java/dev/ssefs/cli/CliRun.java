package dev.ssefs.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs {@link Main#run} in-process with captured streams, as a daemon would. */
final class CliRun {
    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final Path cwd;
    private final Map<String, String> env = new HashMap<>();
    private final StoreProvider stores;
    private byte[] stdin = new byte[0];

    CliRun(Path cwd, StoreProvider stores) {
        this.cwd = cwd;
        this.stores = stores;
        env.put("HOME", cwd.resolve("home").toString());
    }

    CliRun env(String name, String value) {
        if (value == null) {
            env.remove(name);
        } else {
            env.put(name, value);
        }
        return this;
    }

    CliRun stdin(byte[] bytes) {
        this.stdin = bytes;
        return this;
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, cwd, new ByteArrayInputStream(stdin), o, e, Map.copyOf(env), stores);
        }
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
