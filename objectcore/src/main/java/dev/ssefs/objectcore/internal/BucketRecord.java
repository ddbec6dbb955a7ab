package dev.ssefs.objectcore.internal;

import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.BucketInfo;

import java.time.Instant;

/** A bucket in meta.db: creation time, default encryption rule (null = none) and origin (null = none). */
public record BucketRecord(String name, long createdMillis, BucketEncryptionRule rule, String origin) {
    private static final int FORMAT = 1;

    public BucketInfo info() { return new BucketInfo(name, Instant.ofEpochMilli(createdMillis), rule, origin); }

    public BucketRecord withRule(BucketEncryptionRule r) { return new BucketRecord(name, createdMillis, r, origin); }

    public BucketRecord withOrigin(String o) { return new BucketRecord(name, createdMillis, rule, o); }

    public byte[] encode() {
        Codec.Out o = new Codec.Out().i(FORMAT).str(name).l(createdMillis).b(rule != null);
        if (rule != null) o.str(rule.sseAlgorithm()).str(rule.kmsMasterKeyId()).str(rule.kmsDataEncryption());
        return o.str(origin).done();
    }

    public static BucketRecord decode(byte[] b) {
        Codec.In in = new Codec.In(b);
        int f = in.i();
        if (f != FORMAT) throw new IllegalStateException("unknown bucket record format " + f);
        String name = in.str();
        long created = in.l();
        BucketEncryptionRule rule = in.b() ? new BucketEncryptionRule(in.str(), in.str(), in.str()) : null;
        return new BucketRecord(name, created, rule, in.str());
    }
}
