package dev.ssefs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("command-line building blocks")
class PartsTest {
    @Nested
    @DisplayName("durations")
    class DurationsSpec {
        @Test
        void forms() {
            assertEquals(Duration.ofDays(365), Durations.parse("365d"));
            assertEquals(Duration.ofHours(8760), Durations.parse("8760h"));
            assertEquals(Duration.ofSeconds(31536000), Durations.parse("31536000s"));
            assertEquals(Duration.ofDays(7), Durations.parse("P7D"));
            assertEquals(Duration.ofDays(30), Durations.parse(" 30d "));
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "d", "365", "-5d", "5y", "1.5d", "P", "365 d"})
        void rejects(String text) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
            assertEquals("'" + text + "' is not a duration; use e.g. 365d, 8760h, 31536000s or P365D", e.getMessage());
        }
    }

    @Nested
    @DisplayName("wrapped material files: raw or base64")
    class RawOrBase64 {
        @Test
        void base64TextIsDecoded() {
            byte[] material = new byte[256];
            new Random(1).nextBytes(material);
            String b64 = Base64.getEncoder().encodeToString(material);
            assertArrayEquals(material, KeyCommands.rawOrBase64((b64 + "\n").getBytes(StandardCharsets.US_ASCII)));
            String wrapped = Base64.getMimeEncoder().encodeToString(material);
            assertArrayEquals(material, KeyCommands.rawOrBase64(wrapped.getBytes(StandardCharsets.US_ASCII)));
        }

        @Test
        void rawBytesStayRaw() {
            Random rnd = new Random(2);
            for (int i = 0; i < 1000; i++) {
                byte[] raw = new byte[256];
                rnd.nextBytes(raw);
                assertArrayEquals(raw, KeyCommands.rawOrBase64(raw));
            }
        }
    }

    @Nested
    @DisplayName("output")
    class OutputSpec {
        String print(java.util.function.Consumer<Output> f) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            f.accept(new Output(new PrintStream(b, true, StandardCharsets.UTF_8), false));
            return b.toString(StandardCharsets.UTF_8);
        }

        @Test
        @DisplayName("fields are aligned and null fields skipped")
        void fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("KeyId", "k1");
            m.put("DeleteDate", null);
            m.put("PrimaryKeyVersion", "v1");
            assertEquals("KeyId:             k1\nPrimaryKeyVersion: v1\n", print(o -> o.fields(m)));
        }

        @Test
        @DisplayName("tables pad every column but the last")
        void table() {
            String t = print(o -> o.table(List.of("A", "Bee", "C"), List.of(List.of("xx", "y", "z"), List.of("", "yyyy", ""))));
            assertEquals("A   Bee   C\nxx  y     z\n    yyyy\n", t);
        }
    }

    @Nested
    @DisplayName("paths are the caller's")
    class Paths {
        @Test
        void relativeToCwdAndHome() {
            Map<String, String> env = Map.of("HOME", "/home/u");
            Path cwd = Path.of("/work/x");
            assertEquals(Path.of("/work/x/a.json"), GlobalOptions.resolve("a.json", env, cwd));
            assertEquals(Path.of("/work/b"), GlobalOptions.resolve("../b", env, cwd));
            assertEquals(Path.of("/etc/p"), GlobalOptions.resolve("/etc/p", env, cwd));
            assertEquals(Path.of("/home/u/k"), GlobalOptions.resolve("~/k", env, cwd));
        }

        @Test
        void defaultDataDir() {
            Path cwd = Path.of("/w");
            org.apache.commons.cli.CommandLine none = new org.apache.commons.cli.CommandLine.Builder().build();
            assertEquals(Path.of("/home/u/.local/share/ssefs"),
                    GlobalOptions.from(none, null, Map.of("HOME", "/home/u"), cwd).dataDir());
            assertEquals(Path.of("/w/rel"),
                    GlobalOptions.from(none, null, Map.of("HOME", "/home/u", "SSEFS_DATA_DIR", "rel"), cwd).dataDir());
            GlobalOptions g = GlobalOptions.from(none, null, Map.of(), cwd);
            assertEquals("root", g.principal());
            assertTrue(!g.json());
        }
    }
}
