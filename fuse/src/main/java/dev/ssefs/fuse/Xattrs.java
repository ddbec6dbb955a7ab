package dev.ssefs.fuse;

import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.ObjectMeta;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.OssException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Extended attributes. On a file (or directory marker), {@code user.x-oss-server-side-encryption},
 * {@code ...-encryption-key-id} and {@code user.x-oss-server-side-data-encryption} are the object's actual SSE
 * headers; setting one re-encrypts the object as CopyObject onto itself with the new SSE headers. Other
 * {@code user.NAME} attributes are the object's user metadata {@code x-oss-meta-NAME}. On the mount root the SSE
 * names are the bucket's default encryption rule. {@code security.*}, {@code trusted.*} and {@code system.*}
 * answer at once, without I/O.
 */
final class Xattrs {
    static final String SSE = "x-oss-server-side-encryption";
    static final String SSE_KEY_ID = "x-oss-server-side-encryption-key-id";
    static final String SSE_DATA = "x-oss-server-side-data-encryption";
    static final String USER = "user.";
    static final String META = "x-oss-meta-";
    static final int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    private static final Set<String> ALGORITHMS = Set.of("AES256", "KMS", "SM4");
    private static final List<String> SSE_HEADERS = List.of(SSE, SSE_KEY_ID, SSE_DATA);

    private final Volume vol;
    private final Oss oss;
    private final String bucket;
    private final FsCore core;

    Xattrs(Volume vol, FsCore core) {
        this.vol = vol;
        this.oss = vol.oss();
        this.bucket = vol.bucket();
        this.core = core;
    }

    /** True for namespaces the filesystem never stores: answered without any lookup. */
    static boolean unsupportedNamespace(String name) {
        return !name.startsWith(USER);
    }

    private static String header(String name) {
        String h = name.substring(USER.length());
        return SSE_HEADERS.contains(h) ? h : META + h;
    }

    byte[] get(String path, String name) {
        if (unsupportedNamespace(name)) throw unsupported();
        String key = ObjectPaths.key(path);
        String h = header(name);
        String v;
        if (key.isEmpty()) {
            v = ruleHeaders().get(h);
        } else {
            ObjectMeta m = meta(path, key);
            v = m == null ? null : all(m).get(h);
        }
        if (v == null) throw noData(name);
        return v.getBytes(StandardCharsets.UTF_8);
    }

    List<String> list(String path) {
        String key = ObjectPaths.key(path);
        Map<String, String> headers;
        if (key.isEmpty()) headers = ruleHeaders();
        else {
            ObjectMeta m = meta(path, key);
            headers = m == null ? Map.of() : all(m);
        }
        List<String> names = new ArrayList<>();
        for (String h : headers.keySet()) names.add(USER + (h.startsWith(META) ? h.substring(META.length()) : h));
        return names;
    }

    void set(String path, String name, byte[] value, int flags) throws IOException {
        if (unsupportedNamespace(name)) throw unsupported();
        if (name.length() <= USER.length()) throw new FsException(Errno.EINVAL, "empty attribute name");
        // OSS lower-cases x-oss-meta-* names: user.Foo would come back as user.foo, so it is refused, not renamed
        if (!name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new FsException(Errno.EINVAL, "attribute names must be lower-case (OSS lower-cases x-oss-meta-* names): " + name);
        }
        if (vol.options().readOnly) throw new FsException(Errno.EROFS, "read-only mount");
        String v = utf8(value);
        String key = ObjectPaths.key(path);
        String h = header(name);
        if (key.isEmpty()) {
            if (!SSE_HEADERS.contains(h)) throw new FsException(Errno.ENOTSUP, "the mount root holds only the bucket's encryption rule");
            checkFlags(ruleHeaders().containsKey(h), flags, name);
            setRule(h, v);
            return;
        }
        ObjectMeta m = committedMeta(path, key);
        checkFlags(all(m).containsKey(h), flags, name);
        if (SSE_HEADERS.contains(h)) {
            reencrypt(key, m, desiredSse(m.sseHeaders(), h, v));
        } else {
            Map<String, String> user = new LinkedHashMap<>(m.userMetadata());
            user.put(h, v);
            updateUserMetadata(key, m, user);
        }
    }

    void remove(String path, String name) throws IOException {
        if (unsupportedNamespace(name)) throw unsupported();
        if (vol.options().readOnly) throw new FsException(Errno.EROFS, "read-only mount");
        String key = ObjectPaths.key(path);
        String h = header(name);
        if (key.isEmpty()) {
            Map<String, String> rule = ruleHeaders();
            if (!rule.containsKey(h)) throw noData(name);
            if (h.equals(SSE)) oss.deleteBucketEncryption(bucket);
            else if (h.equals(SSE_KEY_ID)) oss.putBucketEncryption(bucket, new BucketEncryptionRule("KMS", null, rule.get(SSE_DATA)));
            else oss.putBucketEncryption(bucket, new BucketEncryptionRule("KMS", rule.get(SSE_KEY_ID), null));
            return;
        }
        ObjectMeta m = committedMeta(path, key);
        Map<String, String> cur = m.sseHeaders();
        if (!all(m).containsKey(h)) throw noData(name);
        if (SSE_HEADERS.contains(h)) {
            Map<String, String> desired = new LinkedHashMap<>();
            if (!h.equals(SSE)) {
                desired.put(SSE, "KMS");
                if (!h.equals(SSE_KEY_ID) && cur.get(SSE_KEY_ID) != null) desired.put(SSE_KEY_ID, cur.get(SSE_KEY_ID));
                if (!h.equals(SSE_DATA) && cur.get(SSE_DATA) != null) desired.put(SSE_DATA, cur.get(SSE_DATA));
            }
            reencrypt(key, m, desired);
        } else {
            Map<String, String> user = new LinkedHashMap<>(m.userMetadata());
            user.remove(h);
            updateUserMetadata(key, m, user);
        }
    }

    // ------------------------------------------------------------------ objects

    private static Map<String, String> all(ObjectMeta m) {
        Map<String, String> h = new LinkedHashMap<>();
        for (String s : SSE_HEADERS) if (m.sseHeaders().get(s) != null) h.put(s, m.sseHeaders().get(s));
        h.putAll(m.userMetadata());
        return h;
    }

    /** The object (or directory marker) behind {@code path}; null for an implied directory or an uncommitted file. */
    private ObjectMeta meta(String path, String key) {
        FsCore.Node n = core.lookup(path);
        if (n.meta() != null) return n.meta();
        if (n.open() != null) return core.head(key);
        return null;
    }

    /** Like {@link #meta}, but commits pending data first and gives implied directories a marker. */
    private ObjectMeta committedMeta(String path, String key) throws IOException {
        FsCore.Node n = core.lookup(path);
        if (n.open() != null) n.open().commit();
        ObjectMeta m = core.head(n.isDir() ? key + "/" : key);
        if (m == null && n.isDir()) {
            core.mkdirMarker(key, n.attr());
            m = core.head(key + "/");
        }
        if (m == null) throw FsException.noEntry(path);
        return m;
    }

    private Map<String, String> desiredSse(Map<String, String> cur, String h, String v) {
        Map<String, String> d = new LinkedHashMap<>();
        boolean wasKms = "KMS".equals(cur.get(SSE));
        switch (h) {
            case SSE -> {
                if (!ALGORITHMS.contains(v)) throw invalid("x-oss-server-side-encryption must be AES256, KMS or SM4, not '" + v + "'");
                d.put(SSE, v);
                if (v.equals("KMS") && wasKms) {
                    if (cur.get(SSE_KEY_ID) != null) d.put(SSE_KEY_ID, cur.get(SSE_KEY_ID));
                    if (cur.get(SSE_DATA) != null) d.put(SSE_DATA, cur.get(SSE_DATA));
                }
            }
            case SSE_KEY_ID -> {
                if (v.isBlank()) throw invalid("empty CMK id");
                d.put(SSE, "KMS");
                d.put(SSE_KEY_ID, v);
                if (wasKms && cur.get(SSE_DATA) != null) d.put(SSE_DATA, cur.get(SSE_DATA));
            }
            default -> {
                if (!"SM4".equals(v)) throw invalid("x-oss-server-side-data-encryption must be SM4, not '" + v + "'");
                d.put(SSE, "KMS");
                if (wasKms && cur.get(SSE_KEY_ID) != null) d.put(SSE_KEY_ID, cur.get(SSE_KEY_ID));
                d.put(SSE_DATA, "SM4");
            }
        }
        return d;
    }

    /** CopyObject onto itself with new SSE headers; POSIX attributes and user metadata stay. */
    private void reencrypt(String key, ObjectMeta before, Map<String, String> sse) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>(sse);
        headers.put("x-oss-metadata-directive", "COPY");
        ObjectMeta after;
        try {
            after = oss.copyObject(bucket, key, bucket, key, headers);
        } catch (OssException e) {
            if (isUnknownKey(e)) throw new FsException(Errno.EINVAL, e.code() + ": " + e.getMessage(), e);
            throw e;
        }
        boolean posixLost = before.posix() != null && !before.posix().equals(after.posix());
        boolean metaLost = !before.userMetadata().equals(after.userMetadata());
        if (posixLost || metaLost) {
            after = oss.updateMetadata(bucket, key, posixLost ? before.posix() : null, metaLost ? before.userMetadata() : null);
        }
        refreshOpen(key, after);
    }

    private void updateUserMetadata(String key, ObjectMeta m, Map<String, String> user) {
        ObjectMeta after = oss.updateMetadata(bucket, m.key(), null, user);
        refreshOpen(key, after);
    }

    private void refreshOpen(String key, ObjectMeta after) {
        OpenFile of = core.openFile(key);
        if (of != null) of.refreshBase(after);
    }

    // ------------------------------------------------------------------ bucket rule (mount root)

    private Map<String, String> ruleHeaders() {
        BucketEncryptionRule r;
        try {
            r = oss.getBucketEncryption(bucket);
        } catch (OssException e) {
            if ("NoSuchServerSideEncryptionRule".equals(e.code())) return Map.of();
            throw e;
        }
        Map<String, String> h = new LinkedHashMap<>();
        if (r == null || r.sseAlgorithm() == null) return h;
        h.put(SSE, r.sseAlgorithm());
        if (r.kmsMasterKeyId() != null && !r.kmsMasterKeyId().isEmpty()) h.put(SSE_KEY_ID, r.kmsMasterKeyId());
        if (r.kmsDataEncryption() != null && !r.kmsDataEncryption().isEmpty()) h.put(SSE_DATA, r.kmsDataEncryption());
        return h;
    }

    private void setRule(String h, String v) {
        Map<String, String> cur = ruleHeaders();
        Map<String, String> d = desiredSse(cur, h, v);
        try {
            oss.putBucketEncryption(bucket, new BucketEncryptionRule(d.get(SSE), d.get(SSE_KEY_ID), d.get(SSE_DATA)));
        } catch (OssException e) {
            if (isUnknownKey(e)) throw new FsException(Errno.EINVAL, e.code() + ": " + e.getMessage(), e);
            throw e;
        }
    }

    // ------------------------------------------------------------------ helpers

    private static boolean isUnknownKey(OssException e) {
        String c = e.code();
        return c != null && (c.equals("KeyNotFound") || c.endsWith("KeyNotFound") || c.endsWith("AliasNotFound"));
    }

    private static void checkFlags(boolean exists, int flags, String name) {
        if ((flags & XATTR_CREATE) != 0 && exists) throw new FsException(Errno.EEXIST, "attribute exists: " + name);
        if ((flags & XATTR_REPLACE) != 0 && !exists) throw noData(name);
    }

    private static String utf8(byte[] value) {
        int len = value.length;
        while (len > 0 && value[len - 1] == 0) len--; // setfattr -v "x" sends no NUL, some tools send one
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value, 0, len)).toString();
        } catch (CharacterCodingException e) {
            throw invalid("attribute values must be UTF-8 text");
        }
    }

    private static FsException invalid(String msg) { return new FsException(Errno.EINVAL, msg); }

    /**
     * EOPNOTSUPP for a namespace the filesystem does not support, as a file system without ACLs or security labels
     * answers; ls -l then stops asking them for the rest of the mount (coreutils caches "unsupported" per device,
     * not "no such attribute"), instead of three round trips per entry.
     */
    private static FsException unsupported() { return new FsException(Errno.ENOTSUP, "only user.* extended attributes are supported"); }

    private static FsException noData(String name) { return new FsException(Errno.ENODATA, "no attribute " + name); }
}
