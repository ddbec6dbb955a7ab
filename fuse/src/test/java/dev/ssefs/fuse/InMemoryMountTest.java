package dev.ssefs.fuse;

import dev.ssefs.objectcore.BucketEncryptionRule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The adapter under a real kernel mount, in this JVM, over the in-memory test double: checks the FUSE wiring
 * (options, errno, xattr sizes, zero-copy buffers) with real tools. The launcher-driven tests over the real store
 * are the *IT classes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("adapter under a real mount (in-memory store)")
class InMemoryMountTest extends MountSpec {
    @Override Path mnt() { return mnt; }

    @Override Path scratch() { return base.resolve("scratch"); }

    Path base;
    Path mnt;
    InMemoryOss oss;
    FuseMount mount;

    @BeforeAll
    void mount() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        base = Files.createTempDirectory("ssefs-memmount");
        mnt = Files.createDirectories(base.resolve("mnt"));
        Files.createDirectories(base.resolve("scratch"));
        oss = new InMemoryOss();
        oss.createBucket("b", new BucketEncryptionRule("KMS", null, null));
        MountOptions o = new MountOptions();
        o.stageMemory = 256 * 1024;
        FsCore core = new FsCore(new Volume(oss, "b", o, base.resolve("spool"), 0, 0));
        mount = FuseMount.mount(new SsefsFuse(core), mnt, o.fuseOptions("b", true), false, Duration.ofSeconds(20));
    }

    @AfterAll
    void unmount() throws Exception {
        try {
            if (mount != null) mount.unmount(true);
        } finally {
            if (mnt != null) Sh.lazyUnmount(mnt);
            if (mnt != null) assertEquals(java.util.List.of(), Sh.mountsContaining(mnt.toString()), "no mount left behind");
            Sh.deleteTree(base);
        }
    }

    @Test
    @DisplayName("a sequential write of a new file streams into one writer: one commit, no spool")
    void sequentialWriteIsOneCommit() throws Exception {
        int before = oss.commits.get();
        // the shell's redirection closes (flushes) the new file's first fd before head writes: the empty file is
        // committed first, then the content streams into one more version
        Sh.ok(mnt, "head -c 20000000 /dev/zero > seq.bin");
        assertEquals(2, oss.commits.get() - before, "the empty file, then the whole file in one commit");
        before = oss.commits.get();
        Sh.ok(mnt, "dd if=/dev/zero of=seq2.bin bs=1M count=20 status=none");
        assertEquals(2, oss.commits.get() - before, "dd dup2s too: the empty file, then the whole file");
        before = oss.commits.get();
        Sh.ok(mnt, "cp seq2.bin seq3.bin");
        assertEquals(1, oss.commits.get() - before, "cp: one commit for the whole file");
    }

    @Test
    @DisplayName("tar and rsync: store commits per small file (each is an fsync'ed metadata commit on the real store)")
    void commitsPerSmallFile() throws Exception {
        Path src = base.resolve("scratch/small");
        Sh.ok(base.resolve("scratch"), "rm -rf small && mkdir -p small/d && for i in $(seq 1 100); do echo $i > small/d/f$i; done");
        int before = oss.commits.get();
        Sh.ok(mnt, "mkdir t && tar cf - -C '" + src + "' . | tar xf - -C t");
        int tar = oss.commits.get() - before;
        before = oss.commits.get();
        Sh.ok(mnt, "rsync -a '" + src + "/' r/");
        int rsync = oss.commits.get() - before;
        System.out.println("COMMITS tar=" + tar + " rsync=" + rsync);
        assertTrue(tar <= 110, "tar: one commit per file (+ directories and their attributes), was " + tar);
        assertTrue(rsync <= 310, "rsync: the temp file, its attributes after close, the rename; was " + rsync);
    }

    @Test
    void writeReadXattrsAndErrnos() throws Exception {
        String out = Sh.ok(mnt, """
                set -e
                echo hello > a.txt
                cat a.txt
                stat -c %s a.txt
                getfattr -n user.x-oss-server-side-encryption --only-values a.txt; echo
                mkdir -p d/e && mv a.txt d/e/b.txt && ls d/e
                dd if=/dev/urandom of=r.bin bs=64k count=40 status=none
                dd if=/dev/urandom of=r.bin bs=1 count=100 seek=1000 conv=notrunc status=none
                cp r.bin r2.bin && cmp r.bin r2.bin && echo same
                truncate -s 10 r2.bin && stat -c %s r2.bin
                ln -s d/e/b.txt link && readlink link && cat link
                setfattr -n user.note -v hi r.bin && getfattr -d r.bin | grep -c user
                """);
        assertEquals("hello\n6\nKMS\nb.txt\nsame\n10\nd/e/b.txt\nhello\n3\n", out);
        assertEquals("hello\n", new String(oss.data("b", "d/e/b.txt")));
        Sh.Result ln = Sh.run(mnt, "ln", "r.bin", "hard");
        assertNotEquals(0, ln.exit());
        assertTrue(ln.err().contains("not supported") || ln.err().contains("Operation not permitted"), ln.err());
        Sh.Result bad = Sh.run(mnt, "setfattr", "-n", "user.x-oss-server-side-encryption", "-v", "DES", "r.bin");
        assertTrue(bad.err().contains("Invalid argument"), bad.err());
        Sh.Result rm = Sh.run(mnt, "rmdir", "d");
        assertTrue(rm.err().contains("not empty"), rm.err());
    }

    @Nested
    @DisplayName("round trips saved with newer protocol features (ProtocolExtensions)")
    class RoundTrips {
        long count(int opcode) { return mount.fs().requests().get(opcode); }

        @Test
        @DisplayName("ls -l and find of a directory whose entries expired: READDIRPLUS, and no LOOKUP per entry")
        void readdirPlusSparesLookups() throws Exception {
            Sh.ok(mnt, "rm -rf rdp && mkdir rdp && for i in $(seq 1 200); do echo $i > rdp/f$i; done && mkdir rdp/sub");
            Thread.sleep(1300); // past the 1 s entry and attribute timeouts
            long lookups = count(FuseOpcode.LOOKUP);
            long getattrs = count(FuseOpcode.GETATTR);
            long plus = count(FuseOpcode.READDIRPLUS);
            String out = Sh.ok(mnt, "ls -l rdp | grep -c '^-rw'; ls -ld rdp/sub | cut -c1");
            assertEquals("200\nd\n", out);
            assertTrue(count(FuseOpcode.READDIRPLUS) > plus, "the kernel listed with READDIRPLUS");
            long perEntry = count(FuseOpcode.LOOKUP) - lookups + count(FuseOpcode.GETATTR) - getattrs;
            assertTrue(perEntry < 20, "LOOKUP+GETATTR for 201 entries: " + perEntry);

            Thread.sleep(1300);
            lookups = count(FuseOpcode.LOOKUP);
            assertEquals("200\n", Sh.ok(mnt, "find rdp -type f -print0 | xargs -0 cat | wc -l"));
            assertTrue(count(FuseOpcode.LOOKUP) - lookups < 20, "find and cat: " + (count(FuseOpcode.LOOKUP) - lookups) + " LOOKUPs");
        }

        @Test
        @DisplayName("ls -l asks for security labels and POSIX ACLs a few times per mount, not per entry: they are not supported (EOPNOTSUPP)")
        void lsStopsAskingUnsupportedXattrs() throws Exception {
            Sh.ok(mnt, "rm -rf lsx && mkdir lsx && for i in $(seq 1 100); do : > lsx/f$i; done && mkdir lsx/d");
            long before = count(FuseOpcode.GETXATTR);
            assertEquals("101\n", Sh.ok(mnt, "ls -l lsx | grep -c '^[-d]'"));
            long asked = count(FuseOpcode.GETXATTR) - before;
            assertTrue(asked <= 4, "GETXATTRs for 101 entries: " + asked + " (three per entry while they answered ENODATA)");
            assertTrue(Sh.ok(mnt, "getfattr -n system.posix_acl_access lsx/f1 2>&1 || true").contains("Operation not supported"));
        }

        @Test
        @DisplayName("closing a read-only file sends no FLUSH; closing a written one does, and commits")
        void noFlushForReaders() throws Exception {
            Sh.ok(mnt, "echo one > nf.txt");
            long flushes = count(FuseOpcode.FLUSH);
            long opens = count(FuseOpcode.OPEN);
            assertEquals("one\none\n", Sh.ok(mnt, "cat nf.txt; cat < nf.txt"));
            assertEquals(opens + 2, count(FuseOpcode.OPEN));
            assertEquals(flushes, count(FuseOpcode.FLUSH), "no FLUSH for read-only handles");
            Sh.ok(mnt, "echo two >> nf.txt");
            assertTrue(count(FuseOpcode.FLUSH) > flushes, "a writer's close is flushed");
            assertEquals("one\ntwo\n", new String(oss.data("b", "nf.txt")), "and committed at close");
        }
    }
}
