package dev.ssefs.bench;

import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.keys.Kms;
import dev.ssefs.keys.RootSecret;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * GenerateDataKey and Decrypt through the embedded KMS as objectcore calls them (a CMK, an EncryptionContext naming
 * bucket and object). Goal: at least 100,000 GenerateDataKey/s on one core.
 * Run: {@code mount-scripts/jmh KmsBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class KmsBenchmark {
    /** Aliyun_AES_256 wraps with the JDK's AES-GCM, Aliyun_SM4 with Bouncy Castle's SM4-GCM. */
    @Param({"Aliyun_AES_256", "Aliyun_SM4"})
    public String keySpec;

    private Path dir;
    private EmbeddedKms kms;
    private Kms root;
    private Kms principal;
    private String keyId;
    private byte[] blob;
    private final Map<String, String> context = Map.of("acs:oss:bucket", "photos", "acs:oss:object", "2026/cat.jpg");

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("ssefs-kms-bench");
        kms = EmbeddedKms.open(dir.resolve("data"), RootSecret.fromPassphrase("bench".toCharArray()),
                Clock.systemUTC(), EmbeddedKms.Options.defaults().withArgon2(EmbeddedKms.Argon2Params.FOR_TESTS));
        root = kms.as("root");
        keyId = root.createKey(new Kms.CreateKeyRequest(keySpec, "Aliyun_KMS", "bench", false, null)).keyId();
        kms.policies().putPolicy("app", "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Action\":[\"kms:GenerateDataKey\",\"kms:Decrypt\"],\"Resource\":\"acs:kms:*:*:key/*\"},"
                + "{\"Effect\":\"Deny\",\"Action\":\"kms:*\",\"Resource\":\"acs:kms:*:*:key/no-such-key\"}]}");
        principal = kms.as("app");
        blob = root.generateDataKey(keyId, null, null, context).ciphertextBlob();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        kms.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public Kms.DataKey generateDataKey() {
        return root.generateDataKey(keyId, null, null, context);
    }

    @Benchmark
    public Kms.DecryptResult decrypt() {
        return root.decrypt(blob, context);
    }

    /** The same with a RAM policy to evaluate (a non-root principal). */
    @Benchmark
    public Kms.DataKey generateDataKeyAsRamUser() {
        return principal.generateDataKey(keyId, null, null, context);
    }
}
