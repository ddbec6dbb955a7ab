package dev.ssefs.fuse;

import dev.ssefs.objectcore.BucketEncryptionRule;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.ssefs.fuse.SectorMask.SECTOR;
import static org.junit.jupiter.api.Assertions.*;

@DisplayName("PageStage: writes staged by 4 KiB sector, merged with the base, spilled by sector")
class PageStageTest {
    static final int P = PageStage.PAGE;
    static final int S = SECTOR;
    @TempDir Path dir;

    @Nested
    @DisplayName("SectorMask: the range arithmetic of a page's sectors")
    class Masks {
        @Test
        @DisplayName("sectors [first, end): empty, one, all 32, the top bit")
        void sectors() {
            assertEquals(0, SectorMask.sectors(0, 0));
            assertEquals(0, SectorMask.sectors(5, 3));
            assertEquals(1, SectorMask.sectors(0, 1));
            assertEquals(0b110, SectorMask.sectors(1, 3));
            assertEquals(-1, SectorMask.sectors(0, 32));
            assertEquals(SectorMask.ALL, SectorMask.sectors(0, SectorMask.SECTORS));
            assertEquals(1 << 31, SectorMask.sectors(31, 32));
            assertEquals(32, SectorMask.SECTORS);
        }

        @Test
        @DisplayName("touched: every sector holding a byte of the range, at and across sector edges")
        void touched() {
            assertEquals(0, SectorMask.touched(10, 10), "an empty range touches nothing");
            assertEquals(1, SectorMask.touched(0, 1));
            assertEquals(1, SectorMask.touched(0, S));
            assertEquals(0b11, SectorMask.touched(0, S + 1));
            assertEquals(0b11, SectorMask.touched(S - 1, S + 1));
            assertEquals(0b10, SectorMask.touched(S, 2 * S));
            assertEquals(1 << 31, SectorMask.touched(P - 1, P));
            assertEquals(-1, SectorMask.touched(0, P));
        }

        @Test
        @DisplayName("whole: only sectors the range covers entirely")
        void whole() {
            assertEquals(0, SectorMask.whole(0, S - 1));
            assertEquals(0, SectorMask.whole(1, S));
            assertEquals(1, SectorMask.whole(0, S));
            assertEquals(0b10, SectorMask.whole(1, 2 * S));
            assertEquals(0b10, SectorMask.whole(S, 3 * S - 1));
            assertEquals(0, SectorMask.whole(S + 1, 2 * S + 1), "inside two sectors, covering neither");
            assertEquals(-1, SectorMask.whole(0, P));
            assertEquals(1 << 31, SectorMask.whole(P - S, P));
        }

        @Test
        @DisplayName("below: sectors holding a byte under a page offset")
        void below() {
            assertEquals(0, SectorMask.below(0));
            assertEquals(1, SectorMask.below(1));
            assertEquals(1, SectorMask.below(S));
            assertEquals(0b11, SectorMask.below(S + 1));
            assertEquals(-1, SectorMask.below(P));
            assertEquals(-1 >>> 1, SectorMask.below(P - S));
        }

        @Test
        @DisplayName("runEnd: where a run of set sectors stops, including at the last sector")
        void runEnd() {
            assertEquals(3, SectorMask.runEnd(0b0111, 0));
            assertEquals(2, SectorMask.runEnd(0b1010, 1));
            assertEquals(32, SectorMask.runEnd(-1, 0));
            assertEquals(32, SectorMask.runEnd(-1, 31));
            assertEquals(32, SectorMask.runEnd(1 << 31, 31));
            assertEquals(32, SectorMask.runEnd(-1 << 4, 4));
        }
    }

    /** The base version (bytes below {@code limit}, zeros after), counting what a stage asks of it. */
    static final class Base implements PageStage.Unstaged {
        final byte[] data;
        long limit;
        long bytesAsked;

        Base(byte[] data) {
            this.data = data;
            this.limit = data.length;
        }

        @Override
        public void fill(long pos, ByteBuffer dst, int n) {
            bytesAsked += n;
            for (int i = 0; i < n; i++) dst.put(pos + i < limit ? data[(int) (pos + i)] : 0);
        }
    }

    /** A stage, its base, and the content they must show together (the model). */
    final class Staged implements AutoCloseable {
        final Base base;
        final PageStage stage;
        byte[] model;

        Staged(byte[] baseData, long memoryBound) {
            base = new Base(baseData);
            stage = new PageStage(memoryBound, dir.resolve("spool"), new StageBudget(1L << 30));
            model = baseData.clone();
        }

        /** Writes as OpenFile does: split at page edges. */
        void write(long pos, byte[] b) throws IOException {
            ByteBuffer src = ByteBuffer.wrap(b);
            long p = pos;
            while (src.hasRemaining()) {
                int inPage = (int) (p % P);
                int n = Math.min(src.remaining(), P - inPage);
                stage.write(p / P, inPage, src, n, base);
                p += n;
            }
            if (pos + b.length > model.length) model = Arrays.copyOf(model, (int) (pos + b.length));
            System.arraycopy(b, 0, model, (int) pos, b.length);
        }

        byte[] read(long pos, int len) throws IOException {
            ByteBuffer dst = ByteBuffer.allocate(len);
            long p = pos;
            while (dst.hasRemaining()) {
                int inPage = (int) (p % P);
                int n = Math.min(dst.remaining(), P - inPage);
                if (stage.contains(p / P)) stage.read(p / P, inPage, n, dst, base);
                else base.fill(p, dst, n);
                p += n;
            }
            return dst.array();
        }

        void assertContent() throws IOException {
            assertArrayEquals(model, read(0, model.length), "staged sectors over the base");
        }

        @Override
        public void close() throws IOException { stage.close(); }
    }

    static byte[] random(int n, long seed) { return FsCoreTest.random(n, seed); }

    @Nested
    @DisplayName("writing")
    class Writing {
        @Test
        @DisplayName("a write of whole sectors reads nothing of the base")
        void wholeSectorsDoNotReadTheBase() throws IOException {
            try (Staged s = new Staged(random(4 * P, 1), 64L * P)) {
                s.write(S, random(S, 2));
                s.write(3L * P + 5 * S, random(3 * S, 3));
                s.write(P - S, random(2 * S, 4)); // the last sector of page 0 and the first of page 1
                assertEquals(0, s.base.bytesAsked);
                assertEquals(0b10 | 1 << 31, s.stage.stagedSectors(0));
                assertEquals(1, s.stage.stagedSectors(1));
                assertEquals(0b111 << 5, s.stage.stagedSectors(3));
                s.assertContent();
            }
        }

        @Test
        @DisplayName("a write at a sector edge completes only the sectors it covers partly, once each")
        void partialSectorsAreCompletedOnce() throws IOException {
            try (Staged s = new Staged(random(2 * P, 5), 64L * P)) {
                s.write(S - 1, new byte[] {1, 2}); // the last byte of sector 0, the first of sector 1
                assertEquals(2L * S, s.base.bytesAsked);
                assertEquals(0b11, s.stage.stagedSectors(0));
                s.write(100, new byte[] {3});
                s.write(S + 200, random(300, 6));
                assertEquals(2L * S, s.base.bytesAsked, "sectors already written are not loaded again");
                s.write(5 * S + 1, random(S, 7)); // inside sectors 5 and 6, covering neither
                assertEquals(4L * S, s.base.bytesAsked);
                assertEquals(0b1100011, s.stage.stagedSectors(0));
                s.assertContent();
            }
        }

        @Test
        @DisplayName("a write spanning pages stages the sectors of each page")
        void spanningPages() throws IOException {
            try (Staged s = new Staged(random(3 * P, 8), 64L * P)) {
                s.write(P - 100, random(P + 5000, 9)); // partial sector 31 of page 0, all of page 1, sectors 0-1 of page 2
                assertEquals(1 << 31, s.stage.stagedSectors(0));
                assertEquals(-1, s.stage.stagedSectors(1));
                assertEquals(0b11, s.stage.stagedSectors(2));
                assertEquals(2L * S, s.base.bytesAsked, "sector 31 of page 0 and sector 1 of page 2");
                s.assertContent();
            }
        }

        @Test
        @DisplayName("a write past the end of the base shows zeros in the gap")
        void pastTheEnd() throws IOException {
            try (Staged s = new Staged(random(P + 10, 10), 64L * P)) {
                s.write(3L * P + 7, random(20, 11));
                s.assertContent();
                assertArrayEquals(new byte[S], s.read(2L * P, S));
            }
        }
    }

    @Nested
    @DisplayName("reading what is staged")
    class Reading {
        @Test
        @DisplayName("read-after-write merges the base and written sectors, for any range")
        void mergesAnyRange() throws IOException {
            try (Staged s = new Staged(random(8 * P, 12), 64L * P)) {
                Random r = new Random(13);
                for (int i = 0; i < 300; i++) {
                    int off = r.nextInt(8 * P);
                    s.write(off, random(1 + r.nextInt(3 * S), i));
                }
                s.assertContent();
                for (int i = 0; i < 200; i++) {
                    int off = r.nextInt(s.model.length);
                    int len = 1 + r.nextInt(Math.min(2 * P, s.model.length - off));
                    assertArrayEquals(Arrays.copyOfRange(s.model, off, off + len), s.read(off, len), off + "+" + len);
                }
            }
        }
    }

    @Nested
    @DisplayName("spilling to the spool")
    class Spilling {
        @Test
        @DisplayName("a spilled page writes only its written sectors, and reads back from the spool")
        void onlyWrittenSectorsSpill() throws IOException {
            try (Staged s = new Staged(random(20 * P, 14), 2L * P)) {
                for (int page = 0; page < 20; page++) s.write((long) page * P + (page % 32) * S, random(S, page));
                assertTrue(s.stage.spilled());
                assertEquals(2L * P, s.stage.memoryBytes(), "memory stays within the bound");
                assertEquals(18, s.stage.sectorsSpilled(), "one sector per spilled page, not a page");
                assertEquals(0, s.base.bytesAsked);
                s.assertContent();
            }
        }

        @Test
        @DisplayName("a partly spilled page: a later write lands in memory, reads merge memory, spool and base")
        void partlySpilledPage() throws IOException {
            try (Staged s = new Staged(random(6 * P, 15), 2L * P)) {
                s.write(3 * S, random(S, 16));          // page 0 sector 3
                for (int page = 1; page < 4; page++) s.write((long) page * P, random(10, page)); // pushes page 0 out
                assertEquals(0b1000, s.stage.stagedSectors(0));
                s.write(5 * S, random(S, 17));          // page 0 again: sector 5 in memory, sector 3 still spilled
                assertEquals(0b101000, s.stage.stagedSectors(0));
                s.assertContent();
                long before = s.base.bytesAsked;
                s.write(3 * S + 10, random(20, 18));    // partial write over the spilled sector: completed from the spool
                assertEquals(before, s.base.bytesAsked, "the spilled sector, not the base, completes it");
                s.assertContent();
                for (int page = 1; page < 4; page++) s.write((long) page * P + S, random(S, 20 + page)); // spill again
                s.assertContent();
            }
        }

        @Test
        @DisplayName("sectors spilled again and again: freed slots are reused, the spool stays near twice what is staged")
        void slotsAreReused() throws IOException {
            try (Staged s = new Staged(random(12 * P, 32), 2L * P)) {
                for (int round = 0; round < 700; round++) {
                    for (int page = 0; page < 12; page++) s.write((long) page * P + (round % 3) * S, random(S, round * 12 + page));
                }
                assertTrue(s.stage.sectorsSpilled() > 6000, "spilled " + s.stage.sectorsSpilled());
                assertTrue(s.stage.spoolSlots() <= 2 * 36 + 4096 + 64, "slots " + s.stage.spoolSlots());
                s.assertContent();
            }
        }

        @Test
        @DisplayName("random writes over many pages, spilled and rewritten, read back exactly")
        void randomSpillAndReload() throws IOException {
            try (Staged s = new Staged(random(16 * P, 19), 3L * P)) {
                Random r = new Random(20);
                for (int i = 0; i < 600; i++) {
                    int off = r.nextBoolean() ? r.nextInt(16 * P / S) * S : r.nextInt(16 * P);
                    s.write(off, random(r.nextBoolean() ? S : 1 + r.nextInt(2 * S), i));
                }
                assertTrue(s.stage.spilled());
                s.assertContent();
            }
        }
    }

    @Nested
    @DisplayName("truncating")
    class Truncating {
        /** As OpenFile truncates: the stage, then the base's limit, then the model. */
        void truncate(Staged s, long size) throws IOException {
            s.stage.truncate(size, s.base);
            s.base.limit = Math.min(s.base.limit, size);
            s.model = Arrays.copyOf(s.model, (int) size);
        }

        @Test
        @DisplayName("inside a partly written page: later sectors go, the boundary sector's tail reads zeros when grown")
        void insidePartlyWrittenPage() throws IOException {
            try (Staged s = new Staged(random(3 * P, 21), 64L * P)) {
                s.write(P, random(6 * S, 22)); // page 1 sectors 0-5
                s.write(P + 10 * S, random(S, 23));
                truncate(s, P + 2 * S + 100);
                assertEquals(0b111, s.stage.stagedSectors(1));
                s.model = Arrays.copyOf(s.model, 3 * P);
                s.write(3L * P - 1, new byte[] {9}); // grow again: the gap is zeros
                s.assertContent();
                assertArrayEquals(new byte[S - 100], s.read(P + 2 * S + 100, S - 100));
            }
        }

        @Test
        @DisplayName("at a sector edge: nothing to zero; the sector at the edge goes")
        void atSectorEdge() throws IOException {
            try (Staged s = new Staged(random(2 * P, 24), 64L * P)) {
                s.write(0, random(4 * S, 25));
                truncate(s, 2 * S);
                assertEquals(0b11, s.stage.stagedSectors(0));
                truncate(s, 0);
                assertTrue(s.stage.isEmpty());
            }
        }

        @Test
        @DisplayName("when the boundary sector is only spilled, it is brought back and its tail zeroed")
        void spilledBoundarySector() throws IOException {
            try (Staged s = new Staged(random(8 * P, 26), 2L * P)) {
                s.write(2 * S, random(2 * S, 27)); // page 0 sectors 2-3
                for (int page = 1; page < 5; page++) s.write((long) page * P, random(S, page));
                assertEquals(0, s.stage.memoryBytes() - 2L * P);
                truncate(s, 3 * S + 7);
                assertEquals(0b1100, s.stage.stagedSectors(0));
                s.model = Arrays.copyOf(s.model, P);
                s.write(P - 1, new byte[] {1});
                s.assertContent();
            }
        }
    }

    @Nested
    @DisplayName("the spool at rest")
    class AtRest {
        /** The raw bytes of this process's open, unlinked spool files under {@code spoolDir}. */
        List<byte[]> spoolFiles(Path spoolDir) throws IOException {
            List<byte[]> out = new ArrayList<>();
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : fds.toList()) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(fd).toString();
                    } catch (IOException gone) {
                        continue;
                    }
                    if (target.startsWith(spoolDir.toString()) && target.contains("spool-")) out.add(Files.readAllBytes(fd));
                }
            }
            return out;
        }

        static boolean contains(byte[] hay, byte[] needle) {
            for (int i = 0; i + needle.length <= hay.length; i++) {
                if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) return true;
            }
            return false;
        }

        @Test
        @DisplayName("spilled sectors, whole and partial, hold no plaintext; the spool file is already unlinked")
        void noPlaintext() throws IOException {
            byte[] marker = "ssefs-spool-marker-plaintext!".getBytes(StandardCharsets.UTF_8);
            byte[] sector = new byte[S];
            for (int i = 0; i + marker.length <= S; i += marker.length) System.arraycopy(marker, 0, sector, i, marker.length);
            Path spoolDir = dir.resolve("spool");
            try (Staged s = new Staged(sector.clone(), 2L * P)) { // the base holds the marker too
                for (int page = 0; page < 12; page++) s.write((long) page * P + 7 * S, sector);
                s.write(100, marker); // partial: completed from the base, then spilled
                for (int page = 1; page < 4; page++) s.write((long) page * P + 9 * S, sector);
                assertTrue(s.stage.sectorsSpilled() >= 11);
                try (var names = Files.list(spoolDir)) {
                    assertEquals(0, names.count(), "unlinked at once");
                }
                List<byte[]> files = spoolFiles(spoolDir);
                assertEquals(1, files.size(), "the one open spool is found");
                long sealed = files.get(0).length;
                assertTrue(sealed >= 7L * EncryptedSpool.SEALED, "the scan reads the sealed sectors: " + sealed);
                assertTrue(contains(sector, marker), "the scan finds the marker where it is");
                assertFalse(contains(files.get(0), marker), "no plaintext in the spool");
                s.assertContent();
            }
        }

        @Test
        @DisplayName("a sealed sector altered on disk fails authentication")
        void tamperedSectorFails() throws IOException {
            try (Staged s = new Staged(new byte[4 * P], 2L * P)) {
                for (int page = 0; page < 4; page++) s.write((long) page * P, random(S, page));
                Path fd;
                try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                    fd = fds.filter(f -> {
                        try {
                            return Files.readSymbolicLink(f).toString().startsWith(dir.resolve("spool").toString());
                        } catch (IOException e) {
                            return false;
                        }
                    }).findFirst().orElseThrow();
                }
                try (var ch = java.nio.channels.FileChannel.open(fd, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(new byte[] {0x55}), 10); // page 0, sector 0
                }
                IOException e = assertThrows(IOException.class, () -> s.read(0, S));
                assertTrue(e.getMessage().contains("authentication"), e.getMessage());
            }
        }
    }

    @Nested
    @DisplayName("through an open file: commits merge the base and staged sectors")
    class Commits {
        static final String B = "b";
        InMemoryOss oss;
        FsCore fs;
        MountOptions opts;

        @BeforeEach
        void setUp() {
            oss = new InMemoryOss();
            oss.createBucket(B, new BucketEncryptionRule("KMS", null, null));
            opts = new MountOptions();
            opts.stageMemory = 2L * P; // tiny, so sectors spill
            fs = new FsCore(new Volume(oss, B, opts, dir.resolve("spool"), 1000, 1000));
        }

        void put(String path, byte[] data) throws IOException {
            long fh = fs.create(path, 0644, FsCore.O_WRONLY | FsCore.O_CREAT | FsCore.O_TRUNC, 1000, 1000);
            fs.write(fh, 0, ByteBuffer.wrap(data));
            fs.release(fh);
        }

        @Test
        @DisplayName("sector-edge, partial, page-spanning writes and a truncate inside a partial page commit exactly")
        void commitMerges() throws IOException {
            byte[] expect = random(10 * P + 1234, 30);
            put("/f", expect);
            long fh = fs.open("/f", FsCore.O_RDWR);
            Random r = new Random(31);
            for (int i = 0; i < 400; i++) {
                int off = switch (i % 4) {
                    case 0 -> r.nextInt(10 * P / S) * S;               // a sector edge
                    case 1 -> r.nextInt(10 * P / S) * S - 1 + S;       // one before an edge
                    case 2 -> r.nextInt(10) * P + P - 700;             // spanning a page edge
                    default -> r.nextInt(expect.length);
                };
                byte[] chunk = random(i % 4 == 0 ? S : 1 + r.nextInt(3000), 100 + i);
                fs.write(fh, off, ByteBuffer.wrap(chunk));
                if (off + chunk.length > expect.length) expect = Arrays.copyOf(expect, off + chunk.length);
                System.arraycopy(chunk, 0, expect, off, chunk.length);
                if (i == 200) {
                    int cut = 6 * P + 5 * S + 333; // inside a written-over page
                    fs.truncate("/f", cut);
                    expect = Arrays.copyOf(expect, cut);
                }
            }
            ByteBuffer all = ByteBuffer.allocate(expect.length);
            assertEquals(expect.length, fs.read(fh, 0, all));
            assertArrayEquals(expect, all.array(), "read-after-write through the handle");
            fs.flush(fh);
            assertArrayEquals(expect, oss.data(B, "f"), "the committed version");
            fs.write(fh, 3, ByteBuffer.wrap(new byte[] {7})); // staged again over the new base
            expect[3] = 7;
            fs.release(fh);
            assertArrayEquals(expect, oss.data(B, "f"));
        }

        @Test
        @DisplayName("a large file is assembled on a helper thread: exact content; a failure there keeps the old version and the staged data")
        void pipelinedCommit() throws IOException {
            int size = (int) (CommitPipeline.MIN_PIPELINED_PAGES + 9) * P + 777;
            byte[] before = random(size, 40);
            put("/big", before);
            byte[] expect = before.clone();
            long fh = fs.open("/big", FsCore.O_RDWR);
            Random r = new Random(41);
            for (int i = 0; i < 300; i++) {
                int off = r.nextInt(size / S) * S;
                byte[] chunk = random(i % 3 == 0 ? 1 + r.nextInt(S) : S, 200 + i);
                fs.write(fh, off, ByteBuffer.wrap(chunk));
                if (off + chunk.length > expect.length) expect = Arrays.copyOf(expect, off + chunk.length);
                System.arraycopy(chunk, 0, expect, off, chunk.length);
            }
            oss.disabledKeys.add(InMemoryOss.DEFAULT_CMK); // the base can no longer be read while assembling
            assertThrows(Exception.class, () -> fs.flush(fh));
            oss.disabledKeys.clear();
            assertArrayEquals(before, oss.data(B, "big"), "the failed commit left the previous version");
            assertEquals(0, oss.openWriters.get(), "the failed writer was discarded");
            fs.flush(fh);
            assertArrayEquals(expect, oss.data(B, "big"), "the staged data survived and commits");
            fs.release(fh);
        }
    }
}
