package dev.ssefs.reliability;

import dev.ssefs.fuse.Sh;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.OssException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Re-encryption (CopyObject onto itself: setfattr, {@code ssefs reencrypt}) races a write of the same object. The
 * write must win: the copy publishes only if the object is still the version it read, else it retries or fails
 * cleanly, and never puts old content back over a newer write.
 */
@DisplayName("re-encryption racing a concurrent write never brings old content back")
class ReencryptRaceIT {
    static byte[] big(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    @DisplayName("objectcore: a write during a slow SM4 CopyObject onto itself survives it")
    void copyOntoItselfDuringWrite() throws Exception {
        try (Store store = Store.withRootKey("race")) {
            store.ok("mb", "oss://race", "--sse-algorithm", "AES256");
            try (Store.Opened s = store.open()) {
                Oss oss = s.objects().as("root");
                for (int round = 0; round < 3; round++) {
                    oss.putObject("race", "k", new ByteArrayInputStream(big(16 << 20)), Map.of());
                    CompletableFuture<String> copy = CompletableFuture.supplyAsync(() -> {
                        try {
                            return oss.copyObject("race", "k", "race", "k", Map.of("x-oss-server-side-encryption", "SM4"))
                                    .sseHeaders().toString();
                        } catch (OssException e) {
                            return e.code();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    Thread.sleep(60); // SM4 runs at tens of MiB/s: the copy is still reading and encrypting
                    byte[] fresh = ("written during the copy, round " + round).getBytes(StandardCharsets.UTF_8);
                    oss.putObject("race", "k", new ByteArrayInputStream(fresh), Map.of());
                    String result = copy.get();
                    try (InputStream in = oss.getObject("race", "k", null).body()) {
                        assertArrayEquals(fresh, in.readAllBytes(), "round " + round + ": the write survives the copy (" + result + ")");
                    }
                }
                assertTrue(oss.verify("race", "", null).ok());
            }
        }
    }

    @Test
    @DisplayName("mount: ssefs reencrypt and setfattr racing overwrites through the mount never restore old content")
    void throughTheMount() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        try (Store store = Store.withRootKey("racem")) {
            store.ok("mb", "oss://racem", "--sse-algorithm", "AES256");
            Path mnt = store.mountPoint("mnt");
            store.mount("racem", mnt);
            try {
                Path f = mnt.resolve("f");
                for (int round = 0; round < 4; round++) {
                    Files.write(f, big(8 << 20));
                    boolean cli = round % 2 == 0;
                    String alg = round % 4 < 2 ? "SM4" : "AES256";
                    Process p = cli
                            ? new ProcessBuilder(reencrypt(store, alg)).redirectErrorStream(true).start()
                            : new ProcessBuilder("setfattr", "-n", "user.x-oss-server-side-encryption", "-v", "SM4", f.toString())
                            .redirectErrorStream(true).start();
                    Thread.sleep(cli ? 700 : 150);
                    String fresh = "overwritten through the mount, round " + round;
                    Files.writeString(f, fresh);
                    p.waitFor();
                    assertEquals(fresh, Files.readString(f), "round " + round + " (" + (cli ? "ssefs reencrypt" : "setfattr")
                            + "): " + new String(p.getInputStream().readAllBytes()));
                }
            } finally {
                store.unmount(mnt);
            }
        }
    }

    static String[] reencrypt(Store store, String alg) {
        java.util.List<String> c = new java.util.ArrayList<>();
        c.add(Sh.launcher().toString());
        c.addAll(store.globals());
        c.addAll(java.util.List.of("reencrypt", "oss://racem", "--sse-algorithm", alg, "--restart", "--no-progress"));
        return c.toArray(new String[0]);
    }
}
