package dev.ssefs.objectcore;

import dev.ssefs.keys.Kms;
import dev.ssefs.keys.KmsException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.ssefs.objectcore.StoreFixture.h;
import static dev.ssefs.objectcore.StoreFixture.in;
import static dev.ssefs.objectcore.StoreFixture.read;
import static org.junit.jupiter.api.Assertions.*;

/** The 15 OSS SSE behaviours of the reference (oss-semantics.md), each with exact codes and messages. */
@DisplayName("OSS server-side encryption semantics")
class OssSemanticsTest {
    static final String SSE = "x-oss-server-side-encryption";
    static final String KEY_ID = "x-oss-server-side-encryption-key-id";
    static final String DATA = "x-oss-server-side-data-encryption";

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

    static OssException assertOss(int status, String code, String message, Executable call) {
        OssException e = assertThrows(OssException.class, call);
        assertEquals(code, e.code(), () -> "code of " + e);
        assertEquals(status, e.httpStatus(), () -> "status of " + e);
        if (message != null) assertEquals(message, e.getMessage());
        return e;
    }

    String newCmk() { return f.kms.as("root").createKey(Kms.CreateKeyRequest.defaults()).keyId(); }

    String defaultCmkId() { return f.kms.as("root").describeKey("alias/acs/oss").keyId(); }

    @Nested
    @DisplayName("1. SSE headers, values and errors")
    class HeadersAndErrors {
        @BeforeEach
        void bucket() { oss.createBucket("hdr", null); }

        @Test
        @DisplayName("an unknown x-oss-server-side-encryption is 400 InvalidEncryptionAlgorithmError")
        void badAlgorithm() {
            assertOss(400, "InvalidEncryptionAlgorithmError",
                    "The Encryption request you specified is not valid. Supported value: AES256/SM4/KMS",
                    () -> oss.putObject("hdr", "k", in("x"), h(SSE, "aes256")));
            assertOss(400, "InvalidEncryptionAlgorithmError",
                    "The Encryption request you specified is not valid. Supported value: AES256/SM4/KMS",
                    () -> oss.putObject("hdr", "k", in("x"), h(SSE, "DES")));
        }

        @Test
        @DisplayName("an x-oss-server-side-data-encryption other than SM4 is 400 InvalidDataEncryptionAlgorithmError")
        void badDataAlgorithm() {
            assertOss(400, "InvalidDataEncryptionAlgorithmError",
                    "The KMS Data Encryption request you specified is not valid. Supported value:SM4",
                    () -> oss.putObject("hdr", "k", in("x"), h(SSE, "KMS", DATA, "AES256")));
        }

        @Test
        @DisplayName("a key id without KMS is 400 InvalidArgument")
        void keyIdWithoutKms() {
            assertOss(400, "InvalidArgument", null, () -> oss.putObject("hdr", "k", in("x"), h(SSE, "AES256", KEY_ID, "abc")));
        }

        @Test
        @DisplayName("responses carry SSE headers exactly when encrypted, with the CMK actually used")
        void responseHeaders() throws Exception {
            assertEquals(Map.of(), oss.putObject("hdr", "plain", in("x"), Map.of()).sseHeaders());
            assertEquals(Map.of(), oss.headObject("hdr", "plain").sseHeaders());
            assertFalse(oss.headObject("hdr", "plain").responseHeaders().containsKey(SSE));

            assertEquals(Map.of(SSE, "AES256"), oss.putObject("hdr", "aes", in("x"), h(SSE, "AES256")).sseHeaders());
            assertEquals(Map.of(SSE, "SM4"), oss.putObject("hdr", "sm4", in("x"), h(SSE, "SM4")).sseHeaders());

            ObjectMeta kmsDefault = oss.putObject("hdr", "kms", in("x"), h(SSE, "KMS"));
            assertEquals(Map.of(SSE, "KMS", KEY_ID, defaultCmkId()), kmsDefault.sseHeaders());
            String cmk = newCmk();
            ObjectMeta named = oss.putObject("hdr", "kms2", in("x"), h(SSE, "KMS", KEY_ID, cmk, DATA, "SM4"));
            assertEquals(Map.of(SSE, "KMS", KEY_ID, cmk, DATA, "SM4"), named.sseHeaders());
            assertEquals(named.sseHeaders(), oss.headObject("hdr", "kms2").sseHeaders());
            assertEquals(named.sseHeaders(), oss.getObject("hdr", "kms2", null).meta().sseHeaders());
            assertEquals("x", read(oss, "hdr", "kms2"));
            assertEquals("KMS", oss.headObject("hdr", "kms2").responseHeaders().get(SSE));
        }

        @Test
        @DisplayName("an Aliyun_SM4 CMK encrypts data with SM4 and says so")
        void sm4Cmk() throws Exception {
            String cmk = f.kms.as("root").createKey(new Kms.CreateKeyRequest("Aliyun_SM4", "Aliyun_KMS", "", false, null)).keyId();
            ObjectMeta m = oss.putObject("hdr", "k", in("sm4 data"), h(SSE, "KMS", KEY_ID, cmk));
            assertEquals(Map.of(SSE, "KMS", KEY_ID, cmk, DATA, "SM4"), m.sseHeaders());
            assertEquals("sm4 data", read(oss, "hdr", "k"));
        }
    }

    @Nested
    @DisplayName("2-4. Bucket default rule")
    class BucketDefault {
        @Test
        @DisplayName("2. the bucket default applies to writes without an SSE header; a new bucket defaults to AES256 when told")
        void defaultApplies() throws Exception {
            oss.createBucket("dflt", new BucketEncryptionRule("KMS", null, "SM4"));
            ObjectMeta m = oss.putObject("dflt", "k", in("x"), Map.of());
            assertEquals(Map.of(SSE, "KMS", KEY_ID, defaultCmkId(), DATA, "SM4"), m.sseHeaders());
            try (Oss.ObjectWriter w = oss.newWriter("dflt", "w", Map.of(), null)) {
                w.write(ByteBuffer.wrap(new byte[]{1}));
                assertEquals("KMS", w.commit().sseHeaders().get(SSE));
            }
        }

        @Test
        @DisplayName("3. a request header overrides the bucket default")
        void headerOverrides() throws Exception {
            oss.createBucket("ovr", new BucketEncryptionRule("AES256", null, null));
            assertEquals(Map.of(SSE, "SM4"), oss.putObject("ovr", "k", in("x"), h(SSE, "SM4")).sseHeaders());
            String cmk = newCmk();
            assertEquals(Map.of(SSE, "KMS", KEY_ID, cmk), oss.putObject("ovr", "k2", in("x"), h(SSE, "KMS", KEY_ID, cmk)).sseHeaders());
        }

        @Test
        @DisplayName("4. existing objects are never changed by a new rule")
        void existingUnchanged() throws Exception {
            oss.createBucket("exist", null);
            oss.putObject("exist", "before", in("x"), Map.of());
            oss.putBucketEncryption("exist", new BucketEncryptionRule("SM4", null, null));
            assertEquals(Map.of(), oss.headObject("exist", "before").sseHeaders());
            oss.putObject("exist", "after", in("y"), Map.of());
            assertEquals(Map.of(SSE, "SM4"), oss.headObject("exist", "after").sseHeaders());
            oss.deleteBucketEncryption("exist");
            assertEquals(Map.of(SSE, "SM4"), oss.headObject("exist", "after").sseHeaders());
            assertEquals("x", read(oss, "exist", "before"));
        }
    }

    @Nested
    @DisplayName("5-6. CopyObject")
    class Copy {
        @Test
        @DisplayName("5. CopyObject never inherits the source's SSE, even with x-oss-metadata-directive COPY")
        void neverInherits() throws Exception {
            oss.createBucket("src", null);
            oss.createBucket("dst-none", null);
            oss.createBucket("dst-aes", new BucketEncryptionRule("AES256", null, null));
            String cmk = newCmk();
            oss.putObject("src", "k", in("secret"), h(SSE, "KMS", KEY_ID, cmk, "x-oss-meta-Color", "blue"));
            ObjectMeta a = oss.copyObject("src", "k", "dst-none", "k", h("x-oss-metadata-directive", "COPY"));
            assertEquals(Map.of(), a.sseHeaders());
            assertEquals(Map.of("x-oss-meta-color", "blue"), a.userMetadata());
            ObjectMeta b = oss.copyObject("src", "k", "dst-aes", "k", Map.of());
            assertEquals(Map.of(SSE, "AES256"), b.sseHeaders());
            ObjectMeta c = oss.copyObject("src", "k", "dst-aes", "k2", h(SSE, "SM4"));
            assertEquals(Map.of(SSE, "SM4"), c.sseHeaders());
            assertEquals("secret", read(oss, "dst-aes", "k2"));
            ObjectMeta d = oss.copyObject("src", "k", "dst-aes", "k3", h("x-oss-metadata-directive", "REPLACE", "x-oss-meta-Size", "L"));
            assertEquals(Map.of("x-oss-meta-size", "L"), d.userMetadata());
            assertOss(400, "InvalidArgument", null, () -> oss.copyObject("src", "k", "dst-aes", "k4", h("x-oss-metadata-directive", "MOVE")));
        }

        @Test
        @DisplayName("6. CopyObject onto itself with a new SSE header re-encrypts it (new data key, same plaintext and metadata)")
        void ontoItself() throws Exception {
            oss.createBucket("self", null);
            ObjectMeta before = oss.putObject("self", "k", in("re-encrypt me"), h("x-oss-meta-a", "1"));
            PosixAttributes p = new PosixAttributes(0100640, 1, 2, 3, 4, 5, null);
            oss.updateMetadata("self", "k", p, null);
            assertEquals(Map.of(), before.sseHeaders());
            String cmk = newCmk();
            ObjectMeta after = oss.copyObject("self", "k", "self", "k", h(SSE, "KMS", KEY_ID, cmk));
            assertEquals(Map.of(SSE, "KMS", KEY_ID, cmk), after.sseHeaders());
            assertEquals(Map.of("x-oss-meta-a", "1"), after.userMetadata());
            assertEquals(p, after.posix());
            assertEquals(before.etag(), after.etag());
            assertEquals("re-encrypt me", read(oss, "self", "k"));
            ObjectMeta again = oss.copyObject("self", "k", "self", "k", h(SSE, "AES256"));
            assertEquals(Map.of(SSE, "AES256"), again.sseHeaders());
            assertEquals("re-encrypt me", read(oss, "self", "k"));
        }
    }

    @Nested
    @DisplayName("7. Multipart upload")
    class Multipart {
        @Test
        @DisplayName("SSE is fixed at Initiate; an SSE header on UploadPart is 400 InvalidArgument")
        void fixedAtInitiate() throws Exception {
            oss.createBucket("mpu", new BucketEncryptionRule("AES256", null, null));
            String id = oss.initiateMultipartUpload("mpu", "big", h(SSE, "SM4", "x-oss-meta-Kind", "mpu"));
            oss.putBucketEncryption("mpu", new BucketEncryptionRule("KMS", null, null));
            assertOss(400, "InvalidArgument", null, () -> oss.uploadPart("mpu", "big", id, 1, in("a"), h(SSE, "AES256")));
            String e1 = oss.uploadPart("mpu", "big", id, 1, in("part one,"), Map.of());
            String e2 = oss.uploadPart("mpu", "big", id, 2, in("part two"), Map.of());
            ObjectMeta m = oss.completeMultipartUpload("mpu", "big", id, new TreeMap<>(Map.of(1, e1, 2, "\"" + e2 + "\"")));
            assertEquals(Map.of(SSE, "SM4"), m.sseHeaders());
            assertTrue(m.etag().endsWith("-2"), m.etag());
            assertEquals(Map.of("x-oss-meta-kind", "mpu"), m.userMetadata());
            assertEquals("part one,part two", read(oss, "mpu", "big"));
        }

        @Test
        @DisplayName("NoSuchUpload, InvalidPart and InvalidPartOrder; Abort frees the parts")
        void errors() throws Exception {
            oss.createBucket("mp2", null);
            String id = oss.initiateMultipartUpload("mp2", "k", Map.of());
            String e1 = oss.uploadPart("mp2", "k", id, 1, in("a"), Map.of());
            String e2 = oss.uploadPart("mp2", "k", id, 2, in("b"), Map.of());
            assertOss(400, "InvalidPart", null, () -> oss.completeMultipartUpload("mp2", "k", id, new TreeMap<>(Map.of(1, e1, 3, e2))));
            assertOss(400, "InvalidPart", null, () -> oss.completeMultipartUpload("mp2", "k", id, new TreeMap<>(Map.of(1, e2))));
            assertOss(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts list must be specified in order by part number.",
                    () -> oss.completeMultipartUpload("mp2", "k", id, List.of(new Oss.CompletedPart(2, e2), new Oss.CompletedPart(1, e1))));
            assertOss(409, "BucketNotEmpty", null, () -> oss.deleteBucket("mp2"));
            oss.abortMultipartUpload("mp2", "k", id);
            assertOss(404, "NoSuchUpload", null, () -> oss.uploadPart("mp2", "k", id, 3, in("c"), Map.of()));
            assertOss(404, "NoSuchUpload", null, () -> oss.completeMultipartUpload("mp2", "k", id, new TreeMap<>(Map.of(1, e1))));
            oss.deleteBucket("mp2");
        }
    }

    @Nested
    @DisplayName("8. AppendObject")
    class Append {
        @Test
        @DisplayName("SSE is fixed by the first append; later SSE headers are ignored")
        void fixedByFirstAppend() throws Exception {
            oss.createBucket("app", null);
            ObjectMeta m = oss.appendObject("app", "log", 0, in("one,"), h(SSE, "SM4"));
            assertEquals(Map.of(SSE, "SM4"), m.sseHeaders());
            m = oss.appendObject("app", "log", 4, in("two"), h(SSE, "AES256", KEY_ID, "whatever"));
            assertEquals(Map.of(SSE, "SM4"), m.sseHeaders());
            assertEquals(7, m.size());
            assertEquals("one,two", read(oss, "app", "log"));
        }

        @Test
        @DisplayName("a CMK id cannot be given for appendable objects: 400 InvalidArgument")
        void noCmkId() {
            oss.createBucket("app2", null);
            assertOss(400, "InvalidArgument", "x-oss-server-side-encryption-key-id is not supported for appendable objects.",
                    () -> oss.appendObject("app2", "log", 0, in("x"), h(SSE, "KMS", KEY_ID, newCmk())));
        }

        @Test
        @DisplayName("409 PositionNotEqualToLength and 409 ObjectNotAppendable")
        void errors() throws Exception {
            oss.createBucket("app3", new BucketEncryptionRule("KMS", null, null));
            ObjectMeta m = oss.appendObject("app3", "log", 0, in("abc"), Map.of());
            assertEquals("KMS", m.sseHeaders().get(SSE));
            assertOss(409, "PositionNotEqualToLength", "Position is not equal to file length. x-oss-next-append-position: 3",
                    () -> oss.appendObject("app3", "log", 2, in("x"), Map.of()));
            oss.putObject("app3", "normal", in("n"), Map.of());
            assertOss(409, "ObjectNotAppendable", "The object is not appendable. Object: oss://app3/normal",
                    () -> oss.appendObject("app3", "normal", 1, in("x"), Map.of()));
        }
    }

    @Test
    @DisplayName("9. user metadata is x-oss-meta-* with lower-cased names, and is not encrypted into the data")
    void userMetadataLowerCased() throws Exception {
        oss.createBucket("meta", new BucketEncryptionRule("AES256", null, null));
        ObjectMeta m = oss.putObject("meta", "k", in("x"), h("X-OSS-Meta-Author", "Ann", "x-oss-meta-TAG", "t", "Cache-Control", "no"));
        assertEquals(Map.of("x-oss-meta-author", "Ann", "x-oss-meta-tag", "t"), m.userMetadata());
        assertEquals("Ann", oss.headObject("meta", "k").responseHeaders().get("x-oss-meta-author"));
    }

    @Test
    @DisplayName("10. the default CMK (alias alias/acs/oss) is created on first use")
    void defaultCmkOnFirstUse() throws Exception {
        KmsException none = assertThrows(KmsException.class, () -> f.kms.as("root").describeKey("alias/acs/oss"));
        assertEquals(404, none.httpStatus());
        oss.createBucket("dcmk", new BucketEncryptionRule("KMS", "", null));
        assertThrows(KmsException.class, () -> f.kms.as("root").describeKey("alias/acs/oss"));
        ObjectMeta m = oss.putObject("dcmk", "k", in("x"), Map.of());
        String id = f.kms.as("root").describeKey("alias/acs/oss").keyId();
        assertEquals(id, m.sseHeaders().get(KEY_ID));
        assertEquals(id, oss.putObject("dcmk", "k2", in("y"), h(SSE, "KMS")).sseHeaders().get(KEY_ID));
    }

    @Nested
    @DisplayName("11-12. Bucket encryption rule")
    class Rule {
        @Test
        @DisplayName("11. KMSMasterKeyID with a non-KMS algorithm is 400 InvalidArgument")
        void keyIdWithNonKms() {
            oss.createBucket("rule", null);
            assertOss(400, "InvalidArgument", "KMSMasterKeyID is not applicable if the default sse algorithm is not KMS",
                    () -> oss.putBucketEncryption("rule", new BucketEncryptionRule("AES256", "some-key", null)));
            assertOss(400, "InvalidArgument", "KMSMasterKeyID is not applicable if the default sse algorithm is not KMS",
                    () -> oss.createBucket("rule2", new BucketEncryptionRule("SM4", "some-key", null)));
            assertOss(400, "InvalidEncryptionAlgorithmError",
                    "The Encryption request you specified is not valid. Supported value: AES256/SM4/KMS",
                    () -> oss.putBucketEncryption("rule", new BucketEncryptionRule("RSA", null, null)));
            assertOss(400, "InvalidDataEncryptionAlgorithmError",
                    "The KMS Data Encryption request you specified is not valid. Supported value:SM4",
                    () -> oss.putBucketEncryption("rule", new BucketEncryptionRule("KMS", null, "AES")));
        }

        @Test
        @DisplayName("12. GetBucketEncryption without a rule is 404 NoSuchServerSideEncryptionRule; Put/Get/Delete round-trip")
        void getWithoutRule() {
            oss.createBucket("norule", null);
            assertOss(404, "NoSuchServerSideEncryptionRule", "The server side encryption configuration was not found.",
                    () -> oss.getBucketEncryption("norule"));
            String cmk = newCmk();
            oss.putBucketEncryption("norule", new BucketEncryptionRule("KMS", cmk, "SM4"));
            assertEquals(new BucketEncryptionRule("KMS", cmk, "SM4"), oss.getBucketEncryption("norule"));
            oss.deleteBucketEncryption("norule");
            assertOss(404, "NoSuchServerSideEncryptionRule", "The server side encryption configuration was not found.",
                    () -> oss.getBucketEncryption("norule"));
        }

        @Test
        @DisplayName("a named CMK in a rule must exist")
        void namedCmkMustExist() {
            oss.createBucket("rule3", null);
            assertOss(404, "KeyNotFound", "The specified parameter KMS keyId is not found.",
                    () -> oss.putBucketEncryption("rule3", new BucketEncryptionRule("KMS", "no-such-key", null)));
        }
    }

    @Nested
    @DisplayName("13. Key states refuse reads and writes")
    class KeyStates {
        String cmk;

        @BeforeEach
        void setUp() throws Exception {
            oss.createBucket("kst", null);
            cmk = newCmk();
            oss.putObject("kst", "k", in("data"), h(SSE, "KMS", KEY_ID, cmk));
        }

        void assertReadsAndWritesRefused(int status, String code, String message) throws Exception {
            assertOss(status, code, message, () -> oss.getObject("kst", "k", null));
            assertOss(status, code, message, () -> oss.openReader("kst", "k"));
            assertOss(status, code, message, () -> oss.putObject("kst", "k2", in("x"), h(SSE, "KMS", KEY_ID, cmk)));
            assertOss(status, code, message, () -> oss.copyObject("kst", "k", "kst", "k3", h(SSE, "AES256")));
            assertOss(status, code, message, () -> oss.newWriter("kst", "k4", h(SSE, "KMS", KEY_ID, cmk), null));
            assertOss(status, code, message, () -> oss.initiateMultipartUpload("kst", "k5", h(SSE, "KMS", KEY_ID, cmk)));
        }

        @Test
        @DisplayName("Disabled: 409 KeyDisabled, also on an already open reader's next read; Enable restores")
        void disabled() throws Exception {
            Oss.ObjectReader open = oss.openReader("kst", "k");
            f.kms.as("root").disableKey(cmk);
            assertReadsAndWritesRefused(409, "KeyDisabled", "The request was rejected because the key state is Disabled.");
            assertOss(409, "KeyDisabled", "The request was rejected because the key state is Disabled.",
                    () -> open.read(0, ByteBuffer.allocate(4)));
            f.kms.as("root").enableKey(cmk);
            assertEquals("data", read(oss, "kst", "k"));
            ByteBuffer b = ByteBuffer.allocate(4);
            assertEquals(4, open.read(0, b));
            open.close();
        }

        @Test
        @DisplayName("a writer whose CMK is disabled before commit fails the commit and keeps the previous version")
        void disabledBeforeCommit() throws Exception {
            Oss.ObjectWriter w = oss.newWriter("kst", "k", h(SSE, "KMS", KEY_ID, cmk), null);
            w.write(ByteBuffer.wrap("new data".getBytes()));
            f.kms.as("root").disableKey(cmk);
            assertOss(409, "KeyDisabled", "The request was rejected because the key state is Disabled.", w::commit);
            w.close();
            f.kms.as("root").enableKey(cmk);
            assertEquals("data", read(oss, "kst", "k"));
        }

        @Test
        @DisplayName("PendingDeletion: 409 KeyPendingDeletion")
        void pendingDeletion() throws Exception {
            f.kms.as("root").scheduleKeyDeletion(cmk, 7);
            assertReadsAndWritesRefused(409, "KeyPendingDeletion", null);
        }

        @Test
        @DisplayName("deleted: 404 KeyNotFound")
        void deleted() throws Exception {
            f.kms.as("root").scheduleKeyDeletion(cmk, 7);
            f.clock.advance(Duration.ofDays(8));
            assertReadsAndWritesRefused(404, "KeyNotFound", "The specified parameter KMS keyId is not found.");
            assertOss(404, "KeyNotFound", "The specified parameter KMS keyId is not found.",
                    () -> oss.putObject("kst", "k6", in("x"), h(SSE, "KMS", KEY_ID, "no-such-key")));
        }
    }

    @Nested
    @DisplayName("14. Permissions")
    class Permissions {
        String acct;
        String cmk;

        @BeforeEach
        void setUp() throws Exception {
            acct = f.kms.accountId();
            oss.createBucket("perm", null);
            cmk = newCmk();
            oss.putObject("perm", "kms", in("kms data"), h(SSE, "KMS", KEY_ID, cmk));
            oss.putObject("perm", "aes", in("aes data"), h(SSE, "AES256"));
        }

        void policy(String principal, String... statements) {
            f.kms.policies().putPolicy(principal, "{\"Version\":\"1\",\"Statement\":[" + String.join(",", statements) + "]}");
        }

        String allow(String actions, String resources) {
            return "{\"Effect\":\"Allow\",\"Action\":[" + actions + "],\"Resource\":[" + resources + "]}";
        }

        @Test
        @DisplayName("OSS actions are checked on acs:oss:*:{account}:{bucket}/{key}; denial is 403 AccessDenied")
        void ossActions() throws Exception {
            policy("reader", allow("\"oss:GetObject\"", "\"acs:oss:*:" + acct + ":perm/aes\""));
            Oss reader = f.store.as("reader");
            assertEquals("aes data", read(reader, "perm", "aes"));
            OssException e = assertOss(403, "AccessDenied", null, () -> reader.putObject("perm", "x", in("x"), Map.of()));
            assertTrue(e.getMessage().contains("oss:PutObject") && e.getMessage().contains("acs:oss:*:" + acct + ":perm/x"), e.getMessage());
            assertOss(403, "AccessDenied", null, () -> reader.headObject("perm", "kms2"));
            assertOss(403, "AccessDenied", null, () -> reader.deleteObject("perm", "aes"));
            assertOss(403, "AccessDenied", null, () -> reader.listObjects("perm", null, null, null, 100));
            assertOss(403, "AccessDenied", null, () -> reader.getBucketEncryption("perm"));
            assertOss(403, "AccessDenied", null, () -> reader.copyObject("perm", "aes", "perm", "aes2", Map.of()));
            assertOss(403, "AccessDenied", null, () -> f.store.as("nobody").getObject("perm", "aes", null));
        }

        @Test
        @DisplayName("reading a KMS object needs kms:Decrypt: 403 AccessDenied 'This request is forbidden by kms.'")
        void kmsDecrypt() throws Exception {
            policy("reader", allow("\"oss:GetObject\"", "\"acs:oss:*:" + acct + ":perm/*\""));
            Oss reader = f.store.as("reader");
            assertEquals("aes data", read(reader, "perm", "aes"));
            assertOss(403, "AccessDenied", "This request is forbidden by kms.", () -> reader.getObject("perm", "kms", null));
            assertOss(403, "AccessDenied", "This request is forbidden by kms.", () -> reader.openReader("perm", "kms"));
            policy("reader", allow("\"oss:GetObject\"", "\"acs:oss:*:" + acct + ":perm/*\""),
                    allow("\"kms:Decrypt\"", "\"acs:kms:*:" + acct + ":key/*\""));
            assertEquals("kms data", read(reader, "perm", "kms"));
        }

        @Test
        @DisplayName("writing with KMS needs kms:GenerateDataKey: 403 AccessDenied 'This request is forbidden by kms.'")
        void kmsGenerate() throws Exception {
            policy("writer", allow("\"oss:PutObject\"", "\"acs:oss:*:" + acct + ":perm/*\""));
            Oss writer = f.store.as("writer");
            writer.putObject("perm", "w1", in("x"), h(SSE, "AES256"));
            assertOss(403, "AccessDenied", "This request is forbidden by kms.",
                    () -> writer.putObject("perm", "w2", in("x"), h(SSE, "KMS", KEY_ID, cmk)));
            assertOss(403, "AccessDenied", "This request is forbidden by kms.",
                    () -> writer.initiateMultipartUpload("perm", "w3", h(SSE, "KMS", KEY_ID, cmk)));
            policy("writer", allow("\"oss:PutObject\"", "\"acs:oss:*:" + acct + ":perm/*\""),
                    allow("\"kms:GenerateDataKey\"", "\"acs:kms:*:" + acct + ":key/" + cmk + "\""));
            assertEquals(cmk, writer.putObject("perm", "w2", in("x"), h(SSE, "KMS", KEY_ID, cmk)).sseHeaders().get(KEY_ID));
        }

        @Test
        @DisplayName("a rule with a named CMK needs kms:List* and kms:DescribeKey on it")
        void ruleNeedsDescribeAndList() {
            policy("admin", allow("\"oss:PutBucketEncryption\"", "\"acs:oss:*:" + acct + ":perm\""));
            Oss admin = f.store.as("admin");
            admin.putBucketEncryption("perm", new BucketEncryptionRule("AES256", null, null));
            assertOss(403, "AccessDenied", "This request is forbidden by kms.",
                    () -> admin.putBucketEncryption("perm", new BucketEncryptionRule("KMS", cmk, null)));
            policy("admin", allow("\"oss:PutBucketEncryption\"", "\"acs:oss:*:" + acct + ":perm\""),
                    allow("\"kms:DescribeKey\"", "\"acs:kms:*:" + acct + ":*\""));
            assertOss(403, "AccessDenied", "This request is forbidden by kms.",
                    () -> admin.putBucketEncryption("perm", new BucketEncryptionRule("KMS", cmk, null)));
            policy("admin", allow("\"oss:PutBucketEncryption\"", "\"acs:oss:*:" + acct + ":perm\""),
                    allow("\"kms:List*\",\"kms:DescribeKey\"", "\"acs:kms:*:" + acct + ":*\""));
            admin.putBucketEncryption("perm", new BucketEncryptionRule("KMS", cmk, null));
        }
    }

    @Nested
    @DisplayName("15. Mirroring-based back-to-origin")
    class BackToOrigin {
        @Test
        @DisplayName("a miss is fetched from the origin and stored unencrypted; CopyObject onto itself encrypts it; origin 404 is 404")
        void mirror(@TempDir Path origin) throws Exception {
            Files.createDirectories(origin.resolve("docs"));
            Files.writeString(origin.resolve("docs/readme.txt"), "from the origin");
            oss.createBucket("mirror", new BucketEncryptionRule("KMS", null, null));
            oss.putBucketOrigin("mirror", origin.toString());
            assertEquals(origin.toAbsolutePath().normalize().toString(), oss.getBucketOrigin("mirror"));
            ObjectContent c = oss.getObject("mirror", "docs/readme.txt", null);
            assertEquals(Map.of(), c.meta().sseHeaders(), "back-to-origin objects are stored unencrypted");
            try (var in = c.body()) { assertEquals("from the origin", new String(in.readAllBytes())); }
            Files.delete(origin.resolve("docs/readme.txt"));
            assertEquals("from the origin", read(oss, "mirror", "docs/readme.txt"), "served from the bucket now");
            assertEquals(Map.of(), oss.headObject("mirror", "docs/readme.txt").sseHeaders());
            ObjectMeta enc = oss.copyObject("mirror", "docs/readme.txt", "mirror", "docs/readme.txt", h(SSE, "SM4"));
            assertEquals(Map.of(SSE, "SM4"), enc.sseHeaders());
            assertEquals("from the origin", read(oss, "mirror", "docs/readme.txt"));
            assertOss(404, "NoSuchKey", "The specified key does not exist. Object: oss://mirror/docs/missing.txt",
                    () -> oss.getObject("mirror", "docs/missing.txt", null));
            assertOss(404, "NoSuchKey", null, () -> oss.getObject("mirror", "../etc/passwd", null));
        }

        @Test
        @DisplayName("an http origin: 200 is mirrored, 404 is 404 NoSuchKey")
        void http() throws Exception {
            com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", ex -> {
                byte[] body = "web content".getBytes();
                if (ex.getRequestURI().getPath().equals("/site/a%20b.html") || ex.getRequestURI().getPath().equals("/site/a b.html")) {
                    ex.getResponseHeaders().add("Content-Type", "text/html");
                    ex.sendResponseHeaders(200, body.length);
                    ex.getResponseBody().write(body);
                } else {
                    ex.sendResponseHeaders(404, -1);
                }
                ex.close();
            });
            server.start();
            try {
                oss.createBucket("web", new BucketEncryptionRule("AES256", null, null));
                oss.putBucketOrigin("web", "http://127.0.0.1:" + server.getAddress().getPort() + "/site");
                ObjectMeta m = oss.headObject("web", "a b.html");
                assertEquals(Map.of(), m.sseHeaders());
                assertEquals("text/html", m.contentType());
                assertEquals("web content", read(oss, "web", "a b.html"));
                assertOss(404, "NoSuchKey", null, () -> oss.headObject("web", "nothing.html"));
            } finally {
                server.stop(0);
            }
        }
    }

    @Nested
    @DisplayName("ETags of streamed writes (the mount)")
    class StreamedEtags {
        private ObjectMeta stream(String key, byte[] data, long md5Limit) throws Exception {
            try (Oss.ObjectWriter w = oss.newWriter("etags", key, Map.of(), null, md5Limit)) {
                for (int off = 0; off < data.length; off += 100_000) w.write(ByteBuffer.wrap(data, off, Math.min(100_000, data.length - off)));
                return w.commit();
            }
        }

        @Test
        @DisplayName("up to the MD5 limit the ETag is the content MD5; past it a unique version ETag '<32 hex>-1', and the content reads back")
        void md5UpToTheLimitVersionEtagBeyond() throws Exception {
            oss.createBucket("etags", new BucketEncryptionRule("KMS", null, null));
            byte[] data = new byte[1_000_001];
            new java.util.Random(3).nextBytes(data);
            String md5 = java.util.HexFormat.of().withUpperCase().formatHex(java.security.MessageDigest.getInstance("MD5").digest(data));
            assertEquals(md5, stream("at", data, data.length).etag());
            assertEquals(md5, stream("unbounded", data, Long.MAX_VALUE).etag());
            ObjectMeta past = stream("past", data, data.length - 1);
            assertTrue(past.etag().matches("[0-9A-F]{32}-1"), past.etag());
            assertEquals(past.etag(), oss.headObject("etags", "past").etag());
            ObjectMeta again = stream("past", data, data.length - 1);
            assertNotEquals(past.etag(), again.etag(), "each version has its own ETag");
            try (var in = oss.getObject("etags", "past", null).body()) {
                assertArrayEquals(data, in.readAllBytes());
            }
        }
    }
}
