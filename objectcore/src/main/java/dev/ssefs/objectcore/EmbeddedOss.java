package dev.ssefs.objectcore;

import dev.ssefs.keys.Kms;
import dev.ssefs.objectcore.internal.BucketRecord;
import dev.ssefs.objectcore.internal.DataKeys;
import dev.ssefs.objectcore.internal.MetaStore;
import dev.ssefs.objectcore.internal.Names;
import dev.ssefs.objectcore.internal.ObjectRecord;
import dev.ssefs.objectcore.internal.Origins;
import dev.ssefs.objectcore.internal.RequestHeaders;
import dev.ssefs.objectcore.internal.SseSpec;
import dev.ssefs.objectcore.internal.UploadRecord;
import dev.ssefs.objectcore.internal.Versions;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/** {@link Oss} for one principal over an {@link EmbeddedObjectStore}. */
final class EmbeddedOss implements Oss {
    private final EmbeddedObjectStore store;
    private final MetaStore meta;
    private final String principal;

    EmbeddedOss(EmbeddedObjectStore store, String principal) {
        this.store = store;
        this.meta = store.meta;
        this.principal = principal;
    }

    @Override
    public String principal() { return principal; }

    // =================================================================== permissions

    private String resource(String bucket, String key) {
        String r = "acs:oss:*:" + store.accountId() + ":" + bucket;
        return key == null ? r : r + "/" + key;
    }

    private void allow(String action, String bucket, String key) {
        String res = resource(bucket, key);
        if (!store.kms.policies().isAllowed(principal, action, res)) throw OssErrors.accessDenied(principal, action, res);
    }

    private BucketRecord bucket(String name) {
        BucketRecord b = meta.bucket(name);
        if (b == null) throw OssErrors.noSuchBucket(name);
        return b;
    }

    private static String url(String bucket, String key) { return "oss://" + bucket + "/" + key; }

    // =================================================================== buckets

    @Override
    public BucketInfo createBucket(String bucket, BucketEncryptionRule rule) {
        Names.checkBucket(bucket);
        allow("oss:PutBucket", bucket, null);
        BucketEncryptionRule r = rule == null ? null : checkedRule(rule);
        BucketRecord rec = new BucketRecord(bucket, store.clock.millis(), r, null);
        return meta.commit(tx -> {
            if (meta.bucket(bucket) != null) {
                throw new OssException(409, "BucketAlreadyExists", "The requested bucket name is not available. "
                        + "The bucket namespace is shared by all users of the system. Please select a different name and try again. Bucket: " + bucket);
            }
            meta.putBucket(rec);
            return rec.info();
        }).value();
    }

    @Override
    public List<BucketInfo> listBuckets() {
        String res = "acs:oss:*:" + store.accountId() + ":*";
        if (!store.kms.policies().isAllowed(principal, "oss:ListBuckets", res)) throw OssErrors.accessDenied(principal, "oss:ListBuckets", res);
        List<BucketInfo> l = new ArrayList<>();
        for (BucketRecord b : meta.allBuckets()) l.add(b.info());
        return l;
    }

    @Override
    public BucketInfo getBucketInfo(String bucket) {
        allow("oss:GetBucketInfo", bucket, null);
        return bucket(bucket).info();
    }

    @Override
    public void deleteBucket(String bucket) {
        allow("oss:DeleteBucket", bucket, null);
        meta.commit(tx -> {
            bucket(bucket);
            if (meta.bucketHasObjects(bucket) || meta.bucketHasUploads(bucket)) {
                throw new OssException(409, "BucketNotEmpty", "The bucket you tried to delete is not empty. Bucket: " + bucket);
            }
            meta.removeBucket(bucket);
            return null;
        });
    }

    /** Validates a rule; a named CMK needs kms:DescribeKey and kms:List* on it and must exist. */
    private BucketEncryptionRule checkedRule(BucketEncryptionRule rule) {
        SseSpec.validateRule(rule);
        BucketEncryptionRule r = SseSpec.normalise(rule);
        if (r.kmsMasterKeyId() != null) {
            Kms.KeyMetadata md = store.keys.describeAs(principal, r.kmsMasterKeyId());
            if (!store.kms.policies().isAllowed(principal, "kms:ListKeys", md.arn())) {
                throw OssErrors.kmsForbidden(null);
            }
        }
        return r;
    }

    @Override
    public void putBucketEncryption(String bucket, BucketEncryptionRule rule) {
        allow("oss:PutBucketEncryption", bucket, null);
        bucket(bucket);
        BucketEncryptionRule r = checkedRule(rule);
        meta.commit(tx -> {
            meta.putBucket(bucket(bucket).withRule(r));
            return null;
        });
    }

    @Override
    public BucketEncryptionRule getBucketEncryption(String bucket) {
        allow("oss:GetBucketEncryption", bucket, null);
        BucketEncryptionRule r = bucket(bucket).rule();
        if (r == null) throw new OssException(404, "NoSuchServerSideEncryptionRule", OssErrors.NO_SUCH_RULE_MESSAGE);
        return r;
    }

    @Override
    public void deleteBucketEncryption(String bucket) {
        allow("oss:DeleteBucketEncryption", bucket, null);
        meta.commit(tx -> {
            meta.putBucket(bucket(bucket).withRule(null));
            return null;
        });
    }

    @Override
    public void putBucketOrigin(String bucket, String origin) {
        allow("oss:PutBucketWebsite", bucket, null);
        bucket(bucket);
        String o = Origins.normalise(origin);
        meta.commit(tx -> {
            meta.putBucket(bucket(bucket).withOrigin(o));
            return null;
        });
    }

    @Override
    public String getBucketOrigin(String bucket) {
        allow("oss:GetBucketWebsite", bucket, null);
        return bucket(bucket).origin();
    }

    // =================================================================== object metadata

    ObjectMeta toMeta(String bucket, String key, ObjectRecord r) {
        Map<String, String> sse = new LinkedHashMap<>();
        if (r.encrypted()) {
            sse.put(SseHeaders.SSE, r.sseAlgorithm());
            if (SseHeaders.KMS.equals(r.sseAlgorithm())) {
                sse.put(SseHeaders.SSE_KEY_ID, r.cmkId());
                if (r.sm4Data()) sse.put(SseHeaders.SSE_DATA, SseHeaders.SM4);
            }
        }
        String kv = r.keyVersionId() == null || r.keyVersionId().isEmpty() ? null : r.keyVersionId();
        return new ObjectMeta(bucket, key, r.size(), r.etag(), Instant.ofEpochMilli(r.lastModifiedMillis()),
                r.contentType(), Collections.unmodifiableMap(sse), Collections.unmodifiableMap(new TreeMap<>(r.userMetadata())),
                r.posix(), kv);
    }

    private static String contentType(RequestHeaders h, String key) {
        String ct = h.get(SseHeaders.CONTENT_TYPE);
        if (ct != null && !ct.isEmpty()) return ct;
        String guess = URLConnection.guessContentTypeFromName(key);
        return guess != null ? guess : "application/octet-stream";
    }

    private static Map<String, String> checkedUserMetadata(Map<String, String> m) {
        Map<String, String> out = new TreeMap<>();
        if (m == null) return out;
        m.forEach((k, v) -> {
            String n = k.toLowerCase(Locale.ROOT);
            if (!n.startsWith(SseHeaders.USER_META_PREFIX) || n.length() == SseHeaders.USER_META_PREFIX.length()) {
                throw OssErrors.invalidArgument("User metadata names must start with x-oss-meta-: " + k);
            }
            out.put(n, v == null ? "" : v);
        });
        return out;
    }

    // =================================================================== writing versions

    @FunctionalInterface
    interface Body {
        void writeTo(Versions.Writer w) throws IOException;
    }

    /** A durable, not yet published blob and what the index needs about it. */
    private record Written(String blobId, long size, String md5Hex, byte[] md5, DataKeys.NewKey key) {
        ObjectRecord record(int kind, long now, String ct, Map<String, String> user, PosixAttributes posix, String etag) {
            if (key == null) {
                return new ObjectRecord(kind, true, size, etag, now, ct, null, null, false, null, null, blobId, user, posix);
            }
            return new ObjectRecord(kind, false, size, etag, now, ct, key.algorithm(), key.cmkId(), key.sm4Data(),
                    key.keyVersionId(), key.wrapped(), blobId, user, posix);
        }
    }

    /**
     * Streams a new version into a fresh blob and forces it to disk, outside any lock. The data key (from the KMS, as
     * this principal) is wiped as soon as the encryptor holds its own copy.
     */
    private Written writeBlob(String bucket, String key, SseSpec spec, Body body) throws IOException {
        return writeBlob(bucket, key, spec, false, body);
    }

    /**
     * @param plainAtRest true only for back-to-origin objects: stored as a plain blob. Every other object is
     *                    encrypted at rest; one without SSE (no header, no bucket rule) gets a data key from the SSE-OSS
     *                    AES256 ring but reports no SSE headers, as OSS would.
     */
    private Written writeBlob(String bucket, String key, SseSpec spec, boolean plainAtRest, Body body) throws IOException {
        NewBlob nb = newBlobWriter(bucket, key, spec, plainAtRest);
        try (Versions.Writer w = nb.writer()) {
            body.writeTo(w);
            w.commit();
            byte[] md5 = w.md5Digest();
            return new Written(w.blobId(), w.size(), Versions.hex(md5), md5, nb.key());
        }
    }

    /** A blob writer and the (wiped) key info the index records; thread-confined. */
    private record NewBlob(Versions.Writer writer, DataKeys.NewKey key) {}

    /** Data at rest of an object without SSE: SSE-OSS AES256 key, no SSE headers. */
    private static final SseSpec AT_REST_ONLY = new SseSpec(SseHeaders.AES256, null, false);

    private NewBlob newBlobWriter(String bucket, String key, SseSpec spec, boolean plainAtRest) throws IOException {
        byte[] vid = Versions.newVersionId();
        String vidHex = java.util.HexFormat.of().formatHex(vid);
        if (plainAtRest) return new NewBlob(store.versions.newPlain(vid), null);
        boolean sse = spec.encrypted();
        DataKeys.NewKey k = store.keys.generate(sse ? spec : AT_REST_ONLY, principal, vidHex);
        try {
            Versions.Writer w = store.versions.newEncrypted(vid, k, url(bucket, key));
            return new NewBlob(w, new DataKeys.NewKey(sse ? k.algorithm() : null, k.cmkId(), k.sm4Data(), k.cipher(),
                    k.keySource(), k.keyVersionId(), k.wrapped(), new byte[0]));
        } finally {
            k.wipe();
        }
    }

    /**
     * Publishes {@code rec} at bucket/key in one commit (after {@code precondition}); on failure deletes the blob
     * unless the index references it.
     */
    private ObjectRecord publish(String bucket, String key, ObjectRecord rec, Function<ObjectRecord, ObjectRecord> precondition) {
        MetaStore.Committed<ObjectRecord> c;
        try {
            c = meta.commit(tx -> {
                bucket(bucket);
                ObjectRecord current = meta.object(bucket, key);
                if (precondition != null) {
                    ObjectRecord keep = precondition.apply(current);
                    if (keep != null) return keep;
                }
                meta.putObject(tx, bucket, key, rec);
                return rec;
            });
        } catch (RuntimeException e) {
            // never delete a blob the index may reference: the commit may have happened after all (see MetaStore)
            store.deleteUnreferencedBlob(rec.blobId());
            throw e;
        }
        if (c.value() != rec) store.deleteBlobs(List.of(rec.blobId()));
        store.deleteBlobs(c.freedBlobs());
        return c.value();
    }

    private SseSpec specFor(RequestHeaders h, BucketRecord b) {
        SseSpec req = SseSpec.fromRequest(h);
        return req != null ? req : SseSpec.ofRule(b.rule());
    }

    // =================================================================== objects

    @Override
    public ObjectMeta putObject(String bucket, String key, InputStream data, Map<String, String> requestHeaders) throws IOException {
        Names.checkKey(key);
        allow("oss:PutObject", bucket, key);
        BucketRecord b = bucket(bucket);
        RequestHeaders h = new RequestHeaders(requestHeaders);
        SseSpec spec = specFor(h, b);
        Written w = writeBlob(bucket, key, spec, out -> out.writeAll(data));
        ObjectRecord rec = w.record(ObjectRecord.NORMAL, store.clock.millis(), contentType(h, key), h.userMetadata(), null, w.md5Hex());
        return toMeta(bucket, key, publish(bucket, key, rec, null));
    }

    @Override
    public ObjectMeta headObject(String bucket, String key) {
        allow("oss:GetObject", bucket, key);
        BucketRecord b = bucket(bucket);
        ObjectRecord r = meta.object(bucket, key);
        if (r == null) {
            try {
                r = backToOrigin(b, key);
            } catch (IOException e) {
                throw new OssException(424, "MirrorFailed", "Back-to-origin fetch of " + url(bucket, key) + " failed: " + e.getMessage(), e);
            }
        }
        return toMeta(bucket, key, r);
    }

    /** The index entry, fetching from the bucket's origin on a miss; 404 NoSuchKey when neither has it. */
    private ObjectRecord recordOrOrigin(BucketRecord b, String key) throws IOException {
        ObjectRecord r = meta.object(b.name(), key);
        return r != null ? r : backToOrigin(b, key);
    }

    /** Mirroring-based back-to-origin: stored unencrypted (no SSE, bucket default not applied), as OSS does. */
    private ObjectRecord backToOrigin(BucketRecord b, String key) throws IOException {
        if (b.origin() == null) throw OssErrors.noSuchKey(b.name(), key);
        Names.checkKey(key);
        Origins.Fetched f = store.origins.fetch(b.origin(), key);
        if (f == null) throw OssErrors.noSuchKey(b.name(), key);
        Written w;
        try (f) {
            w = writeBlob(b.name(), key, SseSpec.NONE, true, out -> out.writeAll(f.body()));
        }
        String ct = f.contentType() != null ? f.contentType() : contentType(new RequestHeaders(null), key);
        ObjectRecord plain = w.record(ObjectRecord.NORMAL, store.clock.millis(), ct, Map.of(), null, w.md5Hex());
        ObjectRecord rec = new ObjectRecord(plain.kind(), true, plain.size(), plain.etag(), plain.lastModifiedMillis(),
                plain.contentType(), null, null, false, null, null, plain.blobId(), plain.userMetadata(), null);
        // if someone wrote the key meanwhile, theirs wins
        return publish(b.name(), key, rec, current -> current);
    }

    /**
     * Opens the stored version of {@code r}: unwraps its data key as this principal (the KMS checks kms:Decrypt and
     * the key state), opens and authenticates the blob, wipes the key. If a concurrent overwrite freed the blob between
     * the index read and the open, retries with the new index entry.
     */
    private Opened openVersion(String bucket, String key, ObjectRecord r) throws IOException {
        for (int attempt = 0; ; attempt++) {
            byte[] dk = r.plain() ? null : store.keys.unwrap(r, principal, url(bucket, key));
            try {
                return new Opened(r, store.versions.open(r, dk, url(bucket, key)));
            } catch (NoSuchFileException e) {
                ObjectRecord now = meta.object(bucket, key);
                if (now == null) throw OssErrors.noSuchKey(bucket, key);
                if (now.blobId().equals(r.blobId()) || attempt >= 5) {
                    throw dev.ssefs.objectcore.format.IntegrityException.header(url(bucket, key), "the stored blob " + r.blobId() + " is missing");
                }
                r = now;
            } finally {
                if (dk != null) java.util.Arrays.fill(dk, (byte) 0);
            }
        }
    }

    private record Opened(ObjectRecord record, Versions.Reader reader) {}

    @Override
    public ObjectContent getObject(String bucket, String key, ByteRange range) throws IOException {
        allow("oss:GetObject", bucket, key);
        BucketRecord b = bucket(bucket);
        ObjectRecord r = recordOrOrigin(b, key);
        Opened o = openVersion(bucket, key, r);
        long size = o.reader().size();
        long first = 0;
        long len = size;
        if (range != null) {
            long last = range.last() < 0 || range.last() >= size ? size - 1 : range.last();
            if (range.first() < 0 || range.first() >= size || (range.last() >= 0 && range.last() < range.first())) {
                o.reader().close();
                throw new OssException(416, "InvalidRange", "The requested range cannot be satisfied. Range: bytes="
                        + range.first() + "-" + (range.last() < 0 ? "" : range.last()) + ", object size: " + size);
            }
            first = range.first();
            len = last - first + 1;
        }
        Versions.Reader reader = o.reader();
        InputStream body = new FilterInputStream(reader.stream(first, len)) {
            @Override
            public void close() throws IOException {
                try { super.close(); } finally { reader.close(); }
            }
        };
        return new ObjectContent(toMeta(bucket, key, o.record()), body, len);
    }

    @Override
    public void deleteObject(String bucket, String key) {
        allow("oss:DeleteObject", bucket, key);
        MetaStore.Committed<ObjectRecord> c = meta.commit(tx -> {
            bucket(bucket);
            return meta.removeObject(tx, bucket, key);
        });
        store.deleteBlobs(c.freedBlobs());
    }

    @Override
    public ListResult listObjects(String bucket, String prefix, String delimiter, String marker, int maxKeys) {
        allow("oss:ListObjects", bucket, null);
        bucket(bucket);
        if (maxKeys < 0 || maxKeys > 1000) throw OssErrors.invalidArgument("Argument max-keys must be between 0 and 1000, not " + maxKeys + ".");
        int limit = maxKeys == 0 ? 100 : maxKeys;
        String pre = prefix == null ? "" : prefix;
        String delim = delimiter == null || delimiter.isEmpty() ? null : delimiter;
        String end = Names.successor(pre);
        List<ObjectMeta> objects = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        // start at max(prefix, marker), exclusive of the marker
        String from = pre;
        boolean inclusive = true;
        if (marker != null && !marker.isEmpty() && marker.compareTo(pre) >= 0) {
            from = marker;
            inclusive = false;
        }
        String last = null;
        boolean truncated = false;
        String base = bucket + "/";
        // one sorted range scan; a common prefix is skipped with one seek past it
        java.util.Iterator<Map.Entry<String, byte[]>> it = meta.range(bucket, from, inclusive, end).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, byte[]> e = it.next();
            String k = e.getKey().substring(base.length());
            String commonPrefix = null;
            if (delim != null) {
                int i = k.indexOf(delim, pre.length());
                if (i >= 0) commonPrefix = k.substring(0, i + delim.length());
            }
            if (commonPrefix != null && marker != null && commonPrefix.compareTo(marker) <= 0) {
                // the marker lies inside this common prefix: it was returned already
                it = seekPast(bucket, commonPrefix, end);
                continue;
            }
            if (objects.size() + prefixes.size() >= limit) {
                truncated = true;
                break;
            }
            if (commonPrefix != null) {
                prefixes.add(commonPrefix);
                last = commonPrefix;
                it = seekPast(bucket, commonPrefix, end);
            } else {
                objects.add(toMeta(bucket, k, ObjectRecord.decode(e.getValue())));
                last = k;
            }
        }
        return new ListResult(List.copyOf(objects), List.copyOf(prefixes), truncated, truncated ? last : null);
    }

    /** An iterator over the keys after every key starting with {@code prefix}, up to {@code end}. */
    private java.util.Iterator<Map.Entry<String, byte[]>> seekPast(String bucket, String prefix, String end) {
        String next = Names.successor(prefix);
        if (next == null) return java.util.Collections.emptyIterator();
        if (end != null && next.compareTo(end) >= 0) return java.util.Collections.emptyIterator();
        return meta.range(bucket, next, true, end).entrySet().iterator();
    }

    @Override
    public ObjectMeta copyObject(String srcBucket, String srcKey, String dstBucket, String dstKey,
                                 Map<String, String> requestHeaders) throws IOException {
        Names.checkKey(dstKey);
        allow("oss:GetObject", srcBucket, srcKey);
        allow("oss:PutObject", dstBucket, dstKey);
        bucket(srcBucket);
        BucketRecord db = bucket(dstBucket);
        RequestHeaders h = new RequestHeaders(requestHeaders);
        String directive = h.get(SseHeaders.METADATA_DIRECTIVE);
        boolean replace;
        if (directive == null || directive.equals("COPY")) replace = false;
        else if (directive.equals("REPLACE")) replace = true;
        else throw OssErrors.invalidArgument("x-oss-metadata-directive must be COPY or REPLACE, not " + directive + ".");
        // SSE is never inherited from the source: the request's header, else the destination bucket's default
        SseSpec spec = specFor(h, db);
        boolean ontoItself = srcBucket.equals(dstBucket) && srcKey.equals(dstKey);
        // onto itself the copy is published only if the object is still the version that was read (compare and
        // swap), else a concurrent write would be replaced by old content; a lost race is retried
        for (int attempt = 1; ; attempt++) {
            try {
                return copyOnce(srcBucket, srcKey, dstBucket, dstKey, h, replace, spec, ontoItself);
            } catch (SourceChanged e) {
                if (attempt == COPY_ATTEMPTS) {
                    throw new OssException(409, "ConcurrentModification", "The object was modified during the copy; "
                            + "nothing was changed. Object: " + url(srcBucket, srcKey));
                }
            }
        }
    }

    private static final int COPY_ATTEMPTS = 5;

    /**
     * The source of a copy onto itself changed between read and publish. An OssException: the meta store treats it as
     * a rejection before any change (nothing to undo); any other exception rolls back every change not yet durable,
     * in grouped mode other writers' published changes too.
     */
    private static final class SourceChanged extends OssException {
        SourceChanged() { super(409, "ConcurrentModification", "the object changed during the copy", false); } // retried: no stack
    }

    private ObjectMeta copyOnce(String srcBucket, String srcKey, String dstBucket, String dstKey, RequestHeaders h,
                                boolean replace, SseSpec spec, boolean ontoItself) throws IOException {
        ObjectRecord src = meta.object(srcBucket, srcKey);
        if (src == null) throw OssErrors.noSuchKey(srcBucket, srcKey);
        Opened o = openVersion(srcBucket, srcKey, src);
        Written w;
        try (Versions.Reader reader = o.reader(); InputStream in = reader.stream(0, reader.size())) {
            w = writeBlob(dstBucket, dstKey, spec, out -> out.writeAll(in));
        }
        ObjectRecord s = o.record();
        Map<String, String> user = replace ? h.userMetadata() : s.userMetadata();
        String ct = replace ? contentType(h, dstKey) : s.contentType();
        PosixAttributes posix = !replace || ontoItself ? s.posix() : null;
        ObjectRecord rec = w.record(ObjectRecord.NORMAL, store.clock.millis(), ct, user, posix, w.md5Hex());
        Function<ObjectRecord, ObjectRecord> unchanged = !ontoItself ? null : now -> {
            if (now == null) throw OssErrors.noSuchKey(srcBucket, srcKey);
            if (!now.blobId().equals(s.blobId()) || !java.util.Objects.equals(now.posix(), s.posix())
                    || !java.util.Objects.equals(now.userMetadata(), s.userMetadata())) throw new SourceChanged();
            return null;
        };
        return toMeta(dstBucket, dstKey, publish(dstBucket, dstKey, rec, unchanged));
    }

    @Override
    public ObjectMeta appendObject(String bucket, String key, long position, InputStream data,
                                   Map<String, String> requestHeaders) throws IOException {
        Names.checkKey(key);
        allow("oss:PutObject", bucket, key);
        BucketRecord b = bucket(bucket);
        RequestHeaders h = new RequestHeaders(requestHeaders);
        ObjectRecord cur = meta.object(bucket, key);
        if (cur != null && cur.kind() != ObjectRecord.APPENDABLE) {
            throw new OssException(409, "ObjectNotAppendable", "The object is not appendable. Object: " + url(bucket, key));
        }
        long length = cur == null ? 0 : cur.size();
        if (position != length) throw positionMismatch(length);
        SseSpec spec;
        Map<String, String> user;
        String ct;
        if (cur == null) {
            // the first append fixes SSE; a CMK id cannot be given for appendable objects
            if (h.get(SseHeaders.SSE_KEY_ID) != null) {
                throw OssErrors.invalidArgument("x-oss-server-side-encryption-key-id is not supported for appendable objects.");
            }
            spec = specFor(h, b);
            user = h.userMetadata();
            ct = contentType(h, key);
        } else {
            // later SSE headers are ignored: the object keeps the SSE of its first append
            spec = cur.plain() ? SseSpec.NONE : new SseSpec(cur.sseAlgorithm(), cur.cmkId(), cur.sm4Data());
            user = cur.userMetadata();
            ct = cur.contentType();
        }
        // a new version = the old plaintext + the appended bytes, under a fresh data key of the same SSE
        Opened old = cur == null || cur.size() == 0 ? null : openVersion(bucket, key, cur);
        Written w;
        try (Versions.Reader reader = old == null ? null : old.reader()) {
            w = writeBlob(bucket, key, spec, out -> {
                if (reader != null) {
                    try (InputStream in = reader.stream(0, reader.size())) { out.writeAll(in); }
                }
                out.writeAll(data);
            });
        }
        ObjectRecord rec = w.record(ObjectRecord.APPENDABLE, store.clock.millis(), ct, user,
                cur == null ? null : cur.posix(), w.md5Hex());
        String expectedBlob = cur == null ? null : cur.blobId();
        ObjectRecord published = publish(bucket, key, rec, now -> {
            String nowBlob = now == null ? null : now.blobId();
            if (!java.util.Objects.equals(nowBlob, expectedBlob)) {
                if (now != null && now.kind() != ObjectRecord.APPENDABLE) {
                    throw new OssException(409, "ObjectNotAppendable", "The object is not appendable. Object: " + url(bucket, key));
                }
                throw positionMismatch(now == null ? 0 : now.size());
            }
            return null;
        });
        return toMeta(bucket, key, published);
    }

    private static OssException positionMismatch(long length) {
        return new OssException(409, "PositionNotEqualToLength",
                "Position is not equal to file length. x-oss-next-append-position: " + length);
    }

    // =================================================================== multipart

    @Override
    public String initiateMultipartUpload(String bucket, String key, Map<String, String> requestHeaders) {
        Names.checkKey(key);
        allow("oss:PutObject", bucket, key);
        BucketRecord b = bucket(bucket);
        RequestHeaders h = new RequestHeaders(requestHeaders);
        SseSpec spec = specFor(h, b);
        // SSE is fixed here; a KMS upload must be writable now (permissions and key state)
        store.keys.checkWritable(spec, principal);
        String cmk = spec.cmkId();
        String uploadId = java.util.HexFormat.of().formatHex(Versions.newVersionId()).toUpperCase(Locale.ROOT);
        UploadRecord u = new UploadRecord(bucket, key, store.clock.millis(), spec.algorithm(), cmk, spec.sm4Data(),
                contentType(h, key), h.userMetadata());
        meta.commit(tx -> {
            bucket(bucket);
            meta.putUpload(uploadId, u);
            return null;
        });
        return uploadId;
    }

    private UploadRecord upload(String bucket, String key, String uploadId) {
        UploadRecord u = uploadId == null ? null : meta.upload(uploadId);
        if (u == null || !u.bucket().equals(bucket) || !u.key().equals(key)) throw OssErrors.noSuchUpload(uploadId);
        return u;
    }

    @Override
    public String uploadPart(String bucket, String key, String uploadId, int partNumber, InputStream data,
                             Map<String, String> requestHeaders) throws IOException {
        allow("oss:PutObject", bucket, key);
        bucket(bucket);
        RequestHeaders h = new RequestHeaders(requestHeaders);
        if (h.hasAnySse()) {
            throw OssErrors.invalidArgument("Server-side encryption headers are not allowed on UploadPart: "
                    + "SSE is fixed by InitiateMultipartUpload.");
        }
        UploadRecord u = upload(bucket, key, uploadId);
        if (partNumber < 1 || partNumber > 10000) {
            throw OssErrors.invalidArgument("Part number must be an integer between 1 and 10000, not " + partNumber + ".");
        }
        Written w = writeBlob(bucket, key, u.sse(), out -> out.writeAll(data));
        ObjectRecord part = w.record(ObjectRecord.NORMAL, store.clock.millis(), null, Map.of(), null, w.md5Hex());
        MetaStore.Committed<Object> c;
        try {
            c = meta.commit(tx -> {
                upload(bucket, key, uploadId);
                meta.putPart(tx, uploadId, partNumber, part);
                return null;
            });
        } catch (RuntimeException e) {
            // never delete a blob the index may reference: the commit may have happened after all (see MetaStore)
            store.deleteUnreferencedBlob(part.blobId());
            throw e;
        }
        store.deleteBlobs(c.freedBlobs());
        return w.md5Hex();
    }

    @Override
    public ObjectMeta completeMultipartUpload(String bucket, String key, String uploadId, SortedMap<Integer, String> partETags) {
        List<CompletedPart> l = new ArrayList<>();
        partETags.forEach((n, e) -> l.add(new CompletedPart(n, e)));
        return completeMultipartUpload(bucket, key, uploadId, l);
    }

    private static String unquote(String etag) {
        if (etag == null) return "";
        String e = etag.trim();
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e.toUpperCase(Locale.ROOT);
    }

    @Override
    public ObjectMeta completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> parts) {
        allow("oss:PutObject", bucket, key);
        bucket(bucket);
        UploadRecord u = upload(bucket, key, uploadId);
        if (parts == null || parts.isEmpty()) throw OssErrors.invalidArgument("CompleteMultipartUpload needs at least one part.");
        List<ObjectRecord> records = new ArrayList<>();
        int prev = 0;
        for (CompletedPart p : parts) {
            if (p.partNumber() <= prev) {
                throw new OssException(400, "InvalidPartOrder", "The list of parts was not in ascending order. "
                        + "Parts list must be specified in order by part number.");
            }
            prev = p.partNumber();
            ObjectRecord r = meta.part(uploadId, p.partNumber());
            if (r == null || !r.etag().equals(unquote(p.etag()))) {
                throw new OssException(400, "InvalidPart", "One or more of the specified parts could not be found or the "
                        + "specified entity tag might not have matched the part's entity tag. PartNumber: " + p.partNumber());
            }
            records.add(r);
        }
        MessageDigest etags = Versions.md5();
        for (ObjectRecord r : records) etags.update(java.util.HexFormat.of().parseHex(r.etag()));
        String etag = Versions.hex(etags.digest()) + "-" + records.size();
        Written w;
        try {
            w = writeBlob(bucket, key, u.sse(), out -> {
                for (ObjectRecord r : records) {
                    Opened o = openVersion(bucket, key, r);
                    try (Versions.Reader reader = o.reader(); InputStream in = reader.stream(0, reader.size())) {
                        out.writeAll(in);
                    }
                }
            });
        } catch (IOException e) {
            throw new OssException(500, "InternalError", "CompleteMultipartUpload of " + url(bucket, key) + " failed: " + e.getMessage(), e);
        }
        ObjectRecord rec = w.record(ObjectRecord.MULTIPART, store.clock.millis(), u.contentType(), u.userMetadata(), null, etag);
        MetaStore.Committed<ObjectRecord> c;
        try {
            c = meta.commit(tx -> {
                bucket(bucket);
                upload(bucket, key, uploadId);
                meta.removeUpload(tx, uploadId, true);
                meta.putObject(tx, bucket, key, rec);
                return rec;
            });
        } catch (RuntimeException e) {
            // never delete a blob the index may reference: the commit may have happened after all (see MetaStore)
            store.deleteUnreferencedBlob(rec.blobId());
            throw e;
        }
        store.deleteBlobs(c.freedBlobs());
        return toMeta(bucket, key, rec);
    }

    @Override
    public void abortMultipartUpload(String bucket, String key, String uploadId) {
        allow("oss:AbortMultipartUpload", bucket, key);
        bucket(bucket);
        MetaStore.Committed<Object> c = meta.commit(tx -> {
            upload(bucket, key, uploadId);
            meta.removeUpload(tx, uploadId, true);
            return null;
        });
        store.deleteBlobs(c.freedBlobs());
    }

    // =================================================================== verify

    @Override
    public VerifyReport verify(String bucket, String prefix, VerifyReport.Listener listener) {
        allow("oss:ListObjects", bucket, null);
        bucket(bucket);
        VerifyReport.Listener l = listener != null ? listener : new VerifyReport.Listener() {};
        String pre = prefix == null ? "" : prefix;
        NavigableMap<String, byte[]> range = meta.range(bucket, pre, true, Names.successor(pre));
        long objects = 0;
        long bytes = 0;
        for (byte[] v : range.values()) {
            objects++;
            bytes += ObjectRecord.decode(v).size();
        }
        l.started(objects, bytes);
        List<VerifyReport.Failure> failures = new ArrayList<>();
        long checked = 0;
        long checkedBytes = 0;
        String base = bucket + "/";
        for (Map.Entry<String, byte[]> e : range.entrySet()) {
            String key = e.getKey().substring(base.length());
            ObjectRecord r = ObjectRecord.decode(e.getValue());
            VerifyReport.Failure f = null;
            try {
                allow("oss:GetObject", bucket, key);
                Opened o = openVersion(bucket, key, r);
                try (Versions.Reader reader = o.reader()) {
                    reader.verifyAll();
                }
            } catch (IOException | OssException | UnsupportedOperationException | IllegalStateException ex) {
                f = new VerifyReport.Failure(url(bucket, key), key, ex.getMessage());
                failures.add(f);
            }
            checked++;
            checkedBytes += r.size();
            l.checked(key, r.size(), f);
        }
        return new VerifyReport(bucket, checked, checkedBytes, List.copyOf(failures));
    }

    // =================================================================== the mount's extras

    @Override
    public ObjectReader openReader(String bucket, String key) throws IOException {
        allow("oss:GetObject", bucket, key);
        BucketRecord b = bucket(bucket);
        ObjectRecord r = recordOrOrigin(b, key);
        Opened o = openVersion(bucket, key, r);
        ObjectMeta m = toMeta(bucket, key, o.record());
        String cmk = SseHeaders.KMS.equals(o.record().sseAlgorithm()) ? o.record().cmkId() : null;
        return new ObjectReader() {
            private volatile boolean closed;

            @Override
            public ObjectMeta meta() { return m; }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                if (closed) throw new IOException("reader of " + url(bucket, key) + " is closed");
                // a disabled or deleted CMK takes effect at the next read, even on an open file
                if (cmk != null) store.keys.checkKeyState(cmk);
                return o.reader().read(position, dst);
            }

            @Override
            public void close() {
                closed = true;
                o.reader().close();
            }
        };
    }

    @Override
    public void sync() { store.sync(); }

    @Override
    public ObjectWriter newWriter(String bucket, String key, Map<String, String> requestHeaders, PosixAttributes attrs) throws IOException {
        return newWriter(bucket, key, requestHeaders, attrs, Long.MAX_VALUE);
    }

    @Override
    public ObjectWriter newWriter(String bucket, String key, Map<String, String> requestHeaders, PosixAttributes attrs,
                                  long md5Limit) throws IOException {
        Names.checkKey(key);
        allow("oss:PutObject", bucket, key);
        BucketRecord b = bucket(bucket);
        RequestHeaders h = new RequestHeaders(requestHeaders);
        SseSpec spec = specFor(h, b);
        NewBlob nb = newBlobWriter(bucket, key, spec, false);
        Versions.Writer w = nb.writer();
        if (md5Limit != Long.MAX_VALUE) w.limitMd5(md5Limit);
        DataKeys.NewKey k = nb.key();
        String ct = contentType(h, key);
        Map<String, String> user = h.userMetadata();
        return new ObjectWriter() {
            private boolean done;

            @Override
            public void write(ByteBuffer src) throws IOException {
                if (done) throw new IOException("writer of " + url(bucket, key) + " is closed");
                w.write(src);
            }

            @Override
            public ObjectMeta commit() throws IOException {
                if (done) throw new IOException("writer of " + url(bucket, key) + " is closed");
                done = true;
                try {
                    // a writer may stay open long (the mount): a CMK disabled meanwhile fails the commit, and the
                    // previous version stays
                    if (k != null && SseHeaders.KMS.equals(k.algorithm())) store.keys.checkKeyState(k.cmkId());
                    w.commit();
                } finally {
                    w.close();
                }
                byte[] md5 = w.md5Digest();
                Written wr = new Written(w.blobId(), w.size(), md5 != null ? Versions.hex(md5) : Versions.versionEtag(w.blobId()), md5, k);
                ObjectRecord rec = wr.record(ObjectRecord.NORMAL, store.clock.millis(), ct, user, attrs, wr.md5Hex());
                return toMeta(bucket, key, publish(bucket, key, rec, null));
            }

            @Override
            public void close() {
                if (!done) {
                    done = true;
                    w.close();
                }
            }
        };
    }

    @Override
    public void rename(String bucket, String from, String to, boolean prefix) {
        Names.checkKey(to);
        bucket(bucket);
        if (!prefix) {
            allow("oss:GetObject", bucket, from);
            allow("oss:DeleteObject", bucket, from);
            allow("oss:PutObject", bucket, to);
            if (from.equals(to)) {
                if (meta.object(bucket, from) == null) throw OssErrors.noSuchKey(bucket, from);
                return;
            }
            MetaStore.Committed<Object> c = meta.commit(tx -> {
                bucket(bucket);
                if (meta.object(bucket, from) == null) throw OssErrors.noSuchKey(bucket, from);
                meta.moveObject(tx, bucket, from, to);
                return null;
            });
            store.deleteBlobs(c.freedBlobs());
            return;
        }
        if (to.startsWith(from) || from.startsWith(to)) {
            if (from.equals(to)) return;
            throw OssErrors.invalidArgument("Cannot rename " + url(bucket, from) + " to " + url(bucket, to) + ": one contains the other.");
        }
        MetaStore.Committed<Object> c = meta.commit(tx -> {
            bucket(bucket);
            List<String> keys = new ArrayList<>(meta.range(bucket, from, true, Names.successor(from)).keySet());
            if (keys.isEmpty()) throw OssErrors.noSuchKey(bucket, from);
            String base = bucket + "/";
            for (String ik : keys) {
                String k = ik.substring(base.length());
                String nk = to + k.substring(from.length());
                Names.checkKey(nk);
                allow("oss:GetObject", bucket, k);
                allow("oss:DeleteObject", bucket, k);
                allow("oss:PutObject", bucket, nk);
            }
            for (String ik : keys) {
                String k = ik.substring(base.length());
                meta.moveObject(tx, bucket, k, to + k.substring(from.length()));
            }
            return null;
        });
        store.deleteBlobs(c.freedBlobs());
    }

    @Override
    public ObjectMeta updateMetadata(String bucket, String key, PosixAttributes attrs, Map<String, String> userMetadata) {
        allow("oss:PutObject", bucket, key);
        Map<String, String> user = userMetadata == null ? null : checkedUserMetadata(userMetadata);
        ObjectRecord r = meta.commit(tx -> {
            bucket(bucket);
            ObjectRecord cur = meta.object(bucket, key);
            if (cur == null) throw OssErrors.noSuchKey(bucket, key);
            ObjectRecord n = cur.withPosixAndMeta(attrs != null ? attrs : cur.posix(), user != null ? user : cur.userMetadata());
            meta.putObjectMetadata(bucket, key, n);
            return n;
        }).value();
        return toMeta(bucket, key, r);
    }
}
