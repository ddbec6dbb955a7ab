package dev.ssefs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ssefs.keys.KeyManagement;
import dev.ssefs.objectcore.ObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Command-line parsing, help and usage errors: none of these may open a store. */
@DisplayName("ssefs command line: help and usage errors")
class UsageTest {
    @TempDir
    Path dir;

    /** Fails the test if a command touches the stores. */
    static final class NoStores implements StoreProvider {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public KeyManagement keys() {
            calls.incrementAndGet();
            throw new AssertionError("the key store must not be opened");
        }

        @Override
        public ObjectStore objects() {
            calls.incrementAndGet();
            throw new AssertionError("the object store must not be opened");
        }

        @Override
        public Path dataDir() {
            throw new AssertionError("no data dir needed");
        }
    }

    CliRun cli() {
        return new CliRun(dir, new NoStores());
    }

    static List<Command> allCommands(Command c) {
        List<Command> all = new ArrayList<>();
        all.add(c);
        for (Command child : c.children()) {
            all.addAll(allCommands(child));
        }
        return all;
    }

    @TestFactory
    @DisplayName("--help works on every command and sub-command, exit 0, usage on stdout")
    Stream<DynamicTest> helpEverywhere() {
        return allCommands(Commands.root()).stream().map(c -> DynamicTest.dynamicTest(c.fullName(), () -> {
            List<String> args = new ArrayList<>(List.of(c.fullName().split(" ")));
            args.remove(0);
            args.add("--help");
            CliRun.Result r = cli().run(args.toArray(new String[0]));
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().startsWith("Usage: " + c.fullName()), r.toString());
            assertEquals("", r.err());
            // -h and 'ssefs help ...' say the same
            args.set(args.size() - 1, "-h");
            assertEquals(r.out(), cli().run(args.toArray(new String[0])).out());
            args.remove(args.size() - 1);
            args.add(0, "help");
            assertEquals(r.out(), cli().run(args.toArray(new String[0])).out());
        }));
    }

    @Test
    @DisplayName("a leaf's help lists its options and arguments")
    void leafHelpShowsOptions() {
        CliRun.Result r = cli().run("key", "schedule-deletion", "--help");
        assertTrue(r.out().startsWith("Usage: ssefs key schedule-deletion [options] ID"), r.out());
        assertTrue(r.out().contains("--pending-window-in-days"), r.out());
    }

    @Test
    @DisplayName("--help wins over missing arguments and required options")
    void helpBeatsMissingArgs() {
        CliRun.Result r = cli().run("key", "import", "--help");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("--material-file"));
        assertEquals(0, cli().run("--help", "key", "import").status());
    }

    @Nested
    @DisplayName("usage errors exit 2 with a message and a hint on stderr, and open nothing")
    class UsageErrors {
        void assertUsage(String expectedMessage, String... args) {
            NoStores stores = new NoStores();
            CliRun.Result r = new CliRun(dir, stores).run(args);
            assertEquals(2, r.status(), r.toString());
            assertEquals("", r.out(), r.toString());
            assertTrue(r.err().startsWith("ssefs: " + expectedMessage), r.toString());
            assertTrue(r.err().contains("--help'."), r.toString());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r);
            assertEquals(0, stores.calls.get());
        }

        @Test
        void noCommand() {
            assertUsage("missing command");
        }

        @Test
        void unknownCommand() {
            assertUsage("unknown command 'frobnicate'", "frobnicate");
        }

        @Test
        void unknownSubCommand() {
            assertUsage("key: unknown command 'frobnicate'", "key", "frobnicate");
        }

        @Test
        void groupWithoutSubCommand() {
            assertUsage("key alias: missing command", "key", "alias");
        }

        @Test
        void unknownGlobalOption() {
            assertUsage("unknown option '--frobnicate'", "--frobnicate", "key", "list");
        }

        @Test
        void unknownCommandOption() {
            assertUsage("key list: Unrecognized option: --frobnicate", "key", "list", "--frobnicate");
        }

        @Test
        void missingArgument() {
            assertUsage("key describe: missing argument(s): expected ID", "key", "describe");
        }

        @Test
        void tooManyArguments() {
            assertUsage("key describe: unexpected argument(s): b c", "key", "describe", "a", "b", "c");
        }

        @Test
        void missingOptionValue() {
            assertUsage("key create: Missing argument for option: spec", "key", "create", "--spec");
        }

        @Test
        void missingRequiredOption() {
            assertUsage("key schedule-deletion: missing required option --pending-window-in-days",
                    "key", "schedule-deletion", "k");
        }

        @Test
        void notANumber() {
            assertUsage("key schedule-deletion: --pending-window-in-days must be an integer, not 'seven'",
                    "key", "schedule-deletion", "k", "--pending-window-in-days", "seven");
        }

        @Test
        void badRotationInterval() {
            assertUsage("key create: --rotation-interval: '1 year' is not a duration", "key", "create", "--rotation-interval", "1 year");
        }

        @Test
        void badContext() {
            assertUsage("key generate-data-key: --context must be a JSON object of strings",
                    "key", "generate-data-key", "k", "--context", "{not json");
        }

        @Test
        void contextValuesMustBeStrings() {
            assertUsage("key generate-data-key: --context: the value of \"n\" must be a string",
                    "key", "generate-data-key", "k", "--context", "{\"n\":{\"x\":1}}");
        }

        @Test
        void badBlob() {
            assertUsage("key decrypt: --blob is not base64", "key", "decrypt", "--blob", "***");
        }

        @Test
        void emptyPrincipal() {
            assertUsage("--principal must not be empty", "--principal", "", "key", "list");
        }
    }

    @Nested
    @DisplayName("the root secret comes from exactly one source")
    class RootSecretChoice {
        CliRun local() {
            return new CliRun(dir, null).env("SSEFS_DATA_DIR", dir.resolve("data").toString());
        }

        @Test
        @DisplayName("none given: exit 2 naming the three sources, and no data dir is created")
        void none() {
            CliRun.Result r = local().run("key", "list");
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: " + RootSecretSource.NONE), r.toString());
            assertFalse(Files.exists(dir.resolve("data")));
        }

        @Test
        @DisplayName("two given: exit 2 naming both, the passphrase itself never printed")
        void two() throws Exception {
            Path pf = Files.writeString(dir.resolve("pass"), "correct horse battery staple\n");
            CliRun.Result r = local().env("SSEFS_PASSPHRASE", "sesame-open-sesame")
                    .run("--passphrase-file", "pass", "key", "list");
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: more than one root secret given (--passphrase-file, SSEFS_PASSPHRASE)"), r.toString());
            assertFalse(r.err().contains("sesame"), r.toString());
            assertFalse(r.err().contains("horse"), r.toString());
            assertTrue(Files.exists(pf));
            assertFalse(Files.exists(dir.resolve("data")));
        }

        @Test
        @DisplayName("all three given: exit 2")
        void three() throws Exception {
            Files.writeString(dir.resolve("pass"), "pw\n");
            CliRun.Result r = local().env("SSEFS_PASSPHRASE", "x")
                    .run("--passphrase-file", "pass", "--root-key-file", "root.key", "key", "list");
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().contains("(--passphrase-file, SSEFS_PASSPHRASE, --root-key-file)"), r.toString());
        }

        @Test
        @DisplayName("an empty SSEFS_PASSPHRASE counts as not set")
        void emptyEnv() {
            CliRun.Result r = local().env("SSEFS_PASSPHRASE", "").run("key", "list");
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().startsWith("ssefs: no root secret"), r.toString());
        }

        @Test
        @DisplayName("a missing passphrase file: exit 1, the path named")
        void missingPassphraseFile() {
            CliRun.Result r = local().run("--passphrase-file", "nope.txt", "key", "list");
            assertEquals(1, r.status(), r.toString());
            assertEquals("ssefs: cannot read passphrase file " + dir.resolve("nope.txt") + ": no such file\n", r.err());
        }

        @Test
        @DisplayName("an empty passphrase file: exit 1")
        void emptyPassphraseFile() throws Exception {
            Files.writeString(dir.resolve("pass"), "\nsecond line is ignored\n");
            CliRun.Result r = local().run("--passphrase-file", "pass", "key", "list");
            assertEquals(1, r.status(), r.toString());
            assertEquals("ssefs: passphrase file " + dir.resolve("pass") + " is empty (the passphrase is its first line)\n", r.err());
        }
    }

    @Test
    @DisplayName("global options may also follow the command")
    void globalsAfterCommand() {
        CliRun.Result r = new CliRun(dir, null).run("key", "list", "--data-dir", "d", "--json");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("ssefs: no root secret"), r.toString());
    }
}
