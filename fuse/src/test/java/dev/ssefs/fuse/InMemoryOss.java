package dev.ssefs.fuse;

import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.BucketInfo;
import dev.ssefs.objectcore.ByteRange;
import dev.ssefs.objectcore.ListResult;
import dev.ssefs.objectcore.ObjectContent;
import dev.ssefs.objectcore.ObjectMeta;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.OssException;
import dev.ssefs.objectcore.PosixAttributes;

import javax.crypto.AEADBadTagException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * TEST DOUBLE of the object service for adapter tests: objects in memory, SSE headers as OSS returns them (no real
 * encryption), key states and integrity failures that tests can switch on. Only what the mount uses is implemented.
 */
final class InMemoryOss implements Oss {
    static final String DEFAULT_CMK = "cmk-default-0001";

    record Stored(byte[] data, ObjectMeta meta) {}

    final Map<String, BucketEncryptionRule> rules = new ConcurrentHashMap<>();
    final Map<String, Instant> buckets = new ConcurrentHashMap<>();
    final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>(); // "bucket\0key"
    final Set<String> disabledKeys = ConcurrentHashMap.newKeySet();
    final Set<String> existingKeys = ConcurrentHashMap.newKeySet(Set.of(DEFAULT_CMK, "cmk-named-0002").size());
    final Set<String> corrupted = ConcurrentHashMap.newKeySet();
    volatile boolean diskFull;
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger commits = new AtomicInteger();
    final AtomicInteger openWriters = new AtomicInteger();
    /** Calls of {@link #sync()} (what makes grouped commits durable). */
    final AtomicInteger syncs = new AtomicInteger();
    private final AtomicLong etags = new AtomicLong();
    /** Test hooks: run after a listing of the prefix, and at the start of a rename (with its source), to widen race windows. */
    volatile java.util.function.Consumer<String> afterList = p -> { };
    volatile java.util.function.Consumer<String> onRename = f -> { };

    InMemoryOss() {
        existingKeys.add(DEFAULT_CMK);
        existingKeys.add("cmk-named-0002");
    }

    private static String id(String bucket, String key) { return bucket + "\0" + key; }

    @Override public String principal() { return "test"; }

    @Override public void sync() { syncs.incrementAndGet(); }

    @Override
    public BucketInfo createBucket(String bucket, BucketEncryptionRule rule) {
        calls.incrementAndGet();
        buckets.put(bucket, Instant.parse("2026-01-01T00:00:00Z"));
        if (rule != null) rules.put(bucket, rule);
        return getBucketInfo(bucket);
    }

    @Override public List<BucketInfo> listBuckets() { throw new UnsupportedOperationException(); }

    @Override
    public BucketInfo getBucketInfo(String bucket) {
        calls.incrementAndGet();
        Instant c = buckets.get(bucket);
        if (c == null) throw new OssException(404, "NoSuchBucket", "The specified bucket does not exist.");
        return new BucketInfo(bucket, c, rules.get(bucket), null);
    }

    @Override public void deleteBucket(String bucket) { throw new UnsupportedOperationException(); }

    @Override
    public void putBucketEncryption(String bucket, BucketEncryptionRule rule) {
        calls.incrementAndGet();
        if (!Set.of("AES256", "KMS", "SM4").contains(rule.sseAlgorithm())) throw badAlgorithm();
        if (rule.kmsMasterKeyId() != null && !rule.sseAlgorithm().equals("KMS"))
            throw new OssException(400, "InvalidArgument", "KMSMasterKeyID is not applicable if the default sse algorithm is not KMS");
        if (rule.kmsMasterKeyId() != null && !existingKeys.contains(rule.kmsMasterKeyId()))
            throw new OssException(404, "KeyNotFound", "The specified parameter KMS keyId is not found.");
        rules.put(bucket, rule);
    }

    @Override
    public BucketEncryptionRule getBucketEncryption(String bucket) {
        calls.incrementAndGet();
        BucketEncryptionRule r = rules.get(bucket);
        if (r == null) throw new OssException(404, "NoSuchServerSideEncryptionRule", "The server side encryption configuration was not found.");
        return r;
    }

    @Override public void deleteBucketEncryption(String bucket) { calls.incrementAndGet(); rules.remove(bucket); }

    @Override public void putBucketOrigin(String bucket, String origin) { throw new UnsupportedOperationException(); }

    @Override public String getBucketOrigin(String bucket) { throw new UnsupportedOperationException(); }

    private static OssException badAlgorithm() {
        return new OssException(400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256/SM4/KMS");
    }

    /** The SSE headers a write with {@code headers} gets in {@code bucket}. */
    private Map<String, String> sseFor(String bucket, Map<String, String> headers) {
        Map<String, String> sse = new LinkedHashMap<>();
        String alg = headers.get("x-oss-server-side-encryption");
        String keyId = headers.get("x-oss-server-side-encryption-key-id");
        String data = headers.get("x-oss-server-side-data-encryption");
        if (alg == null) {
            BucketEncryptionRule r = rules.get(bucket);
            if (r != null) {
                alg = r.sseAlgorithm();
                keyId = r.kmsMasterKeyId();
                data = r.kmsDataEncryption();
            }
        }
        if (alg == null) return sse;
        if (!Set.of("AES256", "KMS", "SM4").contains(alg)) throw badAlgorithm();
        sse.put("x-oss-server-side-encryption", alg);
        if (alg.equals("KMS")) {
            String k = keyId == null || keyId.isEmpty() ? DEFAULT_CMK : keyId;
            checkKey(k);
            sse.put("x-oss-server-side-encryption-key-id", k);
            if (data != null) {
                if (!data.equals("SM4")) throw new OssException(400, "InvalidDataEncryptionAlgorithmError", "The KMS Data Encryption request you specified is not valid. Supported value:SM4");
                sse.put("x-oss-server-side-data-encryption", data);
            }
        }
        return sse;
    }

    private void checkKey(String k) {
        if (!existingKeys.contains(k)) throw new OssException(404, "KeyNotFound", "The specified parameter KMS keyId is not found.");
        if (disabledKeys.contains(k)) throw new OssException(409, "KeyDisabled", "The request was rejected because the key state is Disabled.");
    }

    private void checkReadable(ObjectMeta m) {
        String k = m.sseHeaders().get("x-oss-server-side-encryption-key-id");
        if (k != null) checkKey(k);
    }

    private static Map<String, String> userMeta(Map<String, String> headers) {
        Map<String, String> u = new LinkedHashMap<>();
        headers.forEach((k, v) -> { if (k.startsWith("x-oss-meta-")) u.put(k, v); });
        return u;
    }

    private ObjectMeta store(String bucket, String key, byte[] data, Map<String, String> sse, Map<String, String> user, PosixAttributes posix) {
        getBucketInfo(bucket);
        ObjectMeta m = new ObjectMeta(bucket, key, data.length, "etag" + etags.incrementAndGet(), Instant.now(), "application/octet-stream",
                sse, user, posix, null);
        objects.put(id(bucket, key), new Stored(data, m));
        commits.incrementAndGet();
        return m;
    }

    private Stored get(String bucket, String key) {
        Stored s = objects.get(id(bucket, key));
        if (s == null) throw new OssException(404, "NoSuchKey", "The specified key does not exist.");
        return s;
    }

    @Override
    public ObjectMeta putObject(String bucket, String key, InputStream data, Map<String, String> headers) throws IOException {
        calls.incrementAndGet();
        return store(bucket, key, data.readAllBytes(), sseFor(bucket, headers), userMeta(headers), null);
    }

    @Override
    public ObjectMeta headObject(String bucket, String key) {
        calls.incrementAndGet();
        return get(bucket, key).meta();
    }

    @Override public ObjectContent getObject(String bucket, String key, ByteRange range) { throw new UnsupportedOperationException(); }

    @Override
    public void deleteObject(String bucket, String key) {
        calls.incrementAndGet();
        objects.remove(id(bucket, key));
    }

    @Override
    public ListResult listObjects(String bucket, String prefix, String delimiter, String marker, int maxKeys) {
        calls.incrementAndGet();
        String p = prefix == null ? "" : prefix;
        List<ObjectMeta> objs = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        String from = id(bucket, marker != null && marker.compareTo(p) > 0 ? marker : p);
        String last = null;
        for (Map.Entry<String, Stored> e : objects.tailMap(from, marker == null).entrySet()) {
            if (!e.getKey().startsWith(bucket + "\0")) break;
            String key = e.getKey().substring(bucket.length() + 1);
            if (!key.startsWith(p)) break;
            if (marker != null && key.compareTo(marker) <= 0) continue;
            if (objs.size() + prefixes.size() >= maxKeys) return new ListResult(objs, prefixes, true, last);
            int d = delimiter == null ? -1 : key.indexOf(delimiter, p.length());
            if (d >= 0) {
                String cp = key.substring(0, d + delimiter.length());
                if (!prefixes.contains(cp)) { prefixes.add(cp); last = cp; }
                else continue;
                // skip the rest of this prefix
                continue;
            }
            objs.add(e.getValue().meta());
            last = key;
        }
        afterList.accept(p);
        return new ListResult(objs, prefixes, false, null);
    }

    @Override
    public ObjectMeta copyObject(String srcBucket, String srcKey, String dstBucket, String dstKey, Map<String, String> headers) {
        calls.incrementAndGet();
        Stored s = get(srcBucket, srcKey);
        checkReadable(s.meta());
        return store(dstBucket, dstKey, s.data(), sseFor(dstBucket, headers), s.meta().userMetadata(), s.meta().posix());
    }

    @Override public ObjectMeta appendObject(String b, String k, long p, InputStream d, Map<String, String> h) { throw new UnsupportedOperationException(); }
    @Override public String initiateMultipartUpload(String b, String k, Map<String, String> h) { throw new UnsupportedOperationException(); }
    @Override public String uploadPart(String b, String k, String u, int n, InputStream d, Map<String, String> h) { throw new UnsupportedOperationException(); }
    @Override public ObjectMeta completeMultipartUpload(String b, String k, String u, SortedMap<Integer, String> p) { throw new UnsupportedOperationException(); }
    @Override public void abortMultipartUpload(String b, String k, String u) { throw new UnsupportedOperationException(); }
    @Override public ObjectMeta completeMultipartUpload(String b, String k, String u, List<CompletedPart> p) { throw new UnsupportedOperationException(); }
    @Override public dev.ssefs.objectcore.VerifyReport verify(String b, String p, dev.ssefs.objectcore.VerifyReport.Listener l) { throw new UnsupportedOperationException(); }

    @Override
    public ObjectReader openReader(String bucket, String key) {
        calls.incrementAndGet();
        Stored s = get(bucket, key);
        checkReadable(s.meta());
        boolean bad = corrupted.contains(key);
        return new ObjectReader() {
            @Override public ObjectMeta meta() { return s.meta(); }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                checkReadable(s.meta());
                if (bad) throw new IOException("chunk 0 of " + key + " failed authentication", new AEADBadTagException("Tag mismatch"));
                if (position >= s.data().length) return -1;
                int n = (int) Math.min(dst.remaining(), s.data().length - position);
                dst.put(s.data(), (int) position, n);
                return n;
            }

            @Override public void close() { }
        };
    }

    @Override
    public ObjectWriter newWriter(String bucket, String key, Map<String, String> headers, PosixAttributes attrs) {
        calls.incrementAndGet();
        getBucketInfo(bucket);
        Map<String, String> sse = sseFor(bucket, headers);
        Map<String, String> user = userMeta(headers);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        openWriters.incrementAndGet();
        return new ObjectWriter() {
            boolean done;

            @Override
            public void write(ByteBuffer src) throws IOException {
                if (done) throw new IOException("writer closed");
                byte[] b = new byte[src.remaining()];
                src.get(b);
                out.write(b);
            }

            @Override
            public ObjectMeta commit() throws IOException {
                if (done) throw new IOException("writer closed");
                done = true;
                openWriters.decrementAndGet();
                if (diskFull) throw new IOException("No space left on device");
                String k = sse.get("x-oss-server-side-encryption-key-id");
                if (k != null) checkKey(k);
                return store(bucket, key, out.toByteArray(), sse, user, attrs);
            }

            @Override public void close() {
                if (!done) openWriters.decrementAndGet();
                done = true;
            }
        };
    }

    @Override
    public void rename(String bucket, String from, String to, boolean prefix) {
        calls.incrementAndGet();
        onRename.accept(from);
        synchronized (objects) {
            if (!prefix) {
                Stored s = get(bucket, from);
                objects.remove(id(bucket, from));
                ObjectMeta m = s.meta();
                objects.put(id(bucket, to), new Stored(s.data(), new ObjectMeta(bucket, to, m.size(), m.etag(), m.lastModified(),
                        m.contentType(), m.sseHeaders(), m.userMetadata(), m.posix(), m.keyVersionId())));
                return;
            }
            for (String k : new ArrayList<>(objects.subMap(id(bucket, from), id(bucket, from) + Character.MAX_VALUE).keySet())) {
                Stored s = objects.remove(k);
                String nk = to + k.substring(bucket.length() + 1 + from.length());
                ObjectMeta m = s.meta();
                objects.put(id(bucket, nk), new Stored(s.data(), new ObjectMeta(bucket, nk, m.size(), m.etag(), m.lastModified(),
                        m.contentType(), m.sseHeaders(), m.userMetadata(), m.posix(), m.keyVersionId())));
            }
        }
    }

    @Override
    public ObjectMeta updateMetadata(String bucket, String key, PosixAttributes attrs, Map<String, String> userMetadata) {
        calls.incrementAndGet();
        Stored s = get(bucket, key);
        ObjectMeta m = s.meta();
        ObjectMeta n = new ObjectMeta(bucket, key, m.size(), m.etag(), m.lastModified(), m.contentType(), m.sseHeaders(),
                userMetadata == null ? m.userMetadata() : Map.copyOf(userMetadata), attrs == null ? m.posix() : attrs, m.keyVersionId());
        objects.put(id(bucket, key), new Stored(s.data(), n));
        commits.incrementAndGet();
        return n;
    }

    byte[] data(String bucket, String key) { return get(bucket, key).data(); }
}
