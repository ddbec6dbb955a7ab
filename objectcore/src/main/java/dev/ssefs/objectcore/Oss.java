package dev.ssefs.objectcore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The OSS API as seen by one principal. Every call is checked against the principal's RAM policies,
 * for the OSS action and for the KMS actions it needs. Errors are {@link OssException}s with OSS codes.
 * Header maps use OSS header names (e.g. {@code x-oss-server-side-encryption}); user metadata is
 * {@code x-oss-meta-*} with lower-cased names.
 */
public interface Oss {
    String principal();

    // ---- buckets
    /** {@code rule} null means no default encryption. */
    BucketInfo createBucket(String bucket, BucketEncryptionRule rule);
    List<BucketInfo> listBuckets();
    BucketInfo getBucketInfo(String bucket);
    /** 409 BucketNotEmpty when objects remain. */
    void deleteBucket(String bucket);

    void putBucketEncryption(String bucket, BucketEncryptionRule rule);
    /** 404 NoSuchServerSideEncryptionRule when none. */
    BucketEncryptionRule getBucketEncryption(String bucket);
    void deleteBucketEncryption(String bucket);

    /** Mirroring-based back-to-origin: a local directory or an http(s) URL; null clears it. */
    void putBucketOrigin(String bucket, String origin);
    String getBucketOrigin(String bucket);

    // ---- objects
    ObjectMeta putObject(String bucket, String key, InputStream data, Map<String, String> requestHeaders) throws IOException;
    ObjectMeta headObject(String bucket, String key);
    /** Whole object when {@code range} is null. The stream authenticates every chunk it returns. */
    ObjectContent getObject(String bucket, String key, ByteRange range) throws IOException;
    void deleteObject(String bucket, String key);
    ListResult listObjects(String bucket, String prefix, String delimiter, String marker, int maxKeys);
    ObjectMeta copyObject(String srcBucket, String srcKey, String dstBucket, String dstKey,
                          Map<String, String> requestHeaders) throws IOException;
    ObjectMeta appendObject(String bucket, String key, long position, InputStream data,
                            Map<String, String> requestHeaders) throws IOException;

    String initiateMultipartUpload(String bucket, String key, Map<String, String> requestHeaders);
    /** Returns the part's ETag. An SSE header here is 400 InvalidArgument. */
    String uploadPart(String bucket, String key, String uploadId, int partNumber, InputStream data,
                      Map<String, String> requestHeaders) throws IOException;
    ObjectMeta completeMultipartUpload(String bucket, String key, String uploadId, SortedMap<Integer, String> partETags);
    /**
     * CompleteMultipartUpload with the parts in request order (as the XML body lists them): part numbers must
     * ascend (else 400 InvalidPartOrder) and each must exist with the given ETag (else 400 InvalidPart).
     */
    default ObjectMeta completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> parts) {
        java.util.TreeMap<Integer, String> m = new java.util.TreeMap<>();
        int prev = 0;
        for (CompletedPart p : parts) {
            if (p.partNumber() <= prev) {
                throw new OssException(400, "InvalidPartOrder", "The list of parts was not in ascending order. "
                        + "Parts list must be specified in order by part number.");
            }
            prev = p.partNumber();
            m.put(p.partNumber(), p.etag());
        }
        return completeMultipartUpload(bucket, key, uploadId, m);
    }
    /** One {@code <Part>} of CompleteMultipartUpload; the ETag may be quoted. */
    record CompletedPart(int partNumber, String etag) {}
    void abortMultipartUpload(String bucket, String key, String uploadId);

    // ---- verification (for `ssefs verify`)
    /**
     * Authenticates every chunk of every object of {@code bucket} whose key starts with {@code prefix} (null = all),
     * and reports each failure as {@code oss://bucket/key} with the reason. Needs {@code oss:ListObjects} on the
     * bucket and {@code oss:GetObject} (and {@code kms:Decrypt} for KMS objects) on each object; a refused object is
     * reported as a failure too. {@code listener} may be null.
     */
    default VerifyReport verify(String bucket, String prefix, VerifyReport.Listener listener) {
        throw new UnsupportedOperationException("verify is not implemented by " + getClass().getName());
    }

    // ---- what the mount needs beyond OSS (still permission- and key-state-checked)
    /** Random-access plaintext reads that decrypt only the chunks touched. */
    ObjectReader openReader(String bucket, String key) throws IOException;
    /**
     * Streams a new version of {@code key}; nothing is visible until {@link ObjectWriter#commit()}.
     * SSE follows {@code requestHeaders}, else the bucket default, as PutObject.
     */
    ObjectWriter newWriter(String bucket, String key, Map<String, String> requestHeaders, PosixAttributes attrs) throws IOException;

    /**
     * As {@link #newWriter(String, String, Map, PosixAttributes)}, but the ETag is the content's MD5 only when the content
     * is at most {@code md5Limit} bytes; a larger object is not hashed (MD5 is slower than its encryption) and gets a
     * unique version ETag {@code <32 hex>-1}, as OSS gives objects made other than by one PutObject (multipart, append).
     */
    default ObjectWriter newWriter(String bucket, String key, Map<String, String> requestHeaders, PosixAttributes attrs,
                                   long md5Limit) throws IOException {
        return newWriter(bucket, key, requestHeaders, attrs);
    }
    /** Metadata-only, atomic; replaces an existing {@code to}. With {@code prefix} true, renames every key under {@code from}. */
    void rename(String bucket, String from, String to, boolean prefix);
    /** Metadata-only update of POSIX attributes and/or user metadata (null = unchanged). */
    ObjectMeta updateMetadata(String bucket, String key, PosixAttributes attrs, Map<String, String> userMetadata);

    /**
     * Makes every change so far durable (what an fsync needs); a no-op where each change is durable when its call
     * returns. See {@link ObjectStore#sync()}.
     */
    default void sync() {}

    interface ObjectReader extends AutoCloseable {
        ObjectMeta meta();
        /** Fills {@code dst} from plaintext {@code position}; returns bytes read, -1 at EOF. Throws on integrity failure. */
        int read(long position, ByteBuffer dst) throws IOException;
        @Override void close();
    }

    interface ObjectWriter extends AutoCloseable {
        void write(ByteBuffer src) throws IOException;
        /** Forces the blob to disk, then publishes it in one metadata commit. */
        ObjectMeta commit() throws IOException;
        /** Discards an uncommitted version. Idempotent; close() without commit() aborts. */
        @Override void close();
    }
}
