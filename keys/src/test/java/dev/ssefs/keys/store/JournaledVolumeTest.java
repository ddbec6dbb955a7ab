package dev.ssefs.keys.store;

import org.junit.jupiter.api.DisplayName;
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
}
