package dev.ssefs.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.ListResult;
import dev.ssefs.objectcore.ObjectMeta;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.OssException;
import dev.ssefs.objectcore.SseHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ssefs reencrypt}: CopyObject of each object onto itself with the SSE headers asked for, or with none so
 * that the bucket's rule applies. Objects are done in key order; a checkpoint in the data dir records the last
 * key done and the keys that failed, so a second run with the same arguments resumes instead of starting over.
 */
final class Reencrypt {
    private static final int PAGE = 1000;

    private Reencrypt() {}

    /** What a run has done so far; saved as JSON. */
    record Checkpoint(String bucket, String prefix, Map<String, String> headers, String marker, List<String> failed, long done) {}

    static int run(Invocation inv, Command.Args a) throws IOException {
        OssUrl u = ObjectCommands.url(a, a.arg(0));
        Oss oss = inv.oss();
        Map<String, String> headers = headers(a);
        if (headers.isEmpty()) {
            try {
                oss.getBucketEncryption(u.bucket());
            } catch (OssException e) {
                if (e.code().equals("NoSuchServerSideEncryptionRule")) {
                    throw new CliFailure(u.bucket() + " has no default encryption rule, so re-encrypting by the rule would "
                            + "leave objects without SSE; give --sse-algorithm, or set a rule with bucket-encryption --method put");
                }
                throw e;
            }
        }
        Path file = checkpointFile(inv, u, headers);
        Checkpoint cp = a.has("restart") ? null : load(file);
        Map<String, String> copyHeaders = new LinkedHashMap<>(headers);
        copyHeaders.put(SseHeaders.METADATA_DIRECTIVE, "COPY");

        long total = count(oss, u);
        long alreadyDone = cp == null ? 0 : cp.done();
        String marker = cp == null ? null : cp.marker();
        List<String> retry = cp == null ? List.of() : cp.failed();
        if (cp != null) {
            inv.err().println("ssefs: reencrypt: resuming " + u + " after " + alreadyDone + " objects"
                    + (retry.isEmpty() ? "" : ", retrying " + retry.size() + " that failed"));
        }
        Set<String> failed = new LinkedHashSet<>();
        long done = alreadyDone;
        long changed = 0;
        try (Progress bar = Progress.start(inv, a, "reencrypt", Math.max(total, done), false)) {
            bar.step(Math.max(0, alreadyDone - retry.size()));
            for (String key : retry) {
                if (reencrypt(inv, oss, u.bucket(), key, copyHeaders, failed)) {
                    changed++;
                }
                bar.step(1);
                save(file, new Checkpoint(u.bucket(), u.key(), headers, marker, new ArrayList<>(failed), done));
            }
            while (true) {
                ListResult page = oss.listObjects(u.bucket(), u.key(), null, marker, PAGE);
                for (ObjectMeta m : page.objects()) {
                    if (reencrypt(inv, oss, u.bucket(), m.key(), copyHeaders, failed)) {
                        changed++;
                    }
                    marker = m.key();
                    done++;
                    bar.step(1);
                    save(file, new Checkpoint(u.bucket(), u.key(), headers, marker, new ArrayList<>(failed), done));
                }
                if (!page.truncated()) {
                    break;
                }
                marker = page.nextMarker();
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("Target", u.toString());
        r.put("Reencrypted", changed);
        r.put("Failed", new ArrayList<>(failed));
        if (failed.isEmpty()) {
            Files.deleteIfExists(file);
        }
        if (inv.output().json()) {
            inv.output().writeJson(r);
        } else {
            inv.output().line("Re-encrypted " + changed + " objects in " + u
                    + (failed.isEmpty() ? "" : "; " + failed.size() + " failed"));
        }
        if (!failed.isEmpty()) {
            inv.err().println("ssefs: reencrypt: " + failed.size() + " objects failed; run the same command again to retry them");
            return Main.SERVICE_ERROR;
        }
        return Main.OK;
    }

    /** The SSE request headers from the options; empty means "the bucket's rule". */
    static Map<String, String> headers(Command.Args a) {
        Map<String, String> h = new LinkedHashMap<>();
        if (!a.has("sse-algorithm") && !a.has("kms-masterkey-id")) {
            if (a.has("kms-data-encryption")) {
                throw a.usage("--kms-data-encryption needs --sse-algorithm KMS");
            }
            return h;
        }
        BucketEncryptionRule r = ObjectCommands.rule(a, null);
        if (r == null) {
            throw a.usage("--sse-algorithm none is not a re-encryption; use AES256, KMS or SM4");
        }
        h.put(SseHeaders.SSE, r.sseAlgorithm());
        if (r.kmsMasterKeyId() != null) {
            h.put(SseHeaders.SSE_KEY_ID, r.kmsMasterKeyId());
        }
        if (r.kmsDataEncryption() != null) {
            h.put(SseHeaders.SSE_DATA, r.kmsDataEncryption());
        }
        return h;
    }

    private static boolean reencrypt(Invocation inv, Oss oss, String bucket, String key, Map<String, String> headers,
                                     Set<String> failed) throws IOException {
        try {
            oss.copyObject(bucket, key, bucket, key, headers);
            failed.remove(key);
            return true;
        } catch (OssException e) {
            if (e.code().equals("NoSuchKey")) {
                failed.remove(key); // deleted meanwhile: nothing left to re-encrypt
                return false;
            }
            inv.err().println("ssefs: reencrypt oss://" + bucket + "/" + key + ": " + e.code() + ": " + e.getMessage());
            failed.add(key);
            return false;
        } catch (IOException e) {
            inv.err().println("ssefs: reencrypt oss://" + bucket + "/" + key + ": " + e.getMessage());
            failed.add(key);
            return false;
        }
    }

    private static long count(Oss oss, OssUrl u) {
        long n = 0;
        String marker = null;
        do {
            ListResult page = oss.listObjects(u.bucket(), u.key(), null, marker, PAGE);
            n += page.objects().size();
            marker = page.truncated() ? page.nextMarker() : null;
        } while (marker != null);
        return n;
    }

    /** One checkpoint per bucket, prefix and target SSE, under the data dir (mode 0700). */
    static Path checkpointFile(Invocation inv, OssUrl u, Map<String, String> headers) {
        String id = u.bucket() + "\n" + u.key() + "\n" + new java.util.TreeMap<>(headers);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return inv.stores().dataDir().resolve("checkpoints").resolve("reencrypt-" + HexFormat.of().formatHex(h, 0, 12) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Checkpoint load(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return Output.mapper().readValue(file.toFile(), new TypeReference<Checkpoint>() {});
        } catch (IOException e) {
            throw new CliFailure("cannot read the reencrypt checkpoint " + file + " (" + e.getMessage()
                    + "); use --restart to start over");
        }
    }

    static void save(Path file, Checkpoint cp) {
        try {
            Path dir = file.getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path tmp = dir.resolve(file.getFileName() + ".tmp");
            Files.write(tmp, Output.mapper().writeValueAsBytes(cp));
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new CliFailure("cannot save the reencrypt checkpoint " + file + ": " + Invocation.describe(e), e);
        }
    }
}
