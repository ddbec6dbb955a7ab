package dev.ssefs.cli;

import static dev.ssefs.cli.Commands.flag;
import static dev.ssefs.cli.Commands.opt;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.BucketEncryptionXml;
import dev.ssefs.objectcore.BucketInfo;
import dev.ssefs.objectcore.ListResult;
import dev.ssefs.objectcore.ObjectContent;
import dev.ssefs.objectcore.ObjectMeta;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.OssException;
import dev.ssefs.objectcore.SseHeaders;
import dev.ssefs.objectcore.VerifyReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.cli.Option;

/** The ossutil-style object commands: buckets, objects, bucket rules, re-encryption and verification. */
final class ObjectCommands {
    private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;

    private ObjectCommands() {}

    static Option sseAlgorithm(String what) {
        return opt("sse-algorithm", "A", what);
    }

    static Option kmsKeyId() {
        return opt("kms-masterkey-id", "ID", "the CMK (KeyId or alias) for KMS; implies --sse-algorithm KMS");
    }

    static Option kmsDataEncryption() {
        return opt("kms-data-encryption", "SM4", "with KMS: encrypt the data with SM4");
    }

    static Option progress() {
        return flag("progress", "draw the progress bar even when stderr is not a terminal");
    }

    static Option noProgress() {
        return flag("no-progress", "never draw the progress bar");
    }

    static void register(Command root) {
        root.add(Command.leaf("mb", "oss://BUCKET", "Make a bucket; its default encryption rule is AES256 unless told otherwise.", 1, 1,
                ObjectCommands::mb,
                sseAlgorithm("default encryption: AES256 (default), KMS, SM4, or none for no rule"),
                kmsKeyId(), kmsDataEncryption()));
        root.add(Command.leaf("rb", "oss://BUCKET", "Remove an empty bucket.", 1, 1, ObjectCommands::rb));
        root.add(Command.leaf("ls", "[oss://BUCKET[/PREFIX]]", "List buckets, or the objects of a bucket under a prefix.", 0, 1,
                ObjectCommands::ls,
                flag("d", "directory", "list only this level: objects and the prefixes under it (delimiter /)")));
        root.add(Command.leaf("bucket-encryption", "oss://BUCKET",
                "Put, get or delete a bucket's default encryption rule (PutBucketEncryption, ...).", 1, 1,
                ObjectCommands::bucketEncryption,
                opt("method", "M", "put, get or delete (required)"),
                sseAlgorithm("with put: AES256, KMS or SM4 (required)"), kmsKeyId(), kmsDataEncryption()));
        root.add(CopyCommand.command());
        root.add(Command.leaf("cat", "oss://BUCKET/KEY", "Write an object's content to stdout.", 1, 1, ObjectCommands::cat));
        root.add(Command.leaf("rm", "oss://BUCKET/KEY", "Delete an object.", 1, 1, ObjectCommands::rm));
        root.add(Command.leaf("stat", "oss://BUCKET[/KEY]", "Show an object's headers, one 'name: value' per line, or a bucket's info.",
                1, 1, ObjectCommands::stat));
        root.add(Command.leaf("reencrypt", "oss://BUCKET[/PREFIX]",
                "Re-encrypt existing objects (CopyObject onto itself) with the bucket rule or the given one; resumable.",
                1, 1, Reencrypt::run,
                sseAlgorithm("AES256, KMS or SM4 (default: the bucket's rule)"), kmsKeyId(), kmsDataEncryption(),
                flag("restart", "ignore a saved checkpoint and start from the first object"),
                progress(), noProgress())
                .details("Progress is saved in the data dir after every object; running the same command again resumes\n"
                        + "after the last object done and retries the ones that failed."));
        root.add(Command.leaf("verify", "oss://BUCKET[/PREFIX]",
                "Authenticate every object in full; list each one that fails (exit 1 if any does).", 1, 1,
                ObjectCommands::verify, progress(), noProgress()));
        root.add(Command.leaf("bucket-origin", "oss://BUCKET",
                "Put, get or delete a bucket's back-to-origin source (a local directory or an http(s) URL).", 1, 1,
                ObjectCommands::bucketOrigin,
                opt("method", "M", "put, get or delete (required)"),
                opt("origin", "DIR|URL", "with put: the origin (a relative directory is the caller's)")));
    }

    // ---- helpers

    static OssUrl url(Command.Args a, String text) {
        try {
            return OssUrl.parse(text);
        } catch (IllegalArgumentException e) {
            throw a.usage(e.getMessage());
        }
    }

    static OssUrl bucketUrl(Command.Args a, String text) {
        OssUrl u = url(a, text);
        if (!u.isBucket()) {
            throw a.usage("expected a bucket (oss://BUCKET), not " + text);
        }
        return u;
    }

    static OssUrl objectUrl(Command.Args a, String text) {
        OssUrl u = url(a, text);
        if (u.isBucket()) {
            throw a.usage("expected an object (oss://BUCKET/KEY), not " + text);
        }
        return u;
    }

    /** A rule from --sse-algorithm/--kms-masterkey-id/--kms-data-encryption; null when {@code none}. */
    static BucketEncryptionRule rule(Command.Args a, String fallbackAlgorithm) {
        String alg = a.get("sse-algorithm");
        String keyId = a.get("kms-masterkey-id");
        if (alg == null && keyId != null) {
            alg = SseHeaders.KMS;
        }
        if (alg == null) {
            alg = fallbackAlgorithm;
        }
        if (alg == null) {
            throw a.usage("missing required option --sse-algorithm");
        }
        if (alg.equalsIgnoreCase("none")) {
            if (keyId != null || a.has("kms-data-encryption")) {
                throw a.usage("--kms-masterkey-id and --kms-data-encryption need --sse-algorithm KMS");
            }
            return null;
        }
        return new BucketEncryptionRule(alg, keyId, a.get("kms-data-encryption"));
    }

    static Map<String, Object> ruleJson(BucketEncryptionRule r) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("SSEAlgorithm", r.sseAlgorithm());
        d.put("KMSMasterKeyID", r.kmsMasterKeyId() == null ? "" : r.kmsMasterKeyId());
        if (r.kmsDataEncryption() != null) {
            d.put("KMSDataEncryption", r.kmsDataEncryption());
        }
        return Map.of("ServerSideEncryptionRule", Map.of("ApplyServerSideEncryptionByDefault", d));
    }

    /** {@code --meta "name:value#name:value"} as request headers; x-oss-* names lower-cased as OSS stores them. */
    static Map<String, String> meta(Command.Args a) {
        Map<String, String> h = new LinkedHashMap<>();
        String spec = a.get("meta");
        if (spec == null || spec.isEmpty()) {
            return h;
        }
        for (String pair : spec.split("#")) {
            if (pair.isBlank()) {
                continue;
            }
            int colon = pair.indexOf(':');
            if (colon <= 0) {
                throw a.usage("--meta: '" + pair + "' is not name:value");
            }
            String name = pair.substring(0, colon).trim();
            String value = pair.substring(colon + 1).trim();
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-oss-")) {
                name = lower;
            } else if (lower.equals("content-type")) {
                name = SseHeaders.CONTENT_TYPE;
            } else {
                throw a.usage("--meta: unsupported header '" + name + "' (use Content-Type, x-oss-server-side-encryption*, "
                        + "x-oss-meta-*)");
            }
            h.put(name, value);
        }
        return h;
    }

    static String iso(java.time.Instant t) {
        return t == null ? "" : ISO.format(t.atOffset(ZoneOffset.UTC));
    }

    static Map<String, Object> objectJson(ObjectMeta m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("Key", m.key());
        o.put("Size", m.size());
        o.put("ETag", "\"" + m.etag() + "\"");
        o.put("LastModified", iso(m.lastModified()));
        o.put("ContentType", m.contentType());
        o.putAll(m.sseHeaders());
        return o;
    }

    // ---- buckets

    static int mb(Invocation inv, Command.Args a) {
        OssUrl u = bucketUrl(a, a.arg(0));
        BucketEncryptionRule r = rule(a, SseHeaders.AES256);
        BucketInfo info = inv.oss().createBucket(u.bucket(), r);
        if (inv.output().json()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("Bucket", info.name());
            j.put("CreationDate", iso(info.creationDate()));
            if (info.rule() != null) {
                j.putAll(ruleJson(info.rule()));
            }
            inv.output().writeJson(j);
        } else {
            inv.output().line("Created " + u + (info.rule() == null ? " without default encryption"
                    : " with default encryption " + describe(info.rule())));
        }
        return Main.OK;
    }

    static String describe(BucketEncryptionRule r) {
        StringBuilder sb = new StringBuilder(r.sseAlgorithm());
        if (SseHeaders.KMS.equals(r.sseAlgorithm())) {
            sb.append(" (CMK ").append(r.kmsMasterKeyId() == null ? SseHeaders.DEFAULT_CMK_ALIAS : r.kmsMasterKeyId());
            if (r.kmsDataEncryption() != null) {
                sb.append(", data ").append(r.kmsDataEncryption());
            }
            sb.append(')');
        }
        return sb.toString();
    }

    static int rb(Invocation inv, Command.Args a) {
        OssUrl u = bucketUrl(a, a.arg(0));
        inv.oss().deleteBucket(u.bucket());
        if (inv.output().json()) {
            inv.output().writeJson(Map.of("Bucket", u.bucket()));
        } else {
            inv.output().line("Removed " + u);
        }
        return Main.OK;
    }

    static int ls(Invocation inv, Command.Args a) throws IOException {
        Oss oss = inv.oss();
        if (a.arg(0) == null) {
            List<BucketInfo> buckets = oss.listBuckets();
            if (inv.output().json()) {
                List<Object> items = new ArrayList<>();
                for (BucketInfo b : buckets) {
                    Map<String, Object> j = new LinkedHashMap<>();
                    j.put("Name", b.name());
                    j.put("CreationDate", iso(b.creationDate()));
                    if (b.rule() != null) {
                        j.put("SSEAlgorithm", b.rule().sseAlgorithm());
                        if (b.rule().kmsMasterKeyId() != null) {
                            j.put("KMSMasterKeyID", b.rule().kmsMasterKeyId());
                        }
                    }
                    items.add(j);
                }
                inv.output().writeJson(Map.of("Buckets", items));
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (BucketInfo b : buckets) {
                    rows.add(List.of(iso(b.creationDate()), b.rule() == null ? "-" : describe(b.rule()), "oss://" + b.name()));
                }
                inv.output().table(List.of("CreationDate", "DefaultEncryption", "Bucket"), rows);
                inv.output().line("Bucket Number is: " + buckets.size());
            }
            return Main.OK;
        }
        OssUrl u = url(a, a.arg(0));
        String delimiter = a.has("directory") ? "/" : null;
        // streamed page by page, so that a bucket of millions of objects lists in constant memory
        long objects = 0;
        List<String> prefixes = new ArrayList<>();
        String marker = null;
        String base = "oss://" + u.bucket() + "/";
        if (inv.output().json()) {
            JsonGenerator g = Output.mapper().getFactory().createGenerator(inv.out())
                    .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("Bucket", u.bucket());
            g.writeStringField("Prefix", u.key());
            g.writeArrayFieldStart("Contents");
            do {
                ListResult page = oss.listObjects(u.bucket(), u.key(), delimiter, marker, 1000);
                for (ObjectMeta m : page.objects()) {
                    g.writeObject(objectJson(m));
                }
                prefixes.addAll(page.commonPrefixes());
                marker = page.truncated() ? page.nextMarker() : null;
            } while (marker != null);
            g.writeEndArray();
            g.writeObjectField("CommonPrefixes", prefixes);
            g.writeEndObject();
            g.flush();
            inv.out().println();
            return Main.OK;
        }
        String row = "%-24s  %12s  %-6s  %-32s  %s";
        inv.output().line(String.format(row, "LastModified", "Size(B)", "SSE", "ETag", "ObjectName").stripTrailing());
        do {
            ListResult page = oss.listObjects(u.bucket(), u.key(), delimiter, marker, 1000);
            for (String p : page.commonPrefixes()) {
                inv.output().line(String.format(row, "", "", "DIR", "", base + p));
            }
            for (ObjectMeta m : page.objects()) {
                inv.output().line(String.format(row, iso(m.lastModified()), m.size(),
                        m.sseHeaders().getOrDefault(SseHeaders.SSE, "-"), m.etag(), base + m.key()));
            }
            objects += page.objects().size();
            prefixes.addAll(page.commonPrefixes());
            marker = page.truncated() ? page.nextMarker() : null;
        } while (marker != null);
        inv.output().line("Object Number is: " + objects + (a.has("directory") ? ", Dir Number is: " + prefixes.size() : ""));
        return Main.OK;
    }

    static String method(Command.Args a) {
        String m = a.required("method");
        if (!m.equals("put") && !m.equals("get") && !m.equals("delete")) {
            throw a.usage("--method must be put, get or delete, not '" + m + "'");
        }
        return m;
    }

    static int bucketEncryption(Invocation inv, Command.Args a) {
        String method = method(a);
        OssUrl u = bucketUrl(a, a.arg(0));
        Oss oss = inv.oss();
        switch (method) {
            case "put" -> {
                BucketEncryptionRule r = rule(a, null);
                if (r == null) {
                    throw a.usage("--sse-algorithm none: use --method delete to remove the rule");
                }
                oss.putBucketEncryption(u.bucket(), r);
                printRule(inv, u, oss.getBucketEncryption(u.bucket()));
            }
            case "get" -> printRule(inv, u, oss.getBucketEncryption(u.bucket()));
            default -> {
                oss.deleteBucketEncryption(u.bucket());
                if (inv.output().json()) {
                    inv.output().writeJson(Map.of("Bucket", u.bucket()));
                } else {
                    inv.output().line("Deleted the default encryption rule of " + u);
                }
            }
        }
        return Main.OK;
    }

    static void printRule(Invocation inv, OssUrl u, BucketEncryptionRule r) {
        if (inv.output().json()) {
            inv.output().writeJson(ruleJson(r));
        } else {
            inv.output().line(BucketEncryptionXml.write(r).strip());
        }
    }

    static int bucketOrigin(Invocation inv, Command.Args a) {
        String method = method(a);
        OssUrl u = bucketUrl(a, a.arg(0));
        Oss oss = inv.oss();
        switch (method) {
            case "put" -> {
                String origin = a.required("origin");
                if (!origin.matches("(?i)https?://.*")) {
                    origin = inv.path(origin).toString();
                }
                oss.putBucketOrigin(u.bucket(), origin);
                printOrigin(inv, oss.getBucketOrigin(u.bucket()));
            }
            case "get" -> {
                String origin = oss.getBucketOrigin(u.bucket());
                if (origin == null) {
                    throw new OssException(404, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration.");
                }
                printOrigin(inv, origin);
            }
            default -> {
                oss.putBucketOrigin(u.bucket(), null);
                if (inv.output().json()) {
                    inv.output().writeJson(Map.of("Bucket", u.bucket()));
                } else {
                    inv.output().line("Deleted the origin of " + u);
                }
            }
        }
        return Main.OK;
    }

    static void printOrigin(Invocation inv, String origin) {
        if (inv.output().json()) {
            inv.output().writeJson(Map.of("Origin", origin));
        } else {
            inv.output().line(origin);
        }
    }

    // ---- objects

    /** Streams the object; stops early when {@code out} is a PrintStream whose reader went away (e.g. {@code | head}). */
    static long copyTo(Oss oss, OssUrl s, OutputStream out) throws IOException {
        return copyTo(oss, s, out, null);
    }

    static long copyTo(Oss oss, OssUrl s, OutputStream out, Progress progress) throws IOException {
        ObjectContent c = oss.getObject(s.bucket(), s.key(), null);
        byte[] buf = new byte[64 * 1024];
        long n = 0;
        try (InputStream in = c.body()) {
            for (int r; (r = in.read(buf)) >= 0; ) {
                out.write(buf, 0, r);
                n += r;
                if (progress != null) {
                    progress.step(r);
                }
                if (out instanceof java.io.PrintStream ps && ps.checkError()) {
                    break;
                }
            }
        } finally {
            java.util.Arrays.fill(buf, (byte) 0);
        }
        return n;
    }

    /** Writes the object to a temporary file next to {@code target} and moves it into place only when whole and authentic. */
    static long download(Oss oss, OssUrl s, Path target, Progress progress) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw new CliFailure("cannot write " + target + ": no such directory " + parent);
        }
        Path tmp = Files.createTempFile(parent, "." + target.getFileName() + ".", ".ssefs-part");
        boolean done = false;
        try {
            long n;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                n = copyTo(oss, s, out, progress);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            return n;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    static int cat(Invocation inv, Command.Args a) throws IOException {
        copyTo(inv.oss(), objectUrl(a, a.arg(0)), inv.out());
        inv.out().flush();
        return Main.OK;
    }

    static int rm(Invocation inv, Command.Args a) {
        OssUrl u = objectUrl(a, a.arg(0));
        inv.oss().deleteObject(u.bucket(), u.key());
        if (inv.output().json()) {
            inv.output().writeJson(Map.of("Bucket", u.bucket(), "Key", u.key()));
        } else {
            inv.output().line("Removed " + u);
        }
        return Main.OK;
    }

    static int stat(Invocation inv, Command.Args a) {
        OssUrl u = url(a, a.arg(0));
        Oss oss = inv.oss();
        Map<String, Object> fields = new LinkedHashMap<>();
        if (u.isBucket()) {
            BucketInfo b = oss.getBucketInfo(u.bucket());
            fields.put("Name", b.name());
            fields.put("CreationDate", iso(b.creationDate()));
            if (b.rule() != null) {
                fields.put("SSEAlgorithm", b.rule().sseAlgorithm());
                if (b.rule().kmsMasterKeyId() != null) {
                    fields.put("KMSMasterKeyID", b.rule().kmsMasterKeyId());
                }
                if (b.rule().kmsDataEncryption() != null) {
                    fields.put("KMSDataEncryption", b.rule().kmsDataEncryption());
                }
            }
            if (b.origin() != null) {
                fields.put("Origin", b.origin());
            }
        } else {
            fields.putAll(oss.headObject(u.bucket(), u.key()).responseHeaders());
        }
        if (inv.output().json()) {
            inv.output().writeJson(fields);
        } else {
            fields.forEach((k, v) -> inv.output().line(k + ": " + v));
        }
        return Main.OK;
    }

    static int verify(Invocation inv, Command.Args a) {
        OssUrl u = url(a, a.arg(0));
        Oss oss = inv.oss();
        VerifyReport report;
        Progress[] bar = new Progress[1];
        try {
            report = oss.verify(u.bucket(), u.key().isEmpty() ? null : u.key(), new VerifyReport.Listener() {
                @Override
                public void started(long objects, long bytes) {
                    bar[0] = Progress.start(inv, a, "verify", bytes, true);
                }

                @Override
                public void checked(String key, long bytes, VerifyReport.Failure failure) {
                    if (bar[0] != null) {
                        bar[0].step(bytes);
                    }
                }
            });
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        if (inv.output().json()) {
            List<Object> failures = new ArrayList<>();
            for (VerifyReport.Failure f : report.failures()) {
                failures.add(Map.of("Url", f.url(), "Reason", f.reason()));
            }
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("Bucket", report.bucket());
            j.put("ObjectsChecked", report.objectsChecked());
            j.put("BytesChecked", report.bytesChecked());
            j.put("Failures", failures);
            inv.output().writeJson(j);
        } else {
            for (VerifyReport.Failure f : report.failures()) {
                inv.output().line("FAILED " + f.url() + ": " + f.reason());
            }
            inv.output().line(report.ok()
                    ? "Verified " + report.objectsChecked() + " objects (" + report.bytesChecked() + " bytes) in " + u + ": all authentic"
                    : report.failures().size() + " of " + report.objectsChecked() + " objects in " + u + " failed verification");
        }
        if (!report.ok()) {
            inv.err().println("ssefs: verify: " + report.failures().size() + " of " + report.objectsChecked()
                    + " objects failed verification");
            return Main.SERVICE_ERROR;
        }
        return Main.OK;
    }
}
