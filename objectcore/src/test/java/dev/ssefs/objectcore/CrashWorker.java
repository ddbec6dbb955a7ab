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
        EmbeddedKms kms = StoreFixture.openKms(dir, Clock.systemUTC());
        EmbeddedObjectStore store = EmbeddedObjectStore.open(dir, kms, Clock.systemUTC());
        Oss oss = store.as("root");
        try {
            oss.createBucket(BUCKET, new BucketEncryptionRule("AES256", null, null));
        } catch (OssException e) {
            if (!e.code().equals("BucketAlreadyExists")) throw e;
        }
        System.out.println("ready");
        System.out.flush();
        while (true) {
            String key = "k" + rnd.nextInt(KEYS);
            int op = rnd.nextInt(100);
            seq++;
            String what = op < 55 || (op >= 70 && op < 85) ? "put" : op < 70 ? "delete" : "copy";
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
