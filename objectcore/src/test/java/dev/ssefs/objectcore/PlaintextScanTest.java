package dev.ssefs.objectcore;

import dev.ssefs.objectcore.internal.ObjectRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.ssefs.objectcore.StoreFixture.h;
import static org.junit.jupiter.api.Assertions.*;

/** Nothing the user wrote, and no data key, reaches disk in plaintext (back-to-origin objects excepted, by design). */
@DisplayName("Plaintext scan of the data dir")
class PlaintextScanTest {
    @TempDir Path dir;
    @TempDir Path origin;

    static final byte[] CANARY = "SSEFS-CANARY-7d1e0c-THIS-MUST-NEVER-BE-ON-DISK".getBytes(StandardCharsets.US_ASCII);
    static final byte[] MIRRORED = "SSEFS-MIRRORED-ORIGIN-DOCUMENT-STORED-AS-IS".getBytes(StandardCharsets.US_ASCII);

    static byte[] canaryData(int repeats) {
        ByteBuffer b = ByteBuffer.allocate(CANARY.length * repeats);
        for (int i = 0; i < repeats; i++) b.put(CANARY);
        return b.array();
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    static List<String> filesContaining(Path root, byte[] needle) throws Exception {
        List<String> hits = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p) && indexOf(Files.readAllBytes(p), needle) >= 0) hits.add(root.relativize(p).toString());
            }
        }
        return hits;
    }

    @Test
    @DisplayName("no known plaintext and no data-key bytes anywhere under the data dir, with every write path used")
    void scan() throws Exception {
        Files.write(origin.resolve("doc.txt"), MIRRORED);
        List<byte[]> dataKeys = new ArrayList<>();
        try (StoreFixture f = new StoreFixture(dir)) {
            Oss oss = f.root();
            oss.createBucket("scan", new BucketEncryptionRule("AES256", null, null));
            oss.createBucket("scan-none", null);
            byte[] data = canaryData(5000);
            oss.putObject("scan", "aes", StoreFixture.in(data), Map.of());
            oss.putObject("scan", "sm4", StoreFixture.in(data), h("x-oss-server-side-encryption", "SM4"));
            oss.putObject("scan", "kms", StoreFixture.in(data), h("x-oss-server-side-encryption", "KMS"));
            oss.putObject("scan", "kms-sm4", StoreFixture.in(data), h("x-oss-server-side-encryption", "KMS", "x-oss-server-side-data-encryption", "SM4"));
            oss.putObject("scan-none", "nosse", StoreFixture.in(data), Map.of());
            oss.appendObject("scan", "append", 0, StoreFixture.in(data), Map.of());
            oss.appendObject("scan", "append", data.length, StoreFixture.in(data), Map.of());
            String up = oss.initiateMultipartUpload("scan", "multi", Map.of());
            String e1 = oss.uploadPart("scan", "multi", up, 1, StoreFixture.in(data), Map.of());
            String up2 = oss.initiateMultipartUpload("scan", "pending", Map.of());
            oss.uploadPart("scan", "pending", up2, 1, StoreFixture.in(data), Map.of());
            oss.completeMultipartUpload("scan", "multi", up, new TreeMap<>(Map.of(1, e1)));
            try (Oss.ObjectWriter w = oss.newWriter("scan", "writer", Map.of(), null)) {
                w.write(ByteBuffer.wrap(data));
                w.commit();
            }
            oss.copyObject("scan", "aes", "scan-none", "copied", Map.of());
            oss.rename("scan", "writer", "renamed", false);
            oss.putBucketOrigin("scan", origin.toString());
            assertArrayEquals(MIRRORED, StoreFixture.readBytes(oss, "scan", "doc.txt", null));
            // the data keys, as the KMS unwraps them
            for (String[] bk : new String[][]{{"scan", "aes"}, {"scan", "sm4"}, {"scan", "kms"}, {"scan", "kms-sm4"},
                    {"scan-none", "nosse"}, {"scan", "append"}, {"scan", "multi"}, {"scan", "renamed"}, {"scan-none", "copied"}}) {
                ObjectRecord r = f.store.record(bk[0], bk[1]);
                dataKeys.add(f.store.keys.unwrap(r, "root", bk[1]));
            }
            assertEquals(List.of(), filesContaining(dir, CANARY), "plaintext on disk while the store is open");
            for (byte[] k : dataKeys) assertEquals(List.of(), filesContaining(dir, k), "a data key on disk while the store is open");
        }
        assertEquals(List.of(), filesContaining(dir, CANARY), "plaintext on disk after close");
        for (byte[] k : dataKeys) {
            assertTrue(k.length >= 16);
            assertEquals(List.of(), filesContaining(dir, k), "a data key on disk after close");
        }
        // positive control: the scan does find what is stored as-is (a back-to-origin object, as OSS stores it)
        assertEquals(1, filesContaining(dir, MIRRORED).size());
    }
}
