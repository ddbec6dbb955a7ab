package dev.ssefs.cli;

import static dev.ssefs.cli.Commands.flag;
import static dev.ssefs.cli.Commands.opt;

import dev.ssefs.objectcore.ListResult;
import dev.ssefs.objectcore.ObjectMeta;
import dev.ssefs.objectcore.Oss;
import dev.ssefs.objectcore.SseHeaders;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code ssefs cp}: a local file or tree to objects (PutObject), objects to local files (GetObject, each written to
 * a temporary file and moved into place only once whole and authentic), and object to object (CopyObject).
 */
final class CopyCommand {
    private CopyCommand() {}

    static Command command() {
        return Command.leaf("cp", "SRC DST", "Copy a local file to an object, an object to a local file, or an object to an object.",
                2, 2, CopyCommand::run,
                opt("meta", "HEADERS", "request headers as name:value pairs joined by #, e.g. "
                        + "x-oss-server-side-encryption:KMS#x-oss-server-side-encryption-key-id:ID; "
                        + "Content-Type and x-oss-meta-* set the destination's metadata"),
                flag("r", "recursive", "copy a local directory tree or every object under a prefix"),
                ObjectCommands.progress(), ObjectCommands.noProgress())
                .details("SRC or DST may be - for stdin/stdout. A DST ending in / (or an existing local directory)\n"
                        + "gets the source's file name. Object to object is CopyObject: SSE is never inherited; the\n"
                        + "destination gets the --meta SSE headers, else its bucket's default rule. With -r, SRC and DST\n"
                        + "are directories or prefixes (a prefix is taken as a directory: oss://b/photos means photos/).");
    }

    /** What one cp did. */
    private record Totals(long objects, long bytes) {}

    static int run(Invocation inv, Command.Args a) throws IOException {
        String src = a.arg(0);
        String dst = a.arg(1);
        Map<String, String> headers = ObjectCommands.meta(a);
        boolean srcOss = OssUrl.isOss(src);
        boolean dstOss = OssUrl.isOss(dst);
        if (!srcOss && !dstOss) {
            throw a.usage("one of SRC and DST must be an oss:// URL");
        }
        if (!dstOss && !headers.isEmpty()) {
            throw a.usage("--meta applies only when the destination is an object");
        }
        if (a.has("recursive")) {
            if (src.equals("-") || dst.equals("-")) {
                throw a.usage("-r copies directories and prefixes, not stdin or stdout");
            }
            Totals t = srcOss && dstOss ? copyTree(inv, a, ObjectCommands.url(a, src), ObjectCommands.url(a, dst), headers)
                    : dstOss ? uploadTree(inv, a, inv.path(src), ObjectCommands.url(a, dst), headers)
                    : downloadTree(inv, a, ObjectCommands.url(a, src), inv.path(dst));
            if (inv.output().json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("Objects", t.objects());
                j.put("Bytes", t.bytes());
                inv.output().writeJson(j);
            } else {
                inv.output().line("Copied " + t.objects() + " objects (" + t.bytes() + " bytes): " + src + " -> " + dst);
            }
            return Main.OK;
        }
        Oss oss = inv.oss();
        if (srcOss && dstOss) {
            OssUrl s = ObjectCommands.objectUrl(a, src);
            OssUrl d = ObjectCommands.url(a, dst);
            String key = d.key().isEmpty() || d.key().endsWith("/") ? d.key() + s.baseName() : d.key();
            return done(inv, copyObject(oss, s.bucket(), s.key(), d.bucket(), key, headers), s + " -> oss://" + d.bucket() + "/" + key);
        }
        if (dstOss) {
            OssUrl d = ObjectCommands.url(a, dst);
            if (src.equals("-")) {
                if (d.key().isEmpty() || d.key().endsWith("/")) {
                    throw a.usage("copying stdin needs a full object key, not " + dst);
                }
                return done(inv, oss.putObject(d.bucket(), d.key(), inv.stdin(), headers), "stdin -> " + d);
            }
            Path file = inv.path(src);
            if (Files.isDirectory(file)) {
                throw new CliFailure("cannot copy " + file + ": it is a directory (use -r)");
            }
            String key = d.key().isEmpty() || d.key().endsWith("/") ? d.key() + file.getFileName() : d.key();
            ObjectMeta m;
            try (Progress p = Progress.start(inv, a, "upload", size(file), true)) {
                m = upload(oss, file, d.bucket(), key, headers, p);
            }
            return done(inv, m, file + " -> oss://" + d.bucket() + "/" + key);
        }
        OssUrl s = ObjectCommands.objectUrl(a, src);
        if (dst.equals("-")) {
            ObjectCommands.copyTo(oss, s, inv.out());
            inv.out().flush();
            return Main.OK;
        }
        Path target = inv.path(dst);
        if (Files.isDirectory(target) || dst.endsWith("/")) {
            target = target.resolve(s.baseName());
        }
        long n;
        try (Progress p = Progress.start(inv, a, "download", oss.headObject(s.bucket(), s.key()).size(), true)) {
            n = ObjectCommands.download(oss, s, target, p);
        }
        if (inv.output().json()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("Source", s.toString());
            j.put("Destination", target.toString());
            j.put("Size", n);
            inv.output().writeJson(j);
        } else {
            inv.output().line("Copied " + n + " bytes: " + s + " -> " + target);
        }
        return Main.OK;
    }

    private static int done(Invocation inv, ObjectMeta result, String what) {
        if (inv.output().json()) {
            inv.output().writeJson(ObjectCommands.objectJson(result));
        } else {
            inv.output().line("Copied " + result.size() + " bytes: " + what
                    + (result.sseHeaders().isEmpty() ? "" : " (" + result.sseHeaders().get(SseHeaders.SSE) + ")"));
        }
        return Main.OK;
    }

    /** CopyObject; metadata is copied unless --meta sets Content-Type or x-oss-meta-* (then it is replaced). */
    static ObjectMeta copyObject(Oss oss, String sb, String sk, String db, String dk, Map<String, String> headers) throws IOException {
        Map<String, String> h = new LinkedHashMap<>(headers);
        boolean setsMetadata = h.keySet().stream().anyMatch(n -> n.startsWith(SseHeaders.USER_META_PREFIX)
                || n.equals(SseHeaders.CONTENT_TYPE));
        h.putIfAbsent(SseHeaders.METADATA_DIRECTIVE, setsMetadata ? "REPLACE" : "COPY");
        return oss.copyObject(sb, sk, db, dk, h);
    }

    static ObjectMeta upload(Oss oss, Path file, String bucket, String key, Map<String, String> headers, Progress p) throws IOException {
        try (InputStream in = new FilterInputStream(Files.newInputStream(file)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    p.step(n);
                }
                return n;
            }
        }) {
            return oss.putObject(bucket, key, in, headers);
        } catch (NoSuchFileException e) {
            throw new CliFailure("cannot read " + file + ": no such file");
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // reported when it is opened
        }
    }

    /** A prefix as a directory: empty stays empty, else it ends with a slash. */
    static String dirPrefix(String key) {
        return key.isEmpty() || key.endsWith("/") ? key : key + "/";
    }

    /** Every object under {@code prefix}, in key order, all pages. */
    static List<ObjectMeta> listAll(Oss oss, String bucket, String prefix) {
        List<ObjectMeta> all = new ArrayList<>();
        String marker = null;
        do {
            ListResult page = oss.listObjects(bucket, prefix, null, marker, 1000);
            all.addAll(page.objects());
            marker = page.truncated() ? page.nextMarker() : null;
        } while (marker != null);
        return all;
    }

    private static Totals uploadTree(Invocation inv, Command.Args a, Path dir, OssUrl d, Map<String, String> headers) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new CliFailure("cannot copy " + dir + " recursively: not a directory");
        }
        String prefix = dirPrefix(d.key());
        List<Path> files = new ArrayList<>();
        long bytes = 0;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    files.add(p);
                    bytes += Files.size(p);
                } else if (Files.isSymbolicLink(p)) {
                    inv.err().println("ssefs: cp: skipping symbolic link " + p);
                }
            }
        }
        Oss oss = inv.oss();
        long copied = 0;
        try (Progress p = Progress.start(inv, a, "upload", bytes, true)) {
            for (Path f : files) {
                String rel = dir.relativize(f).toString().replace(java.io.File.separatorChar, '/');
                copied += upload(oss, f, d.bucket(), prefix + rel, headers, p).size();
            }
        }
        return new Totals(files.size(), copied);
    }

    private static Totals downloadTree(Invocation inv, Command.Args a, OssUrl s, Path dir) throws IOException {
        String prefix = dirPrefix(s.key());
        Oss oss = inv.oss();
        List<ObjectMeta> objects = listAll(oss, s.bucket(), prefix);
        Path root = dir.toAbsolutePath().normalize();
        Files.createDirectories(root);
        long bytes = objects.stream().mapToLong(ObjectMeta::size).sum();
        long copied = 0;
        long count = 0;
        try (Progress p = Progress.start(inv, a, "download", bytes, true)) {
            for (ObjectMeta m : objects) {
                String rel = m.key().substring(prefix.length());
                Path target = root.resolve(rel).normalize();
                // a key such as ../../etc/passwd must not write outside the destination
                if (rel.isEmpty() || rel.startsWith("/") || !target.startsWith(root) || target.equals(root)
                        || List.of(rel.split("/")).contains("..")) {
                    if (!rel.isEmpty() && !rel.equals("/")) {
                        inv.err().println("ssefs: cp: skipping oss://" + s.bucket() + "/" + m.key() + ": not a path inside " + root);
                    }
                    continue;
                }
                if (rel.endsWith("/")) {
                    Files.createDirectories(target); // a directory marker
                    continue;
                }
                Files.createDirectories(target.getParent());
                copied += ObjectCommands.download(oss, new OssUrl(s.bucket(), m.key()), target, p);
                count++;
            }
        }
        return new Totals(count, copied);
    }

    private static Totals copyTree(Invocation inv, Command.Args a, OssUrl s, OssUrl d, Map<String, String> headers) throws IOException {
        String from = dirPrefix(s.key());
        String to = dirPrefix(d.key());
        Oss oss = inv.oss();
        List<ObjectMeta> objects = listAll(oss, s.bucket(), from);
        long copied = 0;
        try (Progress p = Progress.start(inv, a, "copy", objects.size(), false)) {
            for (ObjectMeta m : objects) {
                copied += copyObject(oss, s.bucket(), m.key(), d.bucket(), to + m.key().substring(from.length()), headers).size();
                p.step(1);
            }
        }
        return new Totals(objects.size(), copied);
    }
}
