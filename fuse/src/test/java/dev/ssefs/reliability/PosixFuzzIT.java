package dev.ssefs.reliability;

import dev.ssefs.fuse.Sh;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Category 6: a randomized sequence of create, write at random offsets, truncate, rename, unlink, mkdir, rmdir,
 * symlink, chmod and setxattr runs on the mount and on a plain directory side by side (while another thread loads
 * the mount with big writes and reads). Every operation's outcome (success, or the errno class of its exception)
 * must match, and so must the final trees: types, sizes, contents, modes, symlink targets and user xattrs.
 * Seeds: {@code -Dssefs.fuzz.seeds=1,2,3} (default: one fixed seed), ops per seed {@code -Dssefs.fuzz.ops}
 * (default 400); {@code mount-scripts/posix-fuzz SEEDS...} runs many.
 */
@DisplayName("POSIX behaviour under load: the mount against a plain directory")
class PosixFuzzIT {
    static final String[] DIRS = {"", "d0/", "d1/", "d0/e/"};
    static final String[] NAMES = {"f0", "f1", "f2", "d0", "d1", "e", "l0"};

    static List<Long> seeds() {
        String s = System.getProperty("ssefs.fuzz.seeds", "");
        if (s.isBlank()) return List.of(20261129L);
        return Stream.of(s.trim().split("[,\\s]+")).map(Long::parseLong).toList();
    }

    static int opsPerSeed() { return Integer.getInteger("ssefs.fuzz.ops", 400); }

    /** An operation's outcome: "ok" (with a result), or the errno class of its failure. */
    static String outcome(IoOp op) {
        try {
            return "ok " + op.run();
        } catch (NoSuchFileException e) {
            return "ENOENT";
        } catch (FileAlreadyExistsException e) {
            return "EEXIST";
        } catch (DirectoryNotEmptyException e) {
            return "ENOTEMPTY";
        } catch (NotDirectoryException e) {
            return "ENOTDIR";
        } catch (AccessDeniedException e) {
            return "EACCES";
        } catch (NotLinkException e) {
            return "EINVAL(not a link)";
        } catch (FileSystemException e) {
            return "errno: " + e.getReason();
        } catch (IOException e) {
            // the reason only, never the path: "PATH (Is a directory)" or "...: reason"
            String m = String.valueOf(e.getMessage());
            java.util.regex.Matcher paren = java.util.regex.Pattern.compile("\\(([^()]*)\\)$").matcher(m);
            if (paren.find()) return "errno: " + paren.group(1);
            return "errno: " + (m.contains(": ") ? m.substring(m.lastIndexOf(": ") + 2) : m);
        }
    }

    interface IoOp { String run() throws IOException; }

    record Op(String name, java.util.function.Function<Path, IoOp> on) {}

    static String pick(Random r) {
        return DIRS[r.nextInt(DIRS.length)] + NAMES[r.nextInt(NAMES.length)];
    }

    static Op next(Random r) {
        String a = pick(r);
        String b = pick(r);
        int kind = r.nextInt(100);
        long seed = r.nextLong();
        if (kind < 12) return new Op("create " + a, root -> () -> {
            Files.newByteChannel(root.resolve(a), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            return "";
        });
        if (kind < 34) {
            long off = r.nextInt(4) == 0 ? r.nextInt(300_000) : r.nextInt(5000);
            int len = r.nextInt(4) == 0 ? r.nextInt(150_000) : 1 + r.nextInt(3000);
            boolean create = r.nextBoolean();
            return new Op("write " + a + " @" + off + " +" + len + (create ? " (create)" : ""), root -> () -> {
                byte[] data = new byte[len];
                new Random(seed).nextBytes(data);
                Set<StandardOpenOption> o = create ? EnumSet.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE) : EnumSet.of(StandardOpenOption.WRITE);
                try (FileChannel ch = FileChannel.open(root.resolve(a), o)) {
                    ch.position(off);
                    ByteBuffer bb = ByteBuffer.wrap(data);
                    while (bb.hasRemaining()) ch.write(bb);
                }
                return "";
            });
        }
        if (kind < 42) {
            long size = r.nextInt(3) == 0 ? r.nextInt(200_000) : r.nextInt(4000);
            return new Op("truncate " + a + " " + size, root -> () -> {
                if (Files.isDirectory(root.resolve(a))) throw new FileSystemException(root.resolve(a).toString(), null, "Is a directory");
                if (!Files.exists(root.resolve(a), LinkOption.NOFOLLOW_LINKS)) throw new NoSuchFileException(a);
                try (RandomAccessFile f = new RandomAccessFile(root.resolve(a).toFile(), "rw")) {
                    f.setLength(size);
                }
                return "";
            });
        }
        if (kind < 56) return new Op("rename " + a + " -> " + b, root -> () -> {
            Files.move(root.resolve(a), root.resolve(b), StandardCopyOption.ATOMIC_MOVE);
            return "";
        });
        if (kind < 66) return new Op("unlink/rmdir " + a, root -> () -> {
            Files.delete(root.resolve(a));
            return "";
        });
        if (kind < 78) return new Op("mkdir " + a, root -> () -> {
            Files.createDirectory(root.resolve(a));
            return "";
        });
        if (kind < 84) {
            String target = r.nextBoolean() ? NAMES[r.nextInt(NAMES.length)] : "../" + pick(r);
            return new Op("symlink " + a + " -> " + target, root -> () -> {
                Files.createSymbolicLink(root.resolve(a), Path.of(target));
                return "";
            });
        }
        if (kind < 92) {
            String mode = PosixFilePermissions.toString(randomPerms(r));
            return new Op("chmod " + mode + " " + a, root -> () -> {
                Files.setPosixFilePermissions(root.resolve(a), PosixFilePermissions.fromString(mode));
                return "";
            });
        }
        String xname = "k" + r.nextInt(3);
        String xval = "v" + r.nextInt(1000) + "-" + "z".repeat(r.nextInt(40));
        return new Op("setxattr user." + xname + " " + a, root -> () -> {
            UserDefinedFileAttributeView v = Files.getFileAttributeView(root.resolve(a), UserDefinedFileAttributeView.class);
            if (!Files.exists(root.resolve(a))) throw new NoSuchFileException(a);
            v.write(xname, ByteBuffer.wrap(xval.getBytes(StandardCharsets.UTF_8)));
            return "";
        });
    }

    static Set<PosixFilePermission> randomPerms(Random r) {
        // keep the owner able to read, write and search (the comparison walks the trees); others vary
        Set<PosixFilePermission> p = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
        PosixFilePermission[] rest = {PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE};
        for (PosixFilePermission x : rest) if (r.nextBoolean()) p.add(x);
        if (r.nextInt(4) == 0) p.remove(PosixFilePermission.OWNER_EXECUTE);
        return p;
    }

    /** path -> type, size, mode, content hash or link target, user xattrs (the SSE ones excluded). */
    static TreeMap<String, String> tree(Path root) throws Exception {
        TreeMap<String, String> t = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (p.equals(root)) continue;
                String rel = root.relativize(p).toString();
                StringBuilder d = new StringBuilder();
                if (Files.isSymbolicLink(p)) {
                    d.append("link -> ").append(Files.readSymbolicLink(p));
                } else {
                    d.append(Files.isDirectory(p) ? "dir " : "file ").append(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                    if (Files.isRegularFile(p)) {
                        byte[] b = Files.readAllBytes(p);
                        d.append(" size ").append(Files.size(p)).append(" read ").append(b.length).append(" sha ")
                                .append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)), 0, 16);
                    }
                    UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                    for (String n : new java.util.TreeSet<>(v.list())) {
                        if (n.startsWith("x-oss-")) continue;
                        ByteBuffer bb = ByteBuffer.allocate(v.size(n));
                        v.read(n, bb);
                        d.append(" x:").append(n).append('=').append(new String(bb.array(), StandardCharsets.UTF_8));
                    }
                }
                t.put(rel, d.toString());
            }
        }
        return t;
    }

    @Test
    @DisplayName("random operation sequences give the same results and trees on the mount and on a plain directory")
    void mountMatchesPlainDirectory() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        int ops = opsPerSeed();
        int compared = 0;
        try (Store store = Store.withRootKey("fuzz")) {
            store.ok("mb", "oss://fuzz", "--sse-algorithm", "AES256");
            Path mnt = store.mountPoint("mnt");
            store.mount("fuzz", mnt, "stage_mem=128K");
            AtomicBoolean stop = new AtomicBoolean();
            List<String> loadErrors = new ArrayList<>();
            Thread load = new Thread(() -> {
                byte[] big = new byte[3 << 20];
                new Random(1).nextBytes(big);
                try {
                    Files.createDirectories(mnt.resolve("load"));
                    for (int i = 0; !stop.get(); i++) {
                        Path f = mnt.resolve("load/big" + (i % 2));
                        Files.write(f, big);
                        if (!java.util.Arrays.equals(big, Files.readAllBytes(f))) loadErrors.add("load file differs");
                    }
                } catch (IOException e) {
                    loadErrors.add(e.toString());
                }
            }, "fuzz-load");
            load.start();
            try {
                for (long seed : seeds()) {
                    Path m = Files.createDirectories(mnt.resolve("s" + seed));
                    Path p = Files.createDirectories(store.work.resolve("plain/s" + seed));
                    Random r = new Random(seed);
                    List<String> log = new ArrayList<>();
                    for (int i = 0; i < ops; i++) {
                        Op op = next(r);
                        String onMount = outcome(op.on().apply(m));
                        String onPlain = outcome(op.on().apply(p));
                        log.add(i + ": " + op.name() + " -> " + onPlain);
                        int at = i;
                        assertEquals(onPlain, onMount, () -> "seed " + seed + " op " + at + ": " + op.name()
                                + "\nlast ops:\n" + String.join("\n", log.subList(Math.max(0, log.size() - 15), log.size())));
                        compared++;
                        if (i % 50 == 49 || i == ops - 1) {
                            TreeMap<String, String> tp = tree(p);
                            TreeMap<String, String> tm = tree(m);
                            assertEquals(tp, tm, () -> "seed " + seed + " trees differ after op " + at + "\nlast ops:\n"
                                    + String.join("\n", log.subList(Math.max(0, log.size() - 15), log.size())));
                        }
                    }
                }
            } finally {
                stop.set(true);
                load.join(60_000);
                store.unmount(mnt);
            }
            assertEquals(List.of(), loadErrors);
        }
        System.out.println("PosixFuzzIT: " + compared + " operations compared over seeds " + seeds());
    }
}
