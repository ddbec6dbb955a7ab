package dev.ssefs.keys.store;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("JournaledVolume: atomic syncs for meta.db")
class JournaledVolumeTest {
    @TempDir Path dir;

    @Test
    @DisplayName("unsyncedPages counts the pages held in memory until a sync, and a sync empties it")
    void unsyncedPages() {
        JournaledVolume v = new JournaledVolume(dir.resolve("u.db").toFile());
        v.ensureAvailable(10 * JournaledVolume.PAGE);
        assertEquals(0, v.unsyncedPages());
        v.putLong(8, 1L);
        v.putLong(16, 2L); // the same page
        v.putData(3 * JournaledVolume.PAGE - 2, new byte[4], 0, 4); // two more pages
        assertEquals(3, v.unsyncedPages());
        v.sync();
        assertEquals(0, v.unsyncedPages());
        assertEquals(2L, v.getLong(16));
        v.close();
    }

    @Test
    @DisplayName("writes are visible before sync, durable after it, and dropped by discard")
    void visibility() {
        Path f = dir.resolve("v.db");
        JournaledVolume v = new JournaledVolume(f.toFile());
        v.ensureAvailable(3 * JournaledVolume.PAGE);
        v.putLong(100, 42L);
        v.putData(JournaledVolume.PAGE - 3, new byte[]{1, 2, 3, 4, 5, 6}, 0, 6);
        assertEquals(42L, v.getLong(100));
        byte[] b = new byte[6];
        v.getData(JournaledVolume.PAGE - 3, b, 0, 6);
        assertArrayEquals(new byte[]{1, 2, 3, 4, 5, 6}, b);
        v.sync();
        assertFalse(Files.exists(dir.resolve("v.db.journal")));
        v.putLong(100, 7L);
        v.discard();
        v.close();
        JournaledVolume r = new JournaledVolume(f.toFile());
        assertEquals(42L, r.getLong(100), "the discarded write is gone, the synced one stays");
        assertEquals(3 * JournaledVolume.PAGE, r.length());
        r.close();
    }

    @Test
    @DisplayName("a complete journal left by a crash is applied on open; a torn one is discarded")
    void recovery() throws Exception {
        Path f = dir.resolve("v.db");
        JournaledVolume v = new JournaledVolume(f.toFile());
        v.ensureAvailable(2 * JournaledVolume.PAGE);
        v.putLong(8, 1L);
        v.sync();
        v.putLong(8, 2L);
        v.putLong(JournaledVolume.PAGE + 8, 3L);
        v.sync();
        v.close();
        byte[] committed = Files.readAllBytes(f);

        // simulate a crash after the journal was forced but before the main file was written: build that journal
        JournaledVolume w = new JournaledVolume(f.toFile());
        w.putLong(8, 9L);
        // capture the journal by syncing into a copy of the directory state
        Path copy = dir.resolve("copy.db");
        Files.write(copy, committed);
        w.sync();
        w.close();
        byte[] after = Files.readAllBytes(f);
        // reconstruct a journal for copy.db from what changed: page 0 of `after`
        java.nio.ByteBuffer j = java.nio.ByteBuffer.allocate(20 + 8 + JournaledVolume.PAGE + 8);
        j.putLong(0x53534546534A4E4CL).putLong(after.length).putInt(1).putLong(0).put(after, 0, JournaledVolume.PAGE);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(j.array(), 0, j.capacity() - 8);
        j.putLong(crc.getValue());
        Path journal = dir.resolve("copy.db.journal");
        Files.write(journal, j.array());
        JournaledVolume.recover(copy, journal);
        assertArrayEquals(after, Files.readAllBytes(copy), "a complete journal is applied");
        assertFalse(Files.exists(journal));

        // a torn journal (any prefix, or a flipped byte) changes nothing
        Files.write(copy, committed);
        byte[] full = j.array();
        for (int cut : new int[]{0, 10, 27, full.length / 2, full.length - 1}) {
            Files.write(journal, Arrays.copyOf(full, cut));
            JournaledVolume.recover(copy, journal);
            assertArrayEquals(committed, Files.readAllBytes(copy), "torn journal of " + cut + " bytes");
        }
        byte[] flipped = full.clone();
        flipped[40] ^= 1;
        Files.write(journal, flipped);
        JournaledVolume.recover(copy, journal);
        assertArrayEquals(committed, Files.readAllBytes(copy));
    }

    /** The log without repeated consecutive entries (a page write may take several calls). */
    static java.util.List<String> compact(java.util.List<String> log) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String l : log) if (out.isEmpty() || !out.get(out.size() - 1).equals(l)) out.add(l);
        return out;
    }

    @Test
    @DisplayName("a sync fsyncs the directory after creating the journal (before touching the file) and after deleting it")
    void directoryFsyncs() {
        Path f = dir.resolve("v.db");
        RecordingChannels ch = new RecordingChannels(dir.resolve("v.db.journal"));
        JournaledVolume v = new JournaledVolume(f.toFile(), null, ch);
        v.ensureAvailable(2 * JournaledVolume.PAGE);
        v.putLong(JournaledVolume.PAGE + 8, 5L);
        ch.log.clear();
        v.sync();
        assertEquals(java.util.List.of(
                "open v.db.journal", "write v.db.journal", "force v.db.journal",
                "open " + dir.getFileName(), "fsync dir, v.db.journal exists",
                "write v.db", "force v.db",
                "open " + dir.getFileName(), "fsync dir, v.db.journal gone"), compact(ch.log));
        v.close();
    }

    @Test
    @DisplayName("recovery fsyncs the directory after deleting the replayed journal")
    void recoveryDirectoryFsync() throws Exception {
        Path f = dir.resolve("v.db");
        JournaledVolume v = new JournaledVolume(f.toFile());
        v.ensureAvailable(JournaledVolume.PAGE);
        v.putLong(8, 1L);
        v.sync();
        v.close();
        Files.write(dir.resolve("v.db.journal"), new byte[]{1, 2, 3}); // torn
        RecordingChannels ch = new RecordingChannels(dir.resolve("v.db.journal"));
        JournaledVolume r = new JournaledVolume(f.toFile(), null, ch);
        assertTrue(ch.log.contains("fsync dir, v.db.journal gone"), ch.log.toString());
        assertEquals(1L, r.getLong(8));
        r.close();
    }

    @Test
    @DisplayName("if the directory fsync after creating the journal fails, the commit is not durable: the journal is removed and sync throws")
    void directoryFsyncFailure() throws Exception {
        Path f = dir.resolve("v.db");
        RecordingChannels ch = new RecordingChannels(dir.resolve("v.db.journal"));
        JournaledVolume v = new JournaledVolume(f.toFile(), null, ch);
        v.ensureAvailable(JournaledVolume.PAGE);
        v.putLong(8, 1L);
        v.sync();
        v.putLong(8, 2L);
        ch.failName = dir.getFileName().toString();
        ch.failOp = "force";
        ch.failTimes = 1;
        assertThrows(java.io.UncheckedIOException.class, v::sync);
        assertFalse(Files.exists(dir.resolve("v.db.journal")));
        assertFalse(v.isFailed(), "the journal's removal was made durable: the outcome is known");
        v.rollback();
        v.close();
        v.reuse();
        assertEquals(1L, v.getLong(8), "the last commit");
        v.close();
        JournaledVolume r = new JournaledVolume(f.toFile());
        assertEquals(1L, r.getLong(8));
        r.close();
    }

    @Test
    @DisplayName("if the journal's removal cannot be made durable either, the outcome is unknown: the volume is failed until reopened")
    void unknownOutcome() throws Exception {
        Path f = dir.resolve("v.db");
        RecordingChannels ch = new RecordingChannels(dir.resolve("v.db.journal"));
        JournaledVolume v = new JournaledVolume(f.toFile(), null, ch);
        v.ensureAvailable(JournaledVolume.PAGE);
        v.putLong(8, 1L);
        v.sync();
        v.putLong(8, 2L);
        ch.failName = dir.getFileName().toString();
        ch.failOp = "force";
        assertThrows(java.io.UncheckedIOException.class, v::sync);
        assertTrue(v.isFailed());
        assertThrows(IllegalStateException.class, v::sync);
        v.release();
        JournaledVolume r = new JournaledVolume(f.toFile());
        assertEquals(1L, r.getLong(8), "no journal survived: the commit did not happen");
        r.close();
    }

    @Nested
    @DisplayName("captured commits: the store's lock is held only to capture; the journal and fsyncs run after it")
    class CapturedCommits {
        static final int P = JournaledVolume.PAGE;

        /** Captures what a store's commit (its sync()) would write, as MetaStore does under its lock. */
        JournaledVolume.Captured capture(JournaledVolume v) {
            v.captureNextSync();
            v.sync();
            return v.takeCaptured();
        }

        /** Opens the journal only once {@code go} opens: a commit in flight for as long as the test wants. */
        final class GatedChannels implements JournaledVolume.Channels {
            final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
            final java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            volatile boolean failJournal;

            @Override
            public java.nio.channels.FileChannel open(Path path, java.nio.file.OpenOption... options) throws java.io.IOException {
                if (path.getFileName().toString().endsWith(".journal")) {
                    entered.countDown();
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    if (failJournal) throw new java.io.IOException("injected: cannot create the journal");
                }
                return java.nio.channels.FileChannel.open(path, options);
            }
        }

        @Test
        @DisplayName("a capture writes nothing; writes after it go on and belong to the next commit")
        void captureWritesNothing() {
            Path f = dir.resolve("c.db");
            JournaledVolume v = new JournaledVolume(f.toFile());
            v.ensureAvailable(2 * P);
            v.putLong(8, 1L);
            v.sync();
            v.putLong(8, 2L);
            JournaledVolume.Captured c = capture(v);
            assertFalse(c.isEmpty());
            assertFalse(Files.exists(dir.resolve("c.db.journal")), "nothing is written under the store's lock");
            v.putLong(8, 3L);
            v.putLong(P + 8, 30L);
            assertEquals(3L, v.getLong(8), "a write after the capture is read at once");
            v.completeCommit(c);
            assertEquals(3L, v.getLong(8));
            v.release(); // a crash now: only the captured commit is in the file
            JournaledVolume r = new JournaledVolume(f.toFile());
            assertEquals(2L, r.getLong(8), "the captured state is durable");
            assertEquals(0L, r.getLong(P + 8), "the write after the capture is not");
            r.close();
        }

        @Test
        @DisplayName("a store commit that failed before taking its capture cancels it: the next plain sync writes, close does not hang")
        void cancelledCapture() {
            Path f = dir.resolve("x.db");
            JournaledVolume v = new JournaledVolume(f.toFile());
            v.ensureAvailable(2 * P);
            v.putLong(8, 1L);
            v.captureNextSync();
            // the store's commit failed before its sync(): nothing captured
            v.cancelCapture();
            v.sync();
            assertFalse(Files.exists(dir.resolve("x.db.journal")), "a plain sync again: written and applied");
            v.putLong(8, 2L);
            v.captureNextSync();
            v.sync(); // captured, then the store failed before takeCaptured()
            v.cancelCapture(); // its pages are given back
            v.close(); // a plain sync: writes them (before the fix a close captured, kept the commit open and hung)
            JournaledVolume r = new JournaledVolume(f.toFile());
            assertEquals(2L, r.getLong(8));
            r.close();
        }

        @Test
        @DisplayName("while the journal is written, reads see the captured pages and writes are not held up")
        void readsDuringCommit() throws Exception {
            Path f = dir.resolve("c.db");
            GatedChannels ch = new GatedChannels();
            ch.go.countDown(); // the first commit passes
            JournaledVolume v = new JournaledVolume(f.toFile(), null, ch);
            v.ensureAvailable(3 * P);
            v.putLong(8, 1L);
            v.sync();
            GatedChannels gate = new GatedChannels();
            v.release();
            v = new JournaledVolume(f.toFile(), null, gate);
            v.putLong(8, 2L);
            v.putLong(2 * P + 8, 20L);
            JournaledVolume.Captured c = capture(v);
            JournaledVolume vol = v;
            var done = new java.util.concurrent.CompletableFuture<Void>();
            Thread t = new Thread(() -> {
                try {
                    vol.completeCommit(c);
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
            t.start();
            assertTrue(gate.entered.await(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(2L, v.getLong(8), "the captured page, not yet in the file");
            assertEquals(20L, v.getLong(2 * P + 8));
            v.putLong(P + 8, 10L); // a page the commit does not hold
            v.putLong(2 * P + 16, 21L); // a copy of a captured page
            assertEquals(20L, v.getLong(2 * P + 8), "the copy starts from the captured page");
            assertEquals(21L, v.getLong(2 * P + 16));
            assertFalse(done.isDone(), "the commit is still in flight");
            gate.go.countDown();
            done.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(2L, v.getLong(8));
            assertEquals(10L, v.getLong(P + 8));
            v.release();
            JournaledVolume r = new JournaledVolume(f.toFile());
            assertEquals(2L, r.getLong(8));
            assertEquals(20L, r.getLong(2 * P + 8));
            assertEquals(0L, r.getLong(2 * P + 16), "written after the capture");
            assertEquals(0L, r.getLong(P + 8), "written after the capture");
            r.close();
        }

        @Test
        @DisplayName("if the journal cannot be written the commit is not durable: its pages are dirty again, under newer writes, and go with the next commit")
        void failedCommitGivesPagesBack() {
            Path f = dir.resolve("c.db");
            RecordingChannels ch = new RecordingChannels(dir.resolve("c.db.journal"));
            JournaledVolume v = new JournaledVolume(f.toFile(), null, ch);
            v.ensureAvailable(2 * P);
            v.putLong(8, 1L);
            v.putLong(P + 8, 1L);
            v.sync();
            v.putLong(8, 2L);
            v.putLong(P + 8, 2L);
            JournaledVolume.Captured c = capture(v);
            v.putLong(P + 8, 3L); // newer than the captured page
            ch.failName = "c.db.journal";
            ch.failOp = "force";
            ch.failTimes = 1;
            assertThrows(java.io.UncheckedIOException.class, () -> v.completeCommit(c));
            assertFalse(Files.exists(dir.resolve("c.db.journal")), "the torn journal is removed");
            assertFalse(v.isFailed(), "the outcome is known: not committed");
            assertEquals(2L, v.getLong(8), "the captured page is dirty again");
            assertEquals(3L, v.getLong(P + 8), "the newer write wins over the given-back page");
            v.release();
            JournaledVolume r = new JournaledVolume(f.toFile(), null, ch);
            assertEquals(1L, r.getLong(8), "nothing of the failed commit is in the file");
            assertEquals(1L, r.getLong(P + 8));
            r.putLong(8, 2L);
            JournaledVolume.Captured again = capture(r);
            r.completeCommit(again);
            r.release();
            JournaledVolume s2 = new JournaledVolume(f.toFile());
            assertEquals(2L, s2.getLong(8));
            s2.close();
        }

        @Test
        @DisplayName("the next commit after a failed one holds the given-back pages")
        void nextCommitHoldsGivenBackPages() {
            Path f = dir.resolve("c.db");
            RecordingChannels ch = new RecordingChannels(dir.resolve("c.db.journal"));
            JournaledVolume v = new JournaledVolume(f.toFile(), null, ch);
            v.ensureAvailable(2 * P);
            v.sync();
            v.putLong(8, 5L);
            JournaledVolume.Captured c = capture(v);
            v.putLong(P + 8, 6L);
            ch.failName = "c.db.journal";
            ch.failOp = "force";
            ch.failTimes = 1;
            assertThrows(java.io.UncheckedIOException.class, () -> v.completeCommit(c));
            v.completeCommit(capture(v));
            v.release();
            JournaledVolume r = new JournaledVolume(f.toFile());
            assertEquals(5L, r.getLong(8));
            assertEquals(6L, r.getLong(P + 8));
            r.close();
        }

        @Test
        @DisplayName("abortCommit gives the pages back without writing anything")
        void abort() {
            Path f = dir.resolve("c.db");
            JournaledVolume v = new JournaledVolume(f.toFile());
            v.ensureAvailable(P);
            v.putLong(8, 1L);
            v.sync();
            v.putLong(8, 2L);
            JournaledVolume.Captured c = capture(v);
            v.abortCommit(c);
            v.abortCommit(c); // ended: a no-op
            assertThrows(IllegalStateException.class, () -> v.completeCommit(c));
            assertEquals(2L, v.getLong(8));
            assertFalse(Files.exists(dir.resolve("c.db.journal")));
            v.sync();
            v.release();
            JournaledVolume r = new JournaledVolume(f.toFile());
            assertEquals(2L, r.getLong(8), "the given-back page went with the next sync");
            r.close();
        }

        @Test
        @DisplayName("nothing to commit captures an empty commit, and completing it writes nothing")
        void emptyCapture() {
            Path f = dir.resolve("c.db");
            RecordingChannels ch = new RecordingChannels(dir.resolve("c.db.journal"));
            JournaledVolume v = new JournaledVolume(f.toFile(), null, ch);
            v.ensureAvailable(P);
            v.sync();
            ch.log.clear();
            JournaledVolume.Captured c = capture(v);
            assertTrue(c.isEmpty());
            v.completeCommit(c);
            assertEquals(java.util.List.of(), ch.log);
            v.putLong(8, 1L);
            v.sync(); // not blocked by the empty commit
            v.close();
        }

        @Test
        @DisplayName("takeCaptured without a captured sync is an error (the store wrote nothing)")
        void nothingCaptured() {
            JournaledVolume v = new JournaledVolume(dir.resolve("c.db").toFile());
            v.captureNextSync();
            assertThrows(IllegalStateException.class, v::takeCaptured);
            v.close();
        }

        @Test
        @DisplayName("a rollback during a commit in flight waits for its outcome: a durable commit stays, later writes go")
        void rollbackWaitsForTheCommit() throws Exception {
            Path f = dir.resolve("c.db");
            GatedChannels gate = new GatedChannels();
            JournaledVolume v = new JournaledVolume(f.toFile(), null, gate);
            v.ensureAvailable(2 * P);
            v.putLong(8, 1L);
            JournaledVolume.Captured c = capture(v);
            v.putLong(P + 8, 2L);
            Thread committer = new Thread(() -> v.completeCommit(c));
            committer.start();
            assertTrue(gate.entered.await(10, java.util.concurrent.TimeUnit.SECONDS));
            var rolledBack = new java.util.concurrent.CompletableFuture<Void>();
            Thread rb = new Thread(() -> {
                v.rollback();
                rolledBack.complete(null);
            });
            rb.start();
            Thread.sleep(200);
            assertFalse(rolledBack.isDone(), "the rollback waits: the last commit is not known yet");
            gate.go.countDown();
            rolledBack.get(10, java.util.concurrent.TimeUnit.SECONDS);
            committer.join(10_000);
            v.reuse();
            assertEquals(1L, v.getLong(8), "the commit became durable before the rollback");
            assertEquals(0L, v.getLong(P + 8), "the write after the capture is rolled back");
            v.close();
        }

        @Test
        @DisplayName("a rollback after a failed commit in flight returns to the commit before it")
        void rollbackAfterFailedCommit() throws Exception {
            Path f = dir.resolve("c.db");
            JournaledVolume v0 = new JournaledVolume(f.toFile());
            v0.ensureAvailable(P);
            v0.putLong(8, 1L);
            v0.close();
            GatedChannels gate = new GatedChannels();
            gate.failJournal = true;
            JournaledVolume v = new JournaledVolume(f.toFile(), null, gate);
            v.putLong(8, 2L);
            JournaledVolume.Captured c = capture(v);
            var committed = new java.util.concurrent.CompletableFuture<Void>();
            Thread committer = new Thread(() -> {
                try {
                    v.completeCommit(c);
                    committed.complete(null);
                } catch (Throwable e) {
                    committed.completeExceptionally(e);
                }
            });
            committer.start();
            assertTrue(gate.entered.await(10, java.util.concurrent.TimeUnit.SECONDS));
            Thread rb = new Thread(v::rollback);
            rb.start();
            gate.go.countDown();
            rb.join(10_000);
            assertFalse(rb.isAlive());
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> committed.get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertInstanceOf(java.io.UncheckedIOException.class, e.getCause());
            v.reuse();
            assertEquals(1L, v.getLong(8), "not durable, then rolled back: the commit before");
            v.close();
            JournaledVolume r = new JournaledVolume(f.toFile());
            assertEquals(1L, r.getLong(8));
            r.close();
        }
    }
}
