package dev.ssefs.objectcore;

import dev.ssefs.keys.EmbeddedKms;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

/**
 * The writer process of {@link CrashTest}: overwrites, deletes, renames and re-encrypts a few keys in a loop until
 * it is killed. Each object's content names its key and sequence number and carries the SHA-256 of its body, so
 * the checker can tell a whole version from anything else. After each acknowledged operation it prints
 * {@code ack <op> <key> <seq>}.
 */
public final class CrashWorker {
    static final String BUCKET = "crash";
    static final int KEYS = 8;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seq = Long.parseLong(args[1]);
        Random rnd = new Random(Long.parseLong(args[2]));
        boolean grouped = args.length > 3 && args[3].equals("grouped");
        EmbeddedKms kms = StoreFixture.openKms(dir, Clock.systemUTC());
        EmbeddedObjectStore store = EmbeddedObjectStore.open(dir, kms, Clock.systemUTC(), grouped
                ? EmbeddedObjectStore.Options.grouped(java.time.Duration.ofMillis(50)) : EmbeddedObjectStore.Options.defaults());
        Oss oss = store.as("root");
        try {
            oss.createBucket(BUCKET, new BucketEncryptionRule("AES256", null, null));
        } catch (OssException e) {
            if (!e.code().equals("BucketAlreadyExists")) throw e;
        }
        System.out.println("ready");
        System.out.flush();
        while (true) {
            if (grouped && rnd.nextInt(6) == 0) {
                // an fsync: everything acknowledged before this line must survive
                store.sync();
                System.out.println("synced");
                System.out.flush();
            }
            String key = "k" + rnd.nextInt(KEYS);
            int op = rnd.nextInt(100);
            seq++;
            String what = op < 55 || (op >= 70 && op < 85) || (op >= 90 && op < 93) ? "put" : op < 70 ? "delete" : op < 90 ? "append" : "copy";
            System.out.println("begin " + what + " " + key + " " + seq);
            System.out.flush();
            if (op < 55) {
                Map<String, String> h = rnd.nextInt(4) == 0 ? Map.of("x-oss-server-side-encryption", "KMS") : Map.of();
                oss.putObject(BUCKET, key, new ByteArrayInputStream(content(key, seq, rnd)), h);
                ack("put", key, seq);
            } else if (op < 70) {
                oss.deleteObject(BUCKET, key);
                ack("delete", key, seq);
            } else if (op < 85) {
                try (Oss.ObjectWriter w = oss.newWriter(BUCKET, "tmp/" + key, Map.of(), null)) {
                    w.write(java.nio.ByteBuffer.wrap(content(key, seq, rnd)));
                    w.commit();
                }
                oss.rename(BUCKET, "tmp/" + key, key, false);
                ack("put", key, seq);
            } else if (op < 90) {
                // an appendable log of self-checking records
                String log = "log" + rnd.nextInt(2);
                long pos;
                try {
                    pos = oss.headObject(BUCKET, log).size();
                } catch (OssException e) {
                    pos = 0;
                }
                oss.appendObject(BUCKET, log, pos, new ByteArrayInputStream(record(seq, rnd)), Map.of());
                System.out.println("ack append " + log + " " + seq);
                System.out.flush();
            } else if (op < 93) {
                byte[] all = content(key, seq, rnd);
                String id = oss.initiateMultipartUpload(BUCKET, key, Map.of("x-oss-server-side-encryption", "SM4"));
                int cut = all.length / 2;
                String e1 = oss.uploadPart(BUCKET, key, id, 1, new ByteArrayInputStream(all, 0, cut), Map.of());
                String e2 = oss.uploadPart(BUCKET, key, id, 2, new ByteArrayInputStream(all, cut, all.length - cut), Map.of());
                oss.completeMultipartUpload(BUCKET, key, id, new java.util.TreeMap<>(Map.of(1, e1, 2, e2)));
                ack("put", key, seq);
            } else {
                try {
                    oss.copyObject(BUCKET, key, BUCKET, key, Map.of("x-oss-server-side-encryption", rnd.nextBoolean() ? "SM4" : "AES256"));
                    System.out.println("ack copy " + key + " " + seq);
                    System.out.flush();
                } catch (OssException e) {
                    if (!e.code().equals("NoSuchKey")) throw e;
                }
            }
        }
    }

    static void ack(String op, String key, long seq) {
        System.out.println("ack " + op + " " + key + " " + seq);
        System.out.flush();
    }

    /** {@code SSEFS-CRASH <key> <seq> <length> <sha256>\n} then the body. */
    static byte[] content(String key, long seq, Random rnd) throws Exception {
        int len = switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt(100);
            case 1 -> rnd.nextInt(70_000);
            default -> rnd.nextInt(400_000);
        };
        byte[] body = new byte[len];
        rnd.nextBytes(body);
        String head = "SSEFS-CRASH " + key + " " + seq + " " + len + " "
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)) + "\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + len];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, len);
        return all;
    }

    /** One record of an appendable log: {@code SSEFS-REC <seq> <length> <sha256>\n} then the body. */
    static byte[] record(long seq, Random rnd) throws Exception {
        byte[] body = new byte[rnd.nextInt(3000)];
        rnd.nextBytes(body);
        byte[] h = ("SSEFS-REC " + seq + " " + body.length + " "
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /** Checks a whole log; returns the sequence numbers of its records, in order. */
    static java.util.List<Long> checkLog(String key, byte[] all) throws Exception {
        java.util.List<Long> seqs = new java.util.ArrayList<>();
        int pos = 0;
        while (pos < all.length) {
            int nl = pos;
            while (nl < all.length && all[nl] != '\n') nl++;
            if (nl == all.length) throw new AssertionError(key + ": torn record at " + pos);
            String[] f = new String(all, pos, nl - pos, StandardCharsets.US_ASCII).split(" ");
            if (f.length != 4 || !f[0].equals("SSEFS-REC")) throw new AssertionError(key + ": bad record at " + pos);
            int len = Integer.parseInt(f[2]);
            if (nl + 1 + len > all.length) throw new AssertionError(key + ": short record at " + pos);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(all, nl + 1, len);
            if (!HexFormat.of().formatHex(md.digest()).equals(f[3])) throw new AssertionError(key + ": record hash mismatch at " + pos);
            seqs.add(Long.parseLong(f[1]));
            pos = nl + 1 + len;
        }
        return seqs;
    }

    /** Checks a content; returns its sequence number. */
    static long check(String key, byte[] all) throws Exception {
        int nl = -1;
        for (int i = 0; i < Math.min(all.length, 200); i++) if (all[i] == '\n') { nl = i; break; }
        if (nl < 0) throw new AssertionError(key + ": no header line");
        String[] f = new String(all, 0, nl, StandardCharsets.US_ASCII).split(" ");
        if (f.length != 5 || !f[0].equals("SSEFS-CRASH")) throw new AssertionError(key + ": bad header");
        String expectKey = key.startsWith("tmp/") ? key.substring(4) : key;
        if (!f[1].equals(expectKey)) throw new AssertionError(key + ": content of " + f[1]);
        int len = Integer.parseInt(f[3]);
        if (all.length - nl - 1 != len) throw new AssertionError(key + ": length " + (all.length - nl - 1) + " != " + len);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(all, nl + 1, len);
        if (!HexFormat.of().formatHex(md.digest()).equals(f[4])) throw new AssertionError(key + ": body hash mismatch");
        return Long.parseLong(f[2]);
    }
}
