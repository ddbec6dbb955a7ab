package dev.ssefs.fuse;

import dev.ssefs.objectcore.BucketEncryptionRule;
import dev.ssefs.objectcore.ObjectMeta;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("FsCore: the filesystem over a bucket, without a mount")
class FsCoreTest {
    static final String B = "photos";
    @TempDir Path dataDir;
    InMemoryOss oss;
    FsCore fs;
    MountOptions opts;

    @BeforeEach
    void setUp() {
        oss = new InMemoryOss();
        oss.createBucket(B, new BucketEncryptionRule("KMS", null, null));
        opts = new MountOptions();
        opts.stageMemory = 2 * PageStage.PAGE; // tiny, so the spool is exercised
        fs = new FsCore(new Volume(oss, B, opts, dataDir.resolve("spool"), 1000, 1000));
    }

    void put(String path, byte[] data) throws IOException {
        long fh = fs.create(path, 0644, FsCore.O_WRONLY | FsCore.O_CREAT | FsCore.O_TRUNC, 1000, 1000);
        fs.write(fh, 0, ByteBuffer.wrap(data));
        fs.flush(fh);
        fs.release(fh);
    }

    byte[] get(String path) throws IOException {
        long fh = fs.open(path, FsCore.O_RDONLY);
        try {
            FileAttr a = fs.fgetattr(fh);
            ByteBuffer b = ByteBuffer.allocate((int) a.size() + 10);
            int n = fs.read(fh, 0, b);
            return Arrays.copyOf(b.array(), n);
        } finally {
            fs.release(fh);
        }
    }

    int errno(ThrowingRunnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            return new ErrnoMapper(B).errno("test", "/", t);
        }
        return 0;
    }

    interface ThrowingRunnable { void run() throws Exception; }

    List<String> ls(String path) {
        List<String> l = new ArrayList<>();
        fs.readdir(path, l::add);
        return l;
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Nested
    @DisplayName("paths and lookup")
    class Lookup {
        @Test
        void rootIsADirectory() {
            assertTrue(fs.getattr("/").isDirectory());
        }

        @Test
        void missingIsEnoent() {
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/nope")));
        }

        @Test
        void componentLongerThan255BytesIsEnametoolong() {
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.getattr("/" + "a".repeat(256))));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.getattr("/" + "é".repeat(128))));
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/" + "a".repeat(255))));
        }

        @Test
        @DisplayName("a path longer than the 1023-byte key limit is ENAMETOOLONG at create, mkdir, symlink and rename, up front")
        void keyLongerThan1023BytesIsRefusedUpFront() throws IOException {
            String d = "/" + "d".repeat(250) + "/" + "e".repeat(250) + "/" + "f".repeat(250); // key of 752 bytes
            fs.mkdir("/" + "d".repeat(250), 0755, 1, 1);
            fs.mkdir("/" + "d".repeat(250) + "/" + "e".repeat(250), 0755, 1, 1);
            fs.mkdir(d, 0755, 1, 1);
            String g = d + "/" + "g".repeat(255);
            fs.mkdir(g, 0755, 1, 1); // key of 1008 bytes
            String tooLong = g + "/" + "h".repeat(15); // 1024 bytes
            String fits = g + "/" + "h".repeat(14);    // 1023 bytes
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.create(tooLong, 0644, FsCore.O_WRONLY | FsCore.O_CREAT, 1, 1)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.mkdir(tooLong, 0755, 1, 1)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.mkdir(fits, 0755, 1, 1)), "its marker fits/ would be 1024 bytes");
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.symlink("x", tooLong, 1, 1)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.getattr(d + "/" + "é".repeat(127) + "/" + "é".repeat(10))), "counted in UTF-8 bytes");
            put(fits, "ok".getBytes());
            assertEquals("ok", new String(get(fits)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.rename(fits, tooLong)));
            assertEquals(List.of("h".repeat(14)), ls(g), "nothing half-created");
            // a directory renamed to a longer name: its deepest file would no longer fit
            String longerTop = "/" + "D".repeat(255);
            assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.rename("/" + "d".repeat(250), longerTop)));
            assertEquals("ok", new String(get(fits)), "nothing moved");
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr(longerTop)));
            fs.rename("/" + "d".repeat(250), "/" + "D".repeat(250)); // same length: fine
            assertEquals("ok", new String(get("/" + "D".repeat(250) + fits.substring(251))));
        }

        @Test
        void objectsPutByCpAppearWithImpliedDirectories() throws IOException {
            oss.putObject(B, "a/b/c.txt", new ByteArrayInputStream("hello".getBytes()), Map.of());
            assertTrue(fs.getattr("/a").isDirectory());
            assertTrue(fs.getattr("/a/b").isDirectory());
            FileAttr f = fs.getattr("/a/b/c.txt");
            assertTrue(f.isRegularFile());
            assertEquals(5, f.size());
            assertEquals(0644, f.mode() & 07777);
            assertEquals(List.of("a"), ls("/"));
            assertEquals(List.of("c.txt"), ls("/a/b"));
            assertEquals("hello", new String(get("/a/b/c.txt")));
        }

        @Test
        void readdirOfAFileIsEnotdir() throws IOException {
            put("/f", new byte[1]);
            assertEquals(Errno.ENOTDIR, errno(() -> fs.readdir("/f", n -> { })));
        }
    }

    @Nested
    @DisplayName("durability: close commits, fsync makes durable")
    class Durability {
        @Test
        void closeCommitsWithoutSyncFsyncCommitsAndSyncs() throws IOException {
            long fh = fs.create("/f", 0644, FsCore.O_WRONLY | FsCore.O_CREAT, 1000, 1000);
            fs.write(fh, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            fs.fsync(fh);
            assertEquals(1, oss.syncs.get(), "fsync makes the store durable");
            assertEquals(3, oss.headObject(B, "f").size(), "fsync committed the data first");
            fs.write(fh, 3, ByteBuffer.wrap(new byte[] {4}));
            fs.flush(fh);
            fs.release(fh);
            assertEquals(4, oss.headObject(B, "f").size(), "close commits (visible at once)");
            assertEquals(1, oss.syncs.get(), "close need not be durable: no sync");
        }

        @Test
        void fsyncdirSyncs() {
            fs.fsyncdir();
            assertEquals(1, oss.syncs.get());
        }
    }

    @Nested
    @DisplayName("directories")
    class Directories {
        @Test
        void mkdirCreatesAMarkerWithModeAndOwner() {
            assertEquals(0, errno(() -> fs.mkdir("/d", 0750, 42, 43)));
            FileAttr a = fs.getattr("/d");
            assertTrue(a.isDirectory());
            assertEquals(0750, a.mode() & 07777);
            assertEquals(42, a.uid());
            assertNotNull(oss.headObject(B, "d/"));
        }

        @Test
        void mkdirOfExistingIsEexist() throws IOException {
            fs.mkdir("/d", 0755, 0, 0);
            assertEquals(Errno.EEXIST, errno(() -> fs.mkdir("/d", 0755, 0, 0)));
            put("/f", new byte[0]);
            assertEquals(Errno.EEXIST, errno(() -> fs.mkdir("/f", 0755, 0, 0)));
        }

        @Test
        void rmdirOfNonEmptyIsEnotemptyAndOfFileEnotdir() throws IOException {
            fs.mkdir("/d", 0755, 0, 0);
            put("/d/f", "x".getBytes());
            assertEquals(Errno.ENOTEMPTY, errno(() -> fs.rmdir("/d")));
            assertEquals(Errno.ENOTDIR, errno(() -> fs.rmdir("/d/f")));
            fs.unlink("/d/f");
            fs.rmdir("/d");
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/d")));
        }

        @Test
        void readdirListsFilesDirsAndUncommittedFiles() throws IOException {
            fs.mkdir("/d", 0755, 0, 0);
            fs.mkdir("/d/sub", 0755, 0, 0);
            put("/d/a", "1".getBytes());
            long fh = fs.create("/d/new", 0644, FsCore.O_WRONLY | FsCore.O_CREAT, 0, 0);
            assertEquals(List.of("a", "new", "sub"), ls("/d").stream().sorted().toList());
            fs.release(fh);
        }

        @Test
        void readdirPagesThroughLargeDirectories() throws IOException {
            for (int i = 0; i < 2500; i++) oss.putObject(B, "big/" + i, new ByteArrayInputStream(new byte[0]), Map.of());
            assertEquals(2500, ls("/big").size());
        }
    }

    @Nested
    @DisplayName("reads and writes")
    class ReadWrite {
        @Test
        void smallFileRoundTripAndPlaintextSize() throws IOException {
            byte[] data = random(1000, 1);
            put("/f", data);
            assertEquals(1000, fs.getattr("/f").size());
            assertArrayEquals(data, get("/f"));
            assertArrayEquals(data, oss.data(B, "f"));
            assertEquals("KMS", oss.headObject(B, "f").sseHeaders().get("x-oss-server-side-encryption"));
        }

        @Test
        void emptyCreatedFileIsCommittedOnClose() throws IOException {
            long fh = fs.create("/empty", 0600, FsCore.O_WRONLY | FsCore.O_CREAT, 0, 0);
            fs.release(fh);
            assertEquals(0, oss.headObject(B, "empty").size());
            assertEquals(0100600, oss.headObject(B, "empty").posix().mode());
        }

        @Test
        void largeSequentialWriteStreamsAndReadsBack() throws IOException {
            byte[] data = random(5 * 1024 * 1024 + 123, 2);
            long fh = fs.create("/big", 0644, FsCore.O_WRONLY | FsCore.O_CREAT, 0, 0);
            for (int off = 0; off < data.length; off += 131072) {
                fs.write(fh, off, ByteBuffer.wrap(data, off, Math.min(131072, data.length - off)));
            }
            assertEquals(data.length, fs.fgetattr(fh).size());
            assertEquals(1, oss.openWriters.get(), "streaming into one writer, no staging");
            fs.release(fh);
            assertEquals(0, oss.openWriters.get());
            assertArrayEquals(data, oss.data(B, "big"));
            assertArrayEquals(data, get("/big"));
        }

        @Test
        void randomOffsetWritesOverAnExistingFileSpillToTheSpoolAndMerge() throws IOException {
            byte[] data = random(3 * 1024 * 1024, 3);
            put("/f", data);
            byte[] expect = data.clone();
            Random r = new Random(4);
            long fh = fs.open("/f", FsCore.O_RDWR);
            for (int i = 0; i < 200; i++) {
                int off = r.nextInt(data.length + 50_000);
                byte[] chunk = random(1 + r.nextInt(9000), i);
                fs.write(fh, off, ByteBuffer.wrap(chunk));
                if (off + chunk.length > expect.length) expect = Arrays.copyOf(expect, off + chunk.length);
                System.arraycopy(chunk, 0, expect, off, chunk.length);
            }
            // reads through the handle see staged pages, the base, and zeros in holes
            ByteBuffer all = ByteBuffer.allocate(expect.length);
            assertEquals(expect.length, fs.read(fh, 0, all));
            assertArrayEquals(expect, all.array());
            try (var s = Files.list(dataDir.resolve("spool"))) {
                assertEquals(0, s.count(), "spool files are unlinked at once");
            }
            fs.release(fh);
            assertArrayEquals(expect, oss.data(B, "f"));
        }

        @Test
        @DisplayName("staged memory of all open files stays within one shared budget; the rest spills to the spool and reads back")
        void stagedMemoryOfAllFilesIsBounded() throws IOException {
            StageBudget budget = new StageBudget(4L * PageStage.PAGE);
            opts.stageBudget = budget;
            opts.stageMemory = 8L * PageStage.PAGE; // each file alone could hold 8 pages
            int files = 10;
            long[] fh = new long[files];
            byte[][] expected = new byte[files][];
            for (int i = 0; i < files; i++) {
                put("/r" + i, new byte[0]);
                fh[i] = fs.open("/r" + i, FsCore.O_RDWR);
                expected[i] = new byte[7 * PageStage.PAGE];
            }
            Random r = new Random(9);
            for (int round = 0; round < 7; round++) {
                for (int i = 0; i < files; i++) {
                    int page = 6 - round; // backwards: never a sequential stream
                    byte[] b = new byte[1000];
                    r.nextBytes(b);
                    int off = round == 0 ? 7 * PageStage.PAGE - 1000 : page * PageStage.PAGE + r.nextInt(PageStage.PAGE - 1000);
                    fs.write(fh[i], off, ByteBuffer.wrap(b));
                    System.arraycopy(b, 0, expected[i], off, b.length);
                    assertTrue(budget.used() <= budget.limit() + (long) files * PageStage.PAGE,
                            "over the budget each file keeps only the page it writes: " + budget.used());
                }
            }
            assertTrue(budget.used() <= budget.limit() + (long) files * PageStage.PAGE, "used " + budget.used());
            for (int i = 0; i < files; i++) {
                ByteBuffer b = ByteBuffer.allocate(expected[i].length);
                assertEquals(expected[i].length, fs.read(fh[i], 0, b));
                assertArrayEquals(expected[i], b.array(), "file " + i + " reads back from memory and spool");
            }
            for (int i = 0; i < files; i++) {
                fs.flush(fh[i]);
                fs.release(fh[i]);
                assertArrayEquals(expected[i], oss.data(B, "r" + i));
            }
            assertEquals(0, budget.used(), "released with the files");
        }

        @Test
        void writePastEofLeavesAZeroHole() throws IOException {
            long fh = fs.create("/sparse", 0644, FsCore.O_RDWR | FsCore.O_CREAT, 0, 0);
            fs.write(fh, 1_000_000, ByteBuffer.wrap("end".getBytes()));
            fs.release(fh);
            byte[] d = get("/sparse");
            assertEquals(1_000_003, d.length);
            for (int i = 0; i < 1_000_000; i++) if (d[i] != 0) fail("non-zero byte in hole at " + i);
            assertEquals("end", new String(d, 1_000_000, 3));
        }

        @Test
        void readReturnsFullLengthExceptAtEof() throws IOException {
            put("/f", random(300_000, 5));
            long fh = fs.open("/f", FsCore.O_RDONLY);
            assertEquals(131072, fs.read(fh, 100, ByteBuffer.allocate(131072)));
            assertEquals(300_000 - 250_000, fs.read(fh, 250_000, ByteBuffer.allocate(131072)));
            assertEquals(0, fs.read(fh, 300_000, ByteBuffer.allocate(10)));
            fs.release(fh);
        }

        @Test
        void truncateShrinksAndExtendsWithZeros() throws IOException {
            put("/f", random(400_000, 6));
            byte[] before = get("/f");
            fs.truncate("/f", 1000);
            assertEquals(1000, fs.getattr("/f").size());
            fs.truncate("/f", 300_000);
            byte[] after = get("/f");
            assertArrayEquals(Arrays.copyOf(before, 1000), Arrays.copyOf(after, 1000));
            for (int i = 1000; i < 300_000; i++) if (after[i] != 0) fail("stale byte after truncate at " + i);
        }

        @Test
        void oTruncOpenThenRewriteIsOneCommit() throws IOException {
            put("/f", random(10_000, 7));
            int commits = oss.commits.get();
            long fh = fs.open("/f", FsCore.O_WRONLY | FsCore.O_TRUNC);
            fs.write(fh, 0, ByteBuffer.wrap("new".getBytes()));
            fs.release(fh);
            assertEquals("new", new String(get("/f")));
            assertEquals(commits + 1, oss.commits.get());
            assertEquals("KMS", oss.headObject(B, "f").sseHeaders().get("x-oss-server-side-encryption"), "SSE kept");
        }

        @Test
        void handlesShareOneState() throws IOException {
            long w = fs.create("/f", 0644, FsCore.O_RDWR | FsCore.O_CREAT, 0, 0);
            long r = fs.open("/f", FsCore.O_RDONLY);
            fs.write(w, 0, ByteBuffer.wrap("shared".getBytes()));
            ByteBuffer b = ByteBuffer.allocate(10);
            assertEquals(6, fs.read(r, 0, b));
            assertEquals(6, fs.fgetattr(r).size());
            assertEquals(6, fs.getattr("/f").size());
            fs.release(w);
            fs.release(r);
        }

        @Test
        void readOnlyHandleCannotWrite() throws IOException {
            put("/f", "x".getBytes());
            long fh = fs.open("/f", FsCore.O_RDONLY);
            assertEquals(Errno.EBADF, errno(() -> fs.write(fh, 0, ByteBuffer.wrap("y".getBytes()))));
            fs.release(fh);
        }

        @Test
        void concurrentWritersOnDistinctFilesAndReaders() throws Exception {
            ExecutorService ex = Executors.newFixedThreadPool(8);
            List<Future<?>> fut = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                fut.add(ex.submit(() -> {
                    byte[] d = random(700_000, id);
                    put("/c" + id, d);
                    for (int i = 0; i < 5; i++) assertArrayEquals(d, get("/c" + id));
                    return null;
                }));
            }
            for (Future<?> f : fut) f.get();
            ex.shutdown();
        }
    }

    @Nested
    @DisplayName("an open file reads the version it was opened on")
    class PinnedVersion {
        byte[] read(long fh, int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(n);
            int got = fs.read(fh, 0, b);
            return Arrays.copyOf(b.array(), got);
        }

        void overwriteFromOutside(String key, byte[] data) throws IOException {
            oss.putObject(B, key, new ByteArrayInputStream(data), Map.of()); // ssefs cp, or another mount
        }

        /** Overwrites {@code key} with a short version from outside: the open file {@code fh} still reads {@code pinned}. */
        void assertReadsPinned(long fh, String key, byte[] pinned) throws IOException {
            overwriteFromOutside(key, "short v2".getBytes());
            assertArrayEquals(pinned, read(fh, 700_000));
        }

        @Test
        @DisplayName("an overwrite after open (even a shorter one) is not seen by that open file; reads are neither mixed nor EIO")
        void readsThePinnedVersion() throws IOException {
            byte[] v1 = random(600_000, 1);
            put("/f", v1);
            long fh = fs.open("/f", FsCore.O_RDONLY);
            try {
                assertReadsPinned(fh, "f", v1);
            } finally {
                fs.release(fh);
            }
            assertEquals("short v2", new String(get("/f")), "a new open sees the overwrite");
        }

        @Test
        @DisplayName("an open while the writer's handle is still open (its release comes later) also pins the version it opened")
        void openOfAStillOpenFilePins() throws IOException {
            byte[] v1 = random(600_000, 2);
            long writer = fs.create("/g", 0644, FsCore.O_WRONLY | FsCore.O_CREAT | FsCore.O_TRUNC, 1000, 1000);
            fs.write(writer, 0, ByteBuffer.wrap(v1));
            fs.flush(writer); // close(2): committed; the kernel sends release later
            long fh = fs.open("/g", FsCore.O_RDONLY);
            try {
                assertReadsPinned(fh, "g", v1);
            } finally {
                fs.release(fh);
                fs.release(writer);
            }
        }

        @Test
        @DisplayName("a partial write after an overwrite commits the whole pinned file with the change: last writer wins, never a mix")
        void partialWriteCommitsThePinnedVersionNotAMix() throws IOException {
            byte[] v1 = random(600_000, 2);
            put("/f", v1);
            long fh = fs.open("/f", FsCore.O_RDWR);
            byte[] v2 = random(600_000, 3);
            overwriteFromOutside("f", v2);
            fs.write(fh, 300_000, ByteBuffer.wrap("XYZ".getBytes()));
            fs.flush(fh);
            fs.release(fh);
            byte[] expected = v1.clone();
            System.arraycopy("XYZ".getBytes(), 0, expected, 300_000, 3);
            assertArrayEquals(expected, oss.data(B, "f"));
        }

        @Test
        @DisplayName("a new open joining an open file with nothing pending sees the overwrite")
        void newOpenOfACleanOpenFileSeesTheOverwrite() throws IOException {
            put("/f", "version one".getBytes());
            long fh1 = fs.open("/f", FsCore.O_RDONLY);
            try {
                assertEquals("version one", new String(read(fh1, 100)));
                overwriteFromOutside("f", "version two, longer".getBytes());
                long fh2 = fs.open("/f", FsCore.O_RDONLY);
                try {
                    assertEquals("version two, longer", new String(read(fh2, 100)));
                    assertEquals(19, fs.fgetattr(fh2).size());
                } finally {
                    fs.release(fh2);
                }
            } finally {
                fs.release(fh1);
            }
        }

        @Test
        @DisplayName("after its own commit, an overwrite from outside: a file with pending changes reports it (sticky EIO) and never publishes a mix")
        void pendingChangesOverAVersionReplacedAfterTheOwnCommit() throws IOException {
            put("/f", random(400_000, 4));
            long fh = fs.open("/f", FsCore.O_RDWR);
            try {
                fs.write(fh, 0, ByteBuffer.wrap("a".getBytes()));
                fs.fsync(fh); // own commit: the base is now that version
                byte[] v3 = random(400_000, 5);
                overwriteFromOutside("f", v3);
                // the page to change must come from the base, which is gone
                assertEquals(Errno.EIO, errno(() -> fs.write(fh, 200_000, ByteBuffer.wrap("b".getBytes()))));
                assertEquals(Errno.EIO, errno(() -> fs.flush(fh)));
                assertEquals(Errno.EIO, errno(() -> fs.fsync(fh)));
                assertArrayEquals(v3, oss.data(B, "f"), "the other writer's version stays whole");
            } finally {
                assertEquals(Errno.EIO, errno(() -> fs.release(fh)));
            }
        }
    }

    @Nested
    @DisplayName("fallocate")
    class Fallocate {
        @Test
        @DisplayName("offset + length beyond the maximum size or overflowing is EFBIG, and changes nothing")
        void overflowingRangeIsEfbig() throws IOException {
            put("/f", "abc".getBytes());
            long fh = fs.open("/f", FsCore.O_RDWR);
            try {
                assertEquals(Errno.EFBIG, errno(() -> fs.fallocate(fh, 0, Long.MAX_VALUE - 10, 100)));
                assertEquals(Errno.EFBIG, errno(() -> fs.fallocate(fh, 1, 1, Long.MAX_VALUE)));
                assertEquals(Errno.EFBIG, errno(() -> fs.fallocate(fh, 0, OpenFile.MAX_SIZE, 1)));
                assertEquals(3, fs.fgetattr(fh).size());
                fs.fallocate(fh, 0, 0, 10);
                assertEquals(10, fs.fgetattr(fh).size());
            } finally {
                fs.release(fh);
            }
        }
    }

    @Nested
    @DisplayName("failed commits")
    class Failures {
        @Test
        void diskFullFailsFlushAndKeepsThePreviousVersion() throws IOException {
            put("/f", "old".getBytes());
            long fh = fs.open("/f", FsCore.O_RDWR);
            fs.write(fh, 0, ByteBuffer.wrap("new!".getBytes()));
            oss.diskFull = true;
            assertEquals(Errno.ENOSPC, errno(() -> fs.flush(fh)));
            assertEquals("old", new String(oss.data(B, "f")));
            oss.diskFull = false;
            fs.flush(fh);
            assertEquals("new!", new String(oss.data(B, "f")), "staged data survived the failed commit");
            fs.release(fh);
        }

        @Test
        @DisplayName("a failed streaming commit is reported by every later flush, fsync and close until the file is emptied")
        void failedStreamingCommitStaysReported() throws IOException {
            put("/big", "old".getBytes());
            long fh = fs.open("/big", FsCore.O_RDWR | FsCore.O_TRUNC);
            byte[] data = random(3 << 20, 5); // sequential past the stream threshold: streamed into the writer
            for (int off = 0; off < data.length; off += 65536) fs.write(fh, off, ByteBuffer.wrap(data, off, 65536));
            oss.diskFull = true;
            // a read commits what was streamed first: that commit fails, and the read reports it
            assertEquals(Errno.ENOSPC, errno(() -> fs.read(fh, 0, ByteBuffer.allocate(10))));
            assertEquals(Errno.ENOSPC, errno(() -> fs.flush(fh)), "close reports the lost data");
            oss.diskFull = false;
            assertEquals(Errno.ENOSPC, errno(() -> fs.fsync(fh)), "a retried fsync does not pretend the data is there");
            assertEquals(Errno.ENOSPC, errno(() -> fs.flush(fh)));
            fs.write(fh, 3 << 20, ByteBuffer.wrap("tail".getBytes()));
            assertEquals(Errno.ENOSPC, errno(() -> fs.flush(fh)), "later writes are not published over a hole");
            assertEquals("old", new String(oss.data(B, "big")), "the previous version is intact");
            fs.ftruncate(fh, 0); // rewritten from scratch: the loss is no longer part of the file
            fs.write(fh, 0, ByteBuffer.wrap("new".getBytes()));
            fs.flush(fh);
            fs.release(fh);
            assertEquals("new", new String(oss.data(B, "big")));
        }

        @Test
        @DisplayName("the last close of a file whose streaming commit failed reports it too")
        void failedStreamingCommitReachesRelease() throws IOException {
            long fh = fs.create("/big2", 0644, FsCore.O_WRONLY | FsCore.O_CREAT, 1, 1);
            byte[] data = random(2 << 20, 6);
            for (int off = 0; off < data.length; off += 65536) fs.write(fh, off, ByteBuffer.wrap(data, off, 65536));
            oss.disabledKeys.add(InMemoryOss.DEFAULT_CMK);
            assertEquals(Errno.EACCES, errno(() -> fs.write(fh, 5, ByteBuffer.wrap("x".getBytes()))), "an out-of-order write commits the stream first");
            oss.disabledKeys.clear();
            assertEquals(Errno.EACCES, errno(() -> fs.flush(fh)));
            assertEquals(Errno.EACCES, errno(() -> fs.release(fh)));
            assertEquals(Errno.ENOENT, errno(() -> oss.headObject(B, "big2")));
        }

        @Test
        void disabledKeyGivesEaccesOnReadAndWrite() throws IOException {
            put("/f", "secret".getBytes());
            oss.disabledKeys.add(InMemoryOss.DEFAULT_CMK);
            assertEquals(Errno.EACCES, errno(() -> get("/f")));
            assertEquals(Errno.EACCES, errno(() -> put("/g", "x".getBytes())));
            assertEquals(0, errno(() -> fs.getattr("/f")), "getattr needs no key");
            oss.disabledKeys.clear();
            assertEquals("secret", new String(get("/f")));
        }

        @Test
        void integrityFailureIsEio() throws IOException {
            put("/f", "data".getBytes());
            oss.corrupted.add("f");
            assertEquals(Errno.EIO, errno(() -> get("/f")));
        }
    }

    @Nested
    @DisplayName("unlink, rename, symlinks")
    class Namespace {
        @Test
        void unlinkRemovesAndMissingIsEnoent() throws IOException {
            put("/f", "x".getBytes());
            fs.unlink("/f");
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/f")));
            assertEquals(Errno.ENOENT, errno(() -> fs.unlink("/f")));
        }

        @Test
        void unlinkedOpenFileStaysReadableAndIsNotResurrected() throws IOException {
            put("/f", "keep".getBytes());
            long fh = fs.open("/f", FsCore.O_RDWR);
            ByteBuffer b = ByteBuffer.allocate(4);
            fs.read(fh, 0, b);
            fs.unlink("/f");
            fs.write(fh, 0, ByteBuffer.wrap("more".getBytes()));
            fs.release(fh);
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/f")));
        }

        @Test
        void renameFileReplacesFileAtomically() throws IOException {
            put("/a", "A".getBytes());
            put("/b", "B".getBytes());
            fs.rename("/a", "/b");
            assertEquals("A", new String(get("/b")));
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/a")));
        }

        @Test
        void renameErrnosFollowPosix() throws IOException {
            put("/f", "x".getBytes());
            fs.mkdir("/d", 0755, 0, 0);
            fs.mkdir("/full", 0755, 0, 0);
            put("/full/x", "x".getBytes());
            fs.mkdir("/empty", 0755, 0, 0);
            assertEquals(Errno.EISDIR, errno(() -> fs.rename("/f", "/d")), "file over dir");
            assertEquals(Errno.ENOTDIR, errno(() -> fs.rename("/d", "/f")), "dir over file");
            assertEquals(Errno.ENOTEMPTY, errno(() -> fs.rename("/d", "/full")), "dir over non-empty dir");
            assertEquals(Errno.ENOENT, errno(() -> fs.rename("/missing", "/x")));
            assertEquals(0, errno(() -> fs.rename("/d", "/empty")), "dir over empty dir");
            assertTrue(fs.getattr("/empty").isDirectory());
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/d")));
        }

        @Test
        void renameWholeDirectoryMovesEveryKeyAndUserXattrs() throws IOException {
            fs.mkdir("/src", 0755, 0, 0);
            fs.mkdir("/src/sub", 0755, 0, 0);
            put("/src/sub/f", "deep".getBytes());
            fs.setxattr("/src/sub/f", "user.tag", "v1".getBytes(), 0);
            fs.rename("/src", "/dst");
            assertEquals("deep", new String(get("/dst/sub/f")));
            assertEquals("v1", new String(fs.getxattr("/dst/sub/f", "user.tag")));
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/src")));
        }

        @Test
        void renameOfAnOpenUncommittedFileCarriesItsData() throws IOException {
            long fh = fs.create("/tmp.part", 0644, FsCore.O_WRONLY | FsCore.O_CREAT, 0, 0);
            fs.write(fh, 0, ByteBuffer.wrap("payload".getBytes()));
            fs.rename("/tmp.part", "/final");
            fs.write(fh, 7, ByteBuffer.wrap("+".getBytes()));
            fs.release(fh);
            assertEquals("payload+", new String(get("/final")));
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/tmp.part")));
        }

        /** Runs {@code action} on another thread and gives it {@code millis} to finish (it may be held by a lock). */
        Future<?> racing(ExecutorService pool, ThrowingRunnable action, long millis) throws Exception {
            Future<?> f = pool.submit(() -> {
                action.run();
                return null;
            });
            try {
                f.get(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException held) {
                // waits for the rename: fine
            }
            return f;
        }

        @Test
        @DisplayName("a file created in the target between rename's emptiness check and the move is not overwritten")
        void targetEmptinessCheckIsAtomicWithTheMove() throws Exception {
            fs.mkdir("/src", 0755, 1, 1);
            put("/src/x", "moved".getBytes());
            fs.mkdir("/dst", 0755, 1, 1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<?>[] late = new Future<?>[1];
            try {
                oss.afterList = prefix -> {
                    if (!prefix.equals("dst/") || late[0] != null) return;
                    try {
                        late[0] = racing(pool, () -> put("/dst/x", "written in the target".getBytes()), 300);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                };
                int renamed = errno(() -> fs.rename("/src", "/dst"));
                oss.afterList = p -> { };
                late[0].get(10, java.util.concurrent.TimeUnit.SECONDS);
                if (renamed == 0) {
                    assertEquals("written in the target", new String(get("/dst/x")), "the create came after the move, not lost under it");
                } else {
                    assertEquals(Errno.ENOTEMPTY, renamed);
                    assertEquals("written in the target", new String(get("/dst/x")));
                }
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        @DisplayName("a flush during a directory rename commits under the new name and never brings the old directory back")
        void flushDuringDirectoryRenameLandsUnderTheNewName() throws Exception {
            fs.mkdir("/a", 0755, 1, 1);
            long fh = fs.create("/a/f", 0644, FsCore.O_RDWR | FsCore.O_CREAT, 1, 1);
            fs.write(fh, 0, ByteBuffer.wrap("first".getBytes()));
            fs.flush(fh);
            fs.write(fh, 0, ByteBuffer.wrap("second".getBytes()));
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<?>[] late = new Future<?>[1];
            try {
                oss.onRename = from -> {
                    if (!from.equals("a/") || late[0] != null) return;
                    try {
                        late[0] = racing(pool, () -> {
                            fs.write(fh, 0, ByteBuffer.wrap("third!".getBytes()));
                            fs.flush(fh);
                        }, 300);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                };
                fs.rename("/a", "/c");
                oss.onRename = f -> { };
                late[0].get(10, java.util.concurrent.TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
                fs.release(fh);
            }
            assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/a")), "the old directory stays gone");
            assertEquals(Errno.ENOENT, errno(() -> oss.headObject(B, "a/f")));
            assertEquals("third!", new String(get("/c/f")));
        }

        @Test
        void symlinkAndReadlink() throws IOException {
            fs.symlink("../target", "/l", 1, 1);
            FileAttr a = fs.getattr("/l");
            assertTrue(a.isSymlink());
            assertEquals(9, a.size());
            assertEquals("../target", fs.readlink("/l"));
            put("/f", new byte[0]);
            assertEquals(Errno.EINVAL, errno(() -> fs.readlink("/f")));
        }
    }

    @Nested
    @DisplayName("attributes")
    class Attributes {
        @Test
        void chmodChownUtimensPersist() throws IOException {
            put("/f", "x".getBytes());
            fs.chmod("/f", 0600);
            fs.chown("/f", 7, -1);
            fs.utimens("/f", 1_000_000_000L, 2_000_000_000L);
            var p = oss.headObject(B, "f").posix();
            assertEquals(0100600, p.mode());
            assertEquals(7, p.uid());
            assertEquals(1000, p.gid());
            assertEquals(2_000_000_000L, fs.getattr("/f").mtimeNanos());
        }

        @Test
        void chmodOnImpliedDirectoryCreatesItsMarker() throws IOException {
            oss.putObject(B, "x/y", new ByteArrayInputStream(new byte[0]), Map.of());
            fs.chmod("/x", 0700);
            assertEquals(0700, fs.getattr("/x").mode() & 07777);
        }

        @Test
        void utimensOnAnOpenDirtyFileIsCarriedByTheCommit() throws IOException {
            long fh = fs.create("/f", 0644, FsCore.O_WRONLY | FsCore.O_CREAT, 0, 0);
            fs.write(fh, 0, ByteBuffer.wrap("x".getBytes()));
            fs.utimens("/f", 5_000_000_000L, 6_000_000_000L);
            fs.release(fh);
            assertEquals(6_000_000_000L, oss.headObject(B, "f").posix().mtimeNanos());
        }
    }

    @Nested
    @DisplayName("xattrs")
    class XattrTests {
        static final String ALG = "user.x-oss-server-side-encryption";
        static final String KEY = "user.x-oss-server-side-encryption-key-id";
        static final String DATA = "user.x-oss-server-side-data-encryption";

        String x(String path, String name) { return new String(fs.getxattr(path, name), StandardCharsets.UTF_8); }

        @Test
        void fileShowsItsActualSseHeaders() throws IOException {
            put("/f", "x".getBytes());
            assertEquals("KMS", x("/f", ALG));
            assertEquals(InMemoryOss.DEFAULT_CMK, x("/f", KEY));
            assertEquals(Errno.ENODATA, errno(() -> fs.getxattr("/f", DATA)));
            assertEquals(List.of(ALG, KEY), fs.listxattr("/f"));
        }

        @Test
        void unencryptedObjectHasNoSseXattrs() throws IOException {
            oss.deleteBucketEncryption(B);
            put("/plain", "x".getBytes());
            assertEquals(Errno.ENODATA, errno(() -> fs.getxattr("/plain", ALG)));
            assertEquals(List.of(), fs.listxattr("/plain"));
        }

        @Test
        void settingTheAlgorithmReencryptsKeepingPosixAndUserMetadata() throws IOException {
            put("/f", "data".getBytes());
            fs.chmod("/f", 0640);
            fs.setxattr("/f", "user.color", "blue".getBytes(), 0);
            fs.setxattr("/f", ALG, "SM4".getBytes(), 0);
            ObjectMeta m = oss.headObject(B, "f");
            assertEquals(Map.of("x-oss-server-side-encryption", "SM4"), m.sseHeaders());
            assertEquals("blue", x("/f", "user.color"));
            assertEquals(0100640, m.posix().mode());
            assertEquals("data", new String(get("/f")));
        }

        @Test
        void settingTheKeyIdReencryptsUnderThatCmk() throws IOException {
            put("/f", "data".getBytes());
            fs.setxattr("/f", KEY, "cmk-named-0002".getBytes(), 0);
            assertEquals("cmk-named-0002", x("/f", KEY));
            assertEquals("KMS", x("/f", ALG));
            fs.setxattr("/f", DATA, "SM4".getBytes(), 0);
            assertEquals("SM4", x("/f", DATA));
            assertEquals("cmk-named-0002", x("/f", KEY));
        }

        @Test
        void badValuesAreEinvalAndChangeNothing() throws IOException {
            put("/f", "data".getBytes());
            Map<String, String> before = oss.headObject(B, "f").sseHeaders();
            assertEquals(Errno.EINVAL, errno(() -> fs.setxattr("/f", ALG, "AES128".getBytes(), 0)));
            assertEquals(Errno.EINVAL, errno(() -> fs.setxattr("/f", DATA, "AES".getBytes(), 0)));
            assertEquals(Errno.EINVAL, errno(() -> fs.setxattr("/f", KEY, "no-such-key".getBytes(), 0)));
            assertEquals(Errno.EINVAL, errno(() -> fs.setxattr("/f", "user.bin", new byte[] {(byte) 0xff, (byte) 0xfe}, 0)));
            assertEquals(before, oss.headObject(B, "f").sseHeaders());
        }

        @Test
        @DisplayName("an upper-case user.* name is refused (EINVAL), never stored under another name")
        void upperCaseNamesAreRefusedNotLowercased() throws IOException {
            put("/f", "x".getBytes());
            assertEquals(Errno.EINVAL, errno(() -> fs.setxattr("/f", "user.Project", "apollo".getBytes(), 0)));
            assertFalse(fs.listxattr("/f").contains("user.project"), "nothing stored under the lower-cased name");
            assertEquals(Errno.ENODATA, errno(() -> fs.getxattr("/f", "user.Project")));
            fs.setxattr("/f", "user.project", "apollo".getBytes(), 0);
            assertEquals("apollo", new String(fs.getxattr("/f", "user.project")));
        }

        @Test
        void otherNamespacesAreRefused() throws IOException {
            put("/f", "x".getBytes());
            assertEquals(Errno.ENOTSUP, errno(() -> fs.getxattr("/f", "security.capability")));
            assertEquals(Errno.ENOTSUP, errno(() -> fs.removexattr("/f", "system.posix_acl_access")));
            assertEquals(Errno.ENOTSUP, errno(() -> fs.setxattr("/f", "trusted.x", "1".getBytes(), 0)));
        }

        @Test
        void createAndReplaceFlags() throws IOException {
            put("/f", "x".getBytes());
            assertEquals(Errno.ENODATA, errno(() -> fs.setxattr("/f", "user.a", "1".getBytes(), Xattrs.XATTR_REPLACE)));
            fs.setxattr("/f", "user.a", "1".getBytes(), Xattrs.XATTR_CREATE);
            assertEquals(Errno.EEXIST, errno(() -> fs.setxattr("/f", "user.a", "2".getBytes(), Xattrs.XATTR_CREATE)));
            fs.removexattr("/f", "user.a");
            assertEquals(Errno.ENODATA, errno(() -> fs.getxattr("/f", "user.a")));
        }

        @Test
        void userXattrsSurviveRewritesOfTheFile() throws IOException {
            put("/f", "x".getBytes());
            fs.setxattr("/f", "user.k", "v".getBytes(), 0);
            long fh = fs.open("/f", FsCore.O_WRONLY | FsCore.O_TRUNC);
            fs.write(fh, 0, ByteBuffer.wrap("y".getBytes()));
            fs.release(fh);
            assertEquals("v", x("/f", "user.k"));
        }

        @Test
        void rootShowsAndSetsTheBucketRule() throws IOException {
            assertEquals("KMS", x("/", ALG));
            assertEquals(Errno.ENODATA, errno(() -> fs.getxattr("/", KEY)));
            fs.setxattr("/", KEY, "cmk-named-0002".getBytes(), 0);
            assertEquals(new BucketEncryptionRule("KMS", "cmk-named-0002", null), oss.getBucketEncryption(B));
            fs.setxattr("/", ALG, "AES256".getBytes(), 0);
            assertEquals(new BucketEncryptionRule("AES256", null, null), oss.getBucketEncryption(B));
            assertEquals(Errno.EINVAL, errno(() -> fs.setxattr("/", ALG, "DES".getBytes(), 0)));
            fs.removexattr("/", ALG);
            assertEquals(List.of(), fs.listxattr("/"));
            put("/after", "x".getBytes());
            assertEquals(Map.of(), oss.headObject(B, "after").sseHeaders());
        }
    }
}
