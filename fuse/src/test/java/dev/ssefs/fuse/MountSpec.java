package dev.ssefs.fuse;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What a mounted bucket must do, checked with real tools. Subclasses mount a bucket with a KMS default rule and
 * a small staging bound (256 KiB) at {@link #mnt()}, and give a scratch directory on a plain filesystem.
 */
abstract class MountSpec {
    abstract Path mnt();

    abstract Path scratch();

    /** How many small files the rsync and tar round trips use. */
    int treeFiles() { return 3000; }

    static String sh(Path cwd, String script) throws IOException, InterruptedException { return Sh.ok(cwd, script); }

    Path fresh(String name) throws IOException, InterruptedException {
        Path p = mnt().resolve(name);
        sh(mnt(), "rm -rf '" + name + "'");
        return p;
    }

    @Test
    @DisplayName("a directory larger than one READDIRPLUS reply lists every name once, also after the kernel forgot every entry; readdir's inode numbers are stat's")
    void bigDirectoryListing() throws Exception {
        fresh("big");
        fresh("ino");
        String name = "n".repeat(100);
        // 600 records of 256 bytes: more than one reply, whose size the kernel sets (4 KiB to 128 KiB); a
        // READDIRPLUS reply holds fewer names than the READDIR it is built from, the rest follow by offset
        String script = """
                set -e
                mkdir big && cd big
                for i in $(seq 1 600); do : > %s$i; done
                sleep 1.2
                ls | wc -l
                ls | sort -u | wc -l
                ls -l | grep -c '^-'
                if [ -w /proc/sys/vm/drop_caches ]; then sync; echo 2 > /proc/sys/vm/drop_caches; fi
                ls -l | grep -c '^-'
                cd .. && mkdir ino && cd ino
                for i in $(seq 1 20); do : > f$i; done
                sleep 1.2
                ls -i1 | awk '{print $1, $2}' | sort -k2 > ../ino.readdir
                stat -c '%%i %%n' * | sort -k2 | cmp - ../ino.readdir && echo same
                """.formatted(name);
        // libfuse2 numbers inodes by its nodes, so only readdir against stat is compared (a forgotten entry may
        // come back with another number); before READDIRPLUS, readdir gave 4294967295 for every entry
        assertEquals("600\n600\n600\n600\nsame\n", sh(mnt(), script));
    }

    @Test
    @DisplayName("cp, cat and cmp of a multi-MiB file; getattr shows the plaintext size")
    void cpCatCmp() throws Exception {
        fresh("cp");
        String out = sh(scratch(), """
                set -e
                head -c 5000000 /dev/urandom > src.bin
                mkdir -p "$M/cp" && cp src.bin "$M/cp/a.bin"
                cmp src.bin "$M/cp/a.bin"
                cat "$M/cp/a.bin" | cmp - src.bin
                stat -c %s "$M/cp/a.bin"
                """.replace("$M", mnt().toString()));
        assertEquals("5000000\n", out);
    }

    @Test
    @DisplayName("dd at random offsets (conv=notrunc), writes past EOF and truncate match a plain file, beyond the staging bound")
    void ddRandomOffsetsAndTruncate() throws Exception {
        fresh("dd");
        Random r = new Random(42);
        StringBuilder script = new StringBuilder("set -e\nmkdir -p \"$M/dd\"\nhead -c 3000000 /dev/urandom > ref.bin\ncp ref.bin \"$M/dd/f.bin\"\n"
                + "head -c 2000000 /dev/urandom > chunk.bin\n");
        for (int i = 0; i < 40; i++) {
            int skip = r.nextInt(1_900_000);
            int seek = r.nextInt(3_500_000);
            int count = 1 + r.nextInt(70_000);
            String dd = "dd if=chunk.bin bs=1 skip=" + skip + " seek=" + seek + " count=" + count + " conv=notrunc status=none iflag=skip_bytes,count_bytes oflag=seek_bytes";
            script.append(dd.replace("bs=1", "bs=65536")).append(" of=ref.bin\n");
            script.append(dd.replace("bs=1", "bs=65536")).append(" of=\"$M/dd/f.bin\"\n");
        }
        script.append("cmp ref.bin \"$M/dd/f.bin\"\n");
        script.append("truncate -s 1234567 ref.bin; truncate -s 1234567 \"$M/dd/f.bin\"; cmp ref.bin \"$M/dd/f.bin\"\n");
        script.append("truncate -s 4000000 ref.bin; truncate -s 4000000 \"$M/dd/f.bin\"; cmp ref.bin \"$M/dd/f.bin\"\n");
        script.append("printf end | dd of=ref.bin bs=1 seek=9000000 conv=notrunc status=none; printf end | dd of=\"$M/dd/f.bin\" bs=1 seek=9000000 conv=notrunc status=none\n");
        script.append("cmp ref.bin \"$M/dd/f.bin\"; stat -c %s \"$M/dd/f.bin\"\n");
        assertEquals("9000003\n", sh(scratch(), script.toString().replace("$M", mnt().toString())));
    }

    @Test
    @DisplayName("rsync -a and a tar round trip of thousands of small files keep content, modes and mtimes")
    void rsyncAndTarRoundTrip() throws Exception {
        fresh("rs");
        fresh("tar");
        Path tree = scratch().resolve("tree");
        sh(scratch(), "rm -rf tree back part && mkdir tree");
        Random r = new Random(7);
        int n = treeFiles();
        for (int i = 0; i < n; i++) {
            Path f = tree.resolve("d" + (i % 37)).resolve("s" + (i % 5)).resolve("f" + i + (i % 11 == 0 ? " spaced é.txt" : ".c"));
            Files.createDirectories(f.getParent());
            byte[] b = new byte[r.nextInt(i % 100 == 0 ? 300_000 : 9000)];
            r.nextBytes(b);
            Files.write(f, b);
        }
        sh(scratch(), "chmod 600 tree/d1/s1/* && ln -s ../d2 tree/d1/link && touch -d '2020-01-02 03:04:05' tree/d3/s3/*");
        String m = mnt().toString();
        // rsync: a part of the tree (d1 has the 0600 files and the symlink); a second run finds nothing to do
        sh(scratch(), "mkdir -p part && cp -a tree/d1 tree/d2 tree/d3 part/ && rsync -a part/ '" + m + "/rs/' && diff -r part '" + m
                + "/rs' && rsync -ani part/ '" + m + "/rs/' | (! grep -v '^\\.d') ");
        sh(scratch(), "mkdir '" + m + "/tar' && tar cf - -C tree . | tar xf - -C '" + m + "/tar' && mkdir back && tar cf - -C '" + m
                + "/tar' . | tar xf - -C back && diff -r tree back && [ \"$(stat -c '%a %Y' tree/d3/s3/f3.c)\" = \"$(stat -c '%a %Y' back/d3/s3/f3.c)\" ]"
                + " && [ \"$(stat -c %a tree/d1/s1/f1.c)\" = 600 ] && [ \"$(readlink back/d1/link)\" = ../d2 ]");
        assertEquals(n + "\n", sh(mnt(), "find tar -type f | wc -l"));
        sh(mnt(), "rm -rf rs tar");
        assertEquals("", sh(mnt(), "ls -A | grep -E '^(rs|tar)$' || true"));
    }

    @Test
    @DisplayName("mv of files and whole directories, replacing targets as POSIX says")
    void mvFilesAndDirectories() throws Exception {
        fresh("mv");
        String out = sh(mnt(), """
                set -e
                mkdir -p mv/a/b && echo one > mv/a/b/f && echo two > mv/g
                setfattr -n user.tag -v kept mv/a/b/f
                mv mv/a mv/c && cat mv/c/b/f && getfattr --only-values -n user.tag mv/c/b/f; echo
                mv mv/g mv/c/b/f && cat mv/c/b/f
                mkdir mv/empty && mv -T mv/c mv/empty && ls mv/empty
                mkdir mv/full && touch mv/full/x && mkdir mv/d2
                mv -T mv/d2 mv/full 2>&1 || true
                mv -T mv/empty/b/f mv/full 2>&1 || true
                ls mv
                """);
        assertTrue(out.startsWith("one\nkept\ntwo\nb\n"), out);
        assertTrue(out.contains("Directory not empty"), out);
        assertTrue(out.contains("Is a directory") || out.contains("cannot overwrite directory"), out);
    }

    @Test
    @DisplayName("getfattr -d shows the SSE headers; setfattr re-encrypts; bad values are refused and change nothing")
    void xattrs() throws Exception {
        fresh("x");
        String m = mnt().toString();
        String d = sh(mnt(), "mkdir x && echo data > x/f && getfattr -d x/f");
        assertTrue(d.contains("user.x-oss-server-side-encryption=\"KMS\""), d);
        assertTrue(d.contains("user.x-oss-server-side-encryption-key-id="), d);
        String after = sh(mnt(), "setfattr -n user.x-oss-server-side-encryption -v SM4 x/f && getfattr -d x/f && cat x/f");
        assertTrue(after.contains("user.x-oss-server-side-encryption=\"SM4\""), after);
        assertFalse(after.contains("key-id"), after);
        assertTrue(after.endsWith("data\n"), after);
        Sh.Result bad = Sh.run(mnt(), "setfattr", "-n", "user.x-oss-server-side-encryption", "-v", "ROT13", "x/f");
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().contains("Invalid argument"), bad.err());
        assertTrue(sh(mnt(), "getfattr -d x/f").contains("\"SM4\""));
        String root = sh(mnt(), "getfattr -d .");
        assertTrue(root.contains("user.x-oss-server-side-encryption=\"KMS\""), root);
        assertTrue(sh(mnt(), "getfattr -n security.selinux x/f 2>&1 || true").contains("Operation not supported"));
        assertTrue(sh(mnt(), "getfattr -n user.none x/f 2>&1 || true").contains("No such attribute"));
        assertEquals("", m.isEmpty() ? "x" : "");
    }

    @Test
    @DisplayName("concurrent writers and readers see consistent data")
    void concurrentWritersAndReaders() throws Exception {
        fresh("cc");
        String out = sh(scratch(), """
                set -e
                mkdir -p "$M/cc"
                head -c 3000000 /dev/urandom > stable.bin && cp stable.bin "$M/cc/stable.bin"
                for i in 1 2 3 4; do head -c $((1000000 * i)) /dev/urandom > w$i.bin; done
                for i in 1 2 3 4; do (cp w$i.bin "$M/cc/w$i.bin") & done
                for i in 1 2 3 4; do (cmp stable.bin "$M/cc/stable.bin") & done
                wait
                for i in 1 2 3 4; do cmp w$i.bin "$M/cc/w$i.bin"; done
                # two handles on one file: a writer and a reader at once
                exec 3<>"$M/cc/shared"; printf 'hello' >&3; cat "$M/cc/shared"; exec 3>&-
                echo ok
                """.replace("$M", mnt().toString()));
        assertEquals("hellook\n", out);
    }

    @Test
    @DisplayName("errno: EEXIST, ENOTEMPTY, ENAMETOOLONG, ENOTSUP for hard links; UTF-8 and spaces in names")
    void errnosAndNames() throws Exception {
        fresh("e");
        sh(mnt(), "mkdir e && touch 'e/a b é.txt' && [ -f 'e/a b é.txt' ] && ls e | grep -q 'a b é.txt'");
        assertTrue(Sh.run(mnt(), "mkdir", "e").err().contains("File exists"));
        assertTrue(Sh.run(mnt(), "rmdir", "e").err().contains("Directory not empty"));
        assertTrue(Sh.run(mnt(), "touch", "e/" + "n".repeat(256)).err().contains("File name too long"));
        sh(mnt(), "touch e/" + "n".repeat(255));
        Sh.Result ln = Sh.run(mnt(), "ln", "e/a b é.txt", "e/hard");
        assertTrue(ln.err().contains("not supported") || ln.err().contains("not permitted"), ln.err());
        assertTrue(Sh.run(mnt(), "cat", "e/missing").err().contains("No such file"));
    }

    @Test
    @DisplayName("mode, owner and times persist; symlinks")
    void attributesPersist() throws Exception {
        fresh("p");
        String out = sh(mnt(), """
                set -e
                mkdir p && echo x > p/f && chmod 640 p/f && touch -d '2021-06-07 08:09:10' p/f
                ln -s f p/l
                stat -c '%a %Y %F' p/f; readlink p/l; cat p/l; stat -c %F p/l
                chmod 700 p && stat -c %a p
                """);
        assertEquals("640 1623053350 regular file\nf\nx\nsymbolic link\n700\n", out);
    }

    @Test
    @DisplayName("fallocate extends with zeros; --keep-size changes nothing; punching holes is not supported")
    void fallocate() throws Exception {
        fresh("fa");
        String out = sh(mnt(), """
                set -e
                mkdir fa && printf abc > fa/f
                fallocate -l 100000 fa/f && stat -c %s fa/f
                fallocate -n -l 500000 fa/f && stat -c %s fa/f
                head -c 3 fa/f; echo; tail -c 99997 fa/f | tr -d '\\000' | wc -c
                if fallocate -p -o 0 -l 10 fa/f 2>/dev/null; then echo punched; else echo refused; fi; head -c 3 fa/f
                """);
        assertEquals("100000\n100000\nabc\n0\nrefused\nabc", out);
    }

    List<String> lines(String s) { return new ArrayList<>(s.lines().toList()); }
}
