package dev.ssefs.objectcore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.ssefs.objectcore.OssSemanticsTest.assertOss;
import static dev.ssefs.objectcore.StoreFixture.in;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("Buckets, the encryption-rule XML, and ListObjects")
class BucketsAndListingTest {
    @TempDir Path dir;
    StoreFixture f;
    Oss oss;

    @BeforeEach
    void setUp() {
        f = new StoreFixture(dir);
        oss = f.root();
    }

    @AfterEach
    void tearDown() { f.close(); }

    @Nested
    @DisplayName("Buckets")
    class Buckets {
        @ParameterizedTest
        @ValueSource(strings = {"ab", "-abc", "abc-", "ABC", "a_b", "a.b", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        @DisplayName("bad names are 400 InvalidBucketName")
        void badNames(String name) {
            OssException e = assertOss(400, "InvalidBucketName", null, () -> oss.createBucket(name, null));
            assertTrue(e.getMessage().startsWith("The specified bucket is not valid."), e.getMessage());
        }

        @ParameterizedTest
        @ValueSource(strings = {"abc", "a-b", "0-9", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        @DisplayName("good names are accepted")
        void goodNames(String name) {
            assertEquals(name, oss.createBucket(name, null).name());
        }

        @Test
        @DisplayName("409 BucketAlreadyExists, 404 NoSuchBucket, 409 BucketNotEmpty; list and info")
        void lifecycle() throws Exception {
            oss.createBucket("life", new BucketEncryptionRule("AES256", null, null));
            assertOss(409, "BucketAlreadyExists", null, () -> oss.createBucket("life", null));
            assertOss(404, "NoSuchBucket", "The specified bucket does not exist. Bucket: nope", () -> oss.getBucketInfo("nope"));
            assertOss(404, "NoSuchBucket", null, () -> oss.putObject("nope", "k", in("x"), Map.of()));
            assertEquals(new BucketEncryptionRule("AES256", null, null), oss.getBucketInfo("life").rule());
            oss.createBucket("aaa", null);
            assertEquals(List.of("aaa", "life"), oss.listBuckets().stream().map(BucketInfo::name).toList());
            oss.putObject("life", "k", in("x"), Map.of());
            assertOss(409, "BucketNotEmpty", null, () -> oss.deleteBucket("life"));
            oss.deleteObject("life", "k");
            oss.deleteBucket("life");
            assertOss(404, "NoSuchBucket", null, () -> oss.deleteBucket("life"));
        }

        @Test
        @DisplayName("an origin must be an existing directory or an http(s) URL")
        void origin() {
            oss.createBucket("orig", null);
            assertOss(400, "InvalidArgument", null, () -> oss.putBucketOrigin("orig", "/no/such/dir"));
            oss.putBucketOrigin("orig", "https://example.com/base");
            assertEquals("https://example.com/base", oss.getBucketOrigin("orig"));
            oss.putBucketOrigin("orig", null);
            assertNull(oss.getBucketOrigin("orig"));
        }
    }

    @Nested
    @DisplayName("BucketEncryptionXml")
    class Xml {
        @Test
        @DisplayName("parses and writes the reference XML")
        void roundTrip() {
            String xml = "<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm>"
                    + "<KMSMasterKeyID>key-1</KMSMasterKeyID><KMSDataEncryption>SM4</KMSDataEncryption>"
                    + "</ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>";
            BucketEncryptionRule r = BucketEncryptionXml.parse(xml);
            assertEquals(new BucketEncryptionRule("KMS", "key-1", "SM4"), r);
            assertEquals(r, BucketEncryptionXml.parse(BucketEncryptionXml.write(r)));
            BucketEncryptionRule empty = BucketEncryptionXml.parse("<ServerSideEncryptionRule>\n <ApplyServerSideEncryptionByDefault>"
                    + "<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID></KMSMasterKeyID></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>");
            assertEquals(new BucketEncryptionRule("KMS", null, null), empty);
            assertTrue(BucketEncryptionXml.write(new BucketEncryptionRule("AES256", null, null)).contains("<KMSMasterKeyID/>")
                    || BucketEncryptionXml.write(new BucketEncryptionRule("AES256", null, null)).contains("<KMSMasterKeyID></KMSMasterKeyID>"));
        }

        @ParameterizedTest
        @ValueSource(strings = {
                "",
                "not xml",
                "<ServerSideEncryptionRule>",
                "<Other><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Other>",
                "<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>",
                "<ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm><Bogus/></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>",
                "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><ServerSideEncryptionRule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>&x;</SSEAlgorithm></ApplyServerSideEncryptionByDefault></ServerSideEncryptionRule>",
        })
        @DisplayName("malformed XML, and DTDs/external entities, are 400 MalformedXML")
        void malformed(String xml) {
            OssException e = assertOss(400, "MalformedXML", null, () -> BucketEncryptionXml.parse(xml));
            assertTrue(e.getMessage().startsWith(BucketEncryptionXml.MALFORMED_XML_MESSAGE));
            assertFalse(e.getMessage().contains("root:"), "no file content leaks into messages");
        }
    }

    @Nested
    @DisplayName("ListObjects")
    class Listing {
        @BeforeEach
        void fill() throws Exception {
            oss.createBucket("lst", null);
            oss.createBucket("lst-other", null);
            oss.createBucket("lsx", null);
            for (String k : List.of("a", "b/1", "b/2", "b/c/3", "c", "d/", "d/x", "e")) oss.putObject("lst", k, in(k), Map.of());
            oss.putObject("lst-other", "a0", in("x"), Map.of());
            oss.putObject("lsx", "t/a", in("x"), Map.of());
        }

        List<String> keys(ListResult r) { return r.objects().stream().map(ObjectMeta::key).toList(); }

        @Test
        @DisplayName("lexicographic, only this bucket's keys")
        void all() {
            ListResult r = oss.listObjects("lst", null, null, null, 100);
            assertEquals(List.of("a", "b/1", "b/2", "b/c/3", "c", "d/", "d/x", "e"), keys(r));
            assertFalse(r.truncated());
            assertNull(r.nextMarker());
        }

        @Test
        @DisplayName("prefix and delimiter give common prefixes")
        void delimiter() {
            ListResult r = oss.listObjects("lst", null, "/", null, 100);
            assertEquals(List.of("a", "c", "e"), keys(r));
            assertEquals(List.of("b/", "d/"), r.commonPrefixes());
            r = oss.listObjects("lst", "b/", "/", null, 100);
            assertEquals(List.of("b/1", "b/2"), keys(r));
            assertEquals(List.of("b/c/"), r.commonPrefixes());
            r = oss.listObjects("lst", "d/", "/", null, 100);
            assertEquals(List.of("d/", "d/x"), keys(r));
        }

        @Test
        @DisplayName("max-keys pages with nextMarker, counting common prefixes; marker is exclusive")
        void paging() {
            List<String> seen = new ArrayList<>();
            String marker = null;
            int pages = 0;
            do {
                ListResult r = oss.listObjects("lst", null, "/", marker, 2);
                seen.addAll(keys(r));
                seen.addAll(r.commonPrefixes());
                assertTrue(r.objects().size() + r.commonPrefixes().size() <= 2);
                marker = r.truncated() ? r.nextMarker() : null;
                pages++;
            } while (marker != null);
            assertEquals(3, pages);
            assertEquals(List.of("a", "b/", "c", "d/", "e"), seen.stream().sorted().toList());
            assertEquals(List.of("c", "d/", "d/x", "e"), keys(oss.listObjects("lst", null, null, "b/c/3", 100)));
            assertOss(400, "InvalidArgument", null, () -> oss.listObjects("lst", null, null, null, 1001));
        }

        @Test
        @DisplayName("scales: 20k index entries list page by page through range seeks, and pages stay correct")
        void many() {
            oss.createBucket("many", null);
            f.store.meta.commit(tx -> {
                for (int i = 0; i < 200; i++) {
                    for (int j = 0; j < 100; j++) {
                        String blob = String.format("%032x", i * 1000L + j);
                        f.store.meta.putObject(tx, "many", String.format("d%03d/f%03d", i, j),
                                new dev.ssefs.objectcore.internal.ObjectRecord(0, false, 1, "E", 0, "t", null, null, false,
                                        null, null, blob, Map.of(), null));
                    }
                }
                return null;
            });
            ListResult top = oss.listObjects("many", null, "/", null, 1000);
            assertEquals(200, top.commonPrefixes().size());
            assertEquals("d000/", top.commonPrefixes().get(0));
            ListResult page = oss.listObjects("many", "d150/", "/", "d150/f049", 10);
            assertEquals(List.of("d150/f050", "d150/f051", "d150/f052", "d150/f053", "d150/f054", "d150/f055", "d150/f056",
                    "d150/f057", "d150/f058", "d150/f059"), keys(page));
            assertTrue(page.truncated());
            assertEquals("d150/f059", page.nextMarker());
            int n = 0;
            String marker = null;
            do {
                ListResult r = oss.listObjects("many", "d1", null, marker, 1000);
                n += r.objects().size();
                marker = r.truncated() ? r.nextMarker() : null;
            } while (marker != null);
            assertEquals(10_000, n);
        }
    }
}
