package dev.ssefs.reliability;

import dev.ssefs.fuse.Sh;
import dev.ssefs.objectcore.Oss;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Category 1: what is at rest is changed behind the store's back. Every change must make reads fail (EIO through
 * the mount, a message naming the object from the objectcore API, {@code ssefs cat} and {@code ssefs verify}),
 * and no wrong byte may ever come back: whatever a failing read returned before failing is a prefix of the truth.
 * The exhaustive per-byte loops run through the objectcore API (one read per flipped byte); a sample of each kind
 * of change runs through the real mount and the real command line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("tampering with blobs and metadata at rest")
class TamperIT {
    static final int CHUNK = 64 * 1024;
    static final int SEALED_CHUNK = CHUNK + 28;
    static final String B = "tamper";

    Store store;
    /** key -> plaintext, key -> its blob file. */
    final Map<String, byte[]> content = new LinkedHashMap<>();
    final Map<String, Path> blob = new LinkedHashMap<>();
    byte[] olderVersion;
    int cases;

    @BeforeAll
    void objects() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        store = Store.withRootKey("tamper");
        store.ok("mb", "oss://" + B, "--sse-algorithm", "KMS");
        Random r = new Random(1);
        try (Store.Opened s = store.open()) {
            Oss oss = s.objects().as("root");
            put(oss, "small/empty", new byte[0], Map.of());
            put(oss, "small/one", new byte[] {42}, Map.of());
            put(oss, "small/text", "tamper marker text, ".repeat(15).getBytes(StandardCharsets.UTF_8), Map.of());
            put(oss, "small/sm4", "sm4 marker text, ".repeat(15).getBytes(StandardCharsets.UTF_8),
                    Map.of("x-oss-server-side-encryption", "SM4"));
            put(oss, "small/aes", random(r, 700), Map.of("x-oss-server-side-encryption", "AES256"));
            put(oss, "big/three", random(r, 2 * CHUNK + 1000), Map.of());
            put(oss, "big/other", random(r, 2 * CHUNK + 1000), Map.of());
            // an older version of big/versioned, kept aside before it is replaced (and its blob freed)
            put(oss, "big/versioned", random(r, 2 * CHUNK + 1000), Map.of());
            olderVersion = Files.readAllBytes(blob.get("big/versioned"));
            put(oss, "big/versioned", random(r, 2 * CHUNK + 1000), Map.of());
        }
    }

    static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    void put(Oss oss, String key, byte[] data, Map<String, String> headers) throws IOException {
        List<Path> before = store.blobFiles();
        oss.putObject(B, key, new ByteArrayInputStream(data), headers);
        List<Path> now = new ArrayList<>(store.blobFiles());
        now.removeAll(before);
        assertEquals(1, now.size(), now.toString());
        content.put(key, data);
        blob.put(key, now.get(0));
    }

    @AfterAll
    void cleanUp() throws Exception {
        if (store != null) store.close();
        System.out.println("TamperIT: " + cases + " tampering cases checked");
    }

    // ------------------------------------------------------------------ in-process, exhaustive

    /** Reads key whole; asserts it fails naming the object, and that what came before the failure is true. */
    void assertReadFails(Oss oss, String key, String what) {
        cases++;
        byte[] truth = content.get(key);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        try (InputStream in = oss.getObject(B, key, null).body()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) got.write(buf, 0, n);
        } catch (IOException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("oss://" + B + "/" + key),
                    what + ": the error names the object: " + e.getMessage());
            assertPrefix(truth, got.toByteArray(), what);
            return;
        } catch (RuntimeException e) {
            fail(what + ": not an integrity error but " + e, e);
        }
        fail(what + ": the read of " + key + " succeeded (" + got.size() + " bytes, "
                + (Arrays.equals(truth, got.toByteArray()) ? "the true content" : "WRONG BYTES") + ")");
    }

    static void assertPrefix(byte[] truth, byte[] got, String what) {
        assertTrue(got.length <= truth.length && Arrays.equals(truth, 0, got.length, got, 0, got.length),
                what + ": a wrong byte came back before the failure");
    }

    void assertReads(Oss oss, String key) throws IOException {
        try (InputStream in = oss.getObject(B, key, null).body()) {
            assertArrayEquals(content.get(key), in.readAllBytes(), key + " reads back after the blob was restored");
        }
    }

    static void flip(Path f, long pos, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ mask)).rewind();
            ch.write(b, pos);
        }
    }

    @Test
    @Order(1)
    @DisplayName("every byte of five small objects (empty, 1 byte, KMS, SM4, AES256), flipped one at a time, fails the read")
    void everyByteOfSmallObjects() throws Exception {
        try (Store.Opened s = store.open()) {
            Oss oss = s.objects().as("root");
            for (String key : List.of("small/empty", "small/one", "small/text", "small/sm4", "small/aes")) {
                Path f = blob.get(key);
                long size = Files.size(f);
                for (long i = 0; i < size; i++) {
                    int mask = 1 << (i % 8);
                    flip(f, i, mask);
                    try {
                        assertReadFails(oss, key, key + " byte " + i + " of " + size + " flipped");
                    } finally {
                        flip(f, i, mask);
                    }
                }
                assertReads(oss, key);
            }
        }
    }

    /** Header length L of a blob: bytes 10..13. */
    static int headerLength(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            ch.read(b, 10);
            return b.flip().getInt();
        }
    }

    @Test
    @Order(2)
    @DisplayName("a 3-chunk object: the header, the first and last 64 bytes of every chunk and every 97th byte, flipped")
    void bytesOfEveryChunk() throws Exception {
        String key = "big/three";
        Path f = blob.get(key);
        int l = headerLength(f);
        long size = Files.size(f);
        java.util.TreeSet<Long> positions = new java.util.TreeSet<>();
        for (long i = 0; i < l; i++) positions.add(i);
        for (long c = l; c < size; c += SEALED_CHUNK) {
            long end = Math.min(size, c + SEALED_CHUNK);
            for (long i = 0; i < 64; i++) {
                positions.add(c + i);
                positions.add(end - 1 - i);
            }
        }
        for (long i = 0; i < size; i += 97) positions.add(i);
        try (Store.Opened s = store.open()) {
            Oss oss = s.objects().as("root");
            for (long i : positions) {
                flip(f, i, 0x80 >> (i % 8));
                try {
                    assertReadFails(oss, key, key + " byte " + i + " flipped");
                } finally {
                    flip(f, i, 0x80 >> (i % 8));
                }
            }
            assertReads(oss, key);
        }
    }

    /** A named change of a blob: applied to a copy of the original bytes. */
    record Change(String name, String key, java.util.function.UnaryOperator<byte[]> edit) {}

    List<Change> structuralChanges() throws IOException {
        String k = "big/three";
        byte[] orig = Files.readAllBytes(blob.get(k));
        int l = headerLength(blob.get(k));
        List<Change> c = new ArrayList<>();
        for (int n = 0; n <= 2; n++) {
            int at = l + n * SEALED_CHUNK;
            c.add(new Change("truncated at chunk boundary " + n, k, b -> Arrays.copyOf(b, at)));
        }
        for (int cut : new int[] {1, 12, 16, 27, 28, 29, 1000}) {
            c.add(new Change("truncated by " + cut + " bytes", k, b -> Arrays.copyOf(b, b.length - cut)));
        }
        c.add(new Change("truncated inside the header", k, b -> Arrays.copyOf(b, l - 1)));
        c.add(new Change("truncated inside chunk 1", k, b -> Arrays.copyOf(b, l + SEALED_CHUNK + 100)));
        c.add(new Change("truncated to nothing", k, b -> new byte[0]));
        for (int extra : new int[] {1, 28, 29, SEALED_CHUNK}) {
            c.add(new Change(extra + " bytes appended", k, b -> {
                byte[] x = Arrays.copyOf(b, b.length + extra);
                for (int i = b.length; i < x.length; i++) x[i] = (byte) (i * 31);
                return x;
            }));
        }
        c.add(new Change("chunk 0 appended again", k, b -> concat(b, Arrays.copyOfRange(b, l, l + SEALED_CHUNK))));
        c.add(new Change("chunks 0 and 1 swapped", k, b -> {
            byte[] x = b.clone();
            System.arraycopy(b, l, x, l + SEALED_CHUNK, SEALED_CHUNK);
            System.arraycopy(b, l + SEALED_CHUNK, x, l, SEALED_CHUNK);
            return x;
        }));
        c.add(new Change("chunk 1 duplicated over chunk 0", k, b -> {
            byte[] x = b.clone();
            System.arraycopy(b, l + SEALED_CHUNK, x, l, SEALED_CHUNK);
            return x;
        }));
        byte[] other = Files.readAllBytes(blob.get("big/other"));
        int lo = headerLength(blob.get("big/other"));
        c.add(new Change("replaced by another object's blob", k, b -> other.clone()));
        c.add(new Change("chunk 1 spliced from another object", k, b -> {
            byte[] x = b.clone();
            System.arraycopy(other, lo + SEALED_CHUNK, x, l + SEALED_CHUNK, SEALED_CHUNK);
            return x;
        }));
        c.add(new Change("header from another object", k, b -> concat(Arrays.copyOf(other, lo), Arrays.copyOfRange(b, l, b.length))));
        c.add(new Change("replaced by an older version of the same object", "big/versioned", b -> olderVersion.clone()));
        int lv = ByteBuffer.wrap(olderVersion, 10, 4).getInt();
        int lcur = headerLength(blob.get("big/versioned"));
        c.add(new Change("header of the older version", "big/versioned", b -> concat(Arrays.copyOf(olderVersion, lv),
                Arrays.copyOfRange(b, lcur, b.length))));
        c.add(new Change("final chunk of the older version", "big/versioned", b -> {
            byte[] x = b.clone();
            int from = lv + 2 * SEALED_CHUNK;
            System.arraycopy(olderVersion, from, x, x.length - (olderVersion.length - from), olderVersion.length - from);
            return x;
        }));
        c.add(new Change("wrapped data key edited (last header field before the MAC)", k, b -> {
            byte[] x = b.clone();
            x[l - 33] ^= 0x01;
            return x;
        }));
        c.add(new Change("chunk size field edited", k, b -> {
            byte[] x = b.clone();
            x[17] ^= 0x01;
            return x;
        }));
        c.add(new Change("algorithm field edited (AES -> SM4)", k, b -> {
            byte[] x = b.clone();
            x[14] = 2;
            return x;
        }));
        c.add(new Change("header length field edited", k, b -> {
            byte[] x = b.clone();
            x[13] += 1;
            return x;
        }));
        c.add(new Change("blob replaced by zeros", k, b -> new byte[b.length]));
        c.add(new Change("empty object's blob in place", k, b -> {
            try {
                return Files.readAllBytes(blob.get("small/empty"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        assertEquals(orig.length, Files.size(blob.get(k)));
        return c;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] x = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, x, a.length, b.length);
        return x;
    }

    void apply(Change c) throws IOException {
        Path f = blob.get(c.key());
        Files.write(f, c.edit().apply(Files.readAllBytes(f)));
    }

    @Test
    @Order(3)
    @DisplayName("truncation at and off chunk boundaries, appended data, swapped and spliced chunks, replaced blobs, edited header fields")
    void structural() throws Exception {
        List<Change> changes = structuralChanges();
        try (Store.Opened s = store.open()) {
            Oss oss = s.objects().as("root");
            for (Change c : changes) {
                byte[] saved = Files.readAllBytes(blob.get(c.key()));
                try {
                    apply(c);
                    assertReadFails(oss, c.key(), c.name());
                    // a range read of the first bytes (chunk 0 only) fails, or, when the change is elsewhere
                    // and chunk 0 is intact, returns the true bytes: random access decrypts only touched chunks
                    cases++;
                    try (InputStream in = oss.getObject(B, c.key(), new dev.ssefs.objectcore.ByteRange(0, 99)).body()) {
                        byte[] got = in.readAllBytes();
                        assertArrayEquals(Arrays.copyOf(content.get(c.key()), 100), got, c.name() + ": a range read returned wrong bytes");
                    } catch (IOException e) {
                        assertTrue(e.getMessage().contains("oss://" + B + "/" + c.key()), e.getMessage());
                    }
                    assertFalse(oss.verify(B, "big/", null).ok(), c.name() + ": verify fails");
                } finally {
                    Files.write(blob.get(c.key()), saved);
                }
            }
            for (String k : List.of("big/three", "big/versioned")) assertReads(oss, k);
            assertTrue(oss.verify(B, "", null).ok(), "verify passes once every blob is restored");
        }
    }

    @Test
    @Order(4)
    @DisplayName("MapDB: the index record of one object pointed at another object's blob fails, and nothing is lost")
    void indexRecordEdited() throws Exception {
        Path meta = store.data.resolve("meta.db");
        String a = blob.get("small/text").getFileName().toString();
        String b = blob.get("small/aes").getFileName().toString();
        assertEquals(a.length(), b.length());
        byte[] saved = Files.readAllBytes(meta);
        byte[] savedBlob = Files.readAllBytes(blob.get("small/text"));
        byte[] edited = replaceAll(saved, a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
        assumeTrue(!Arrays.equals(saved, edited), "blob ids are not stored verbatim in meta.db");
        Files.write(meta, edited);
        try (Store.Opened s = store.open()) {
            s.objects().awaitReclamation();
            Oss oss = s.objects().as("root");
            cases++;
            try (InputStream in = oss.getObject(B, "small/text", null).body()) {
                byte[] got = in.readAllBytes();
                fail("read " + got.length + " bytes through an index record pointing at another object's blob"
                        + (Arrays.equals(got, content.get("small/aes")) ? " (the OTHER object's content)" : ""));
            } catch (IOException e) {
                assertTrue(e.getMessage().contains("oss://" + B + "/small/text"), e.getMessage());
            }
            assertReads(oss, "small/aes");
        } finally {
            Files.write(meta, saved);
            Files.write(blob.get("small/text"), savedBlob); // the reclaimer may have freed it while it looked orphaned
        }
        try (Store.Opened s = store.open()) {
            assertReads(s.objects().as("root"), "small/text");
        }
    }

    static byte[] replaceAll(byte[] hay, byte[] from, byte[] to) {
        byte[] x = hay.clone();
        outer:
        for (int i = 0; i + from.length <= x.length; i++) {
            for (int j = 0; j < from.length; j++) if (x[i + j] != from[j]) continue outer;
            System.arraycopy(to, 0, x, i, to.length);
        }
        return x;
    }

    // ------------------------------------------------------------------ the real mount and command line

    @Test
    @Order(5)
    @DisplayName("a sample through the real mount (EIO, no wrong byte), ssefs cat and ssefs verify (fail, naming the object)")
    void throughMountAndCli() throws Exception {
        List<Change> all = structuralChanges();
        List<Change> sample = new ArrayList<>();
        for (Change c : all) {
            if (c.name().matches("truncated at chunk boundary 1|truncated by 1 bytes|1 bytes appended|chunks 0 and 1 swapped"
                    + "|replaced by another object's blob|replaced by an older version.*|wrapped data key.*|chunk 1 spliced.*")) sample.add(c);
        }
        String k = "big/three";
        int l = headerLength(blob.get(k));
        long size = Files.size(blob.get(k));
        for (long pos : new long[] {0, 20, l - 40, l - 1, l + 5, l + SEALED_CHUNK + 500, l + 2 * SEALED_CHUNK - 1, size - 1}) {
            sample.add(new Change("byte " + pos + " flipped", k, b -> {
                byte[] x = b.clone();
                x[(int) pos] ^= 0x10;
                return x;
            }));
        }
        sample.add(new Change("SM4 object: a ciphertext byte flipped", "small/sm4", b -> {
            byte[] x = b.clone();
            x[x.length - 20] ^= 0x01;
            return x;
        }));
        Path mnt = store.mountPoint("mnt");
        store.mount(B, mnt);
        try {
            int verifyRuns = 0;
            for (Change c : sample) {
                byte[] saved = Files.readAllBytes(blob.get(c.key()));
                try {
                    apply(c);
                    Path out = store.work.resolve("out.bin");
                    cases++;
                    // the kernel may keep plaintext pages an earlier read verified (auto_cache): read cold
                    if (Store.isRoot()) Sh.ok(mnt, "sync; echo 1 > /proc/sys/vm/drop_caches");
                    Sh.Result cat = Sh.run(mnt, "bash", "-c", "cat \"$0\" > \"$1\"", c.key(), out.toString());
                    assertNotEquals(0, cat.exit(), c.name() + ": cat through the mount must fail");
                    assertTrue(cat.err().contains("Input/output error"), c.name() + ": EIO, got " + cat.err());
                    assertPrefix(content.get(c.key()), Files.readAllBytes(out), c.name() + " (mount)");
                    cases++;
                    Sh.Result scat = Sh.run(store.work, store.env(), commandLine("bash", "-c", "\"$0\" \"$@\" > out.bin",
                            "cat", "oss://" + B + "/" + c.key()));
                    assertEquals(1, scat.exit(), c.name() + ": ssefs cat\n" + scat);
                    assertTrue(scat.err().contains("oss://" + B + "/" + c.key()), c.name() + ": ssefs cat names the object\n" + scat);
                    assertFalse(scat.err().contains("\tat "), "no stack trace\n" + scat);
                    assertPrefix(content.get(c.key()), Files.readAllBytes(out), c.name() + " (ssefs cat)");
                    if (verifyRuns++ < 4) {
                        cases++;
                        Sh.Result v = store.run("verify", "oss://" + B, "--no-progress");
                        assertEquals(1, v.exit(), c.name() + ": ssefs verify\n" + v);
                        assertTrue((v.out() + v.err()).contains("oss://" + B + "/" + c.key()), c.name() + ": verify names the object\n" + v);
                    }
                } finally {
                    Files.write(blob.get(c.key()), saved);
                }
            }
            // restored: everything reads back through the mount, and verify passes
            for (var e : content.entrySet()) {
                assertArrayEquals(e.getValue(), Files.readAllBytes(mnt.resolve(e.getKey())), e.getKey());
            }
            Sh.Result v = store.run("verify", "oss://" + B, "--no-progress");
            assertEquals(0, v.exit(), v.toString());
            assertTrue(Files.readString(store.data.resolve("ssefs.log")).contains("oss://" + B + "/big/three"),
                    "the integrity failures are logged with the object's name");
        } finally {
            store.unmount(mnt);
        }
    }

    /** {@code bash -c SCRIPT launcher GLOBALS args...} */
    String[] commandLine(String bash, String c1, String script, String... args) {
        List<String> c = new ArrayList<>(List.of(bash, c1, script));
        c.add(Sh.launcher().toString());
        c.addAll(store.globals());
        c.addAll(Arrays.asList(args));
        return c.toArray(new String[0]);
    }
}
