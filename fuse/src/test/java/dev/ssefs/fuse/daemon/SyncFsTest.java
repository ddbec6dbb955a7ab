package dev.ssefs.fuse.daemon;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("SyncFs: syncfs(2) of the data dir's file system for group commits")
class SyncFsTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("syncs the file system of an existing directory, repeatedly; closed, it refuses")
    void syncs() throws IOException {
        Files.writeString(dir.resolve("f"), "data");
        SyncFs s = SyncFs.open(dir);
        assertNotNull(s, "Linux has syncfs");
        s.sync();
        s.sync();
        s.close();
        IOException e = assertThrows(IOException.class, s::sync);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    @DisplayName("a missing directory is an error naming it and the reason")
    void missingDirectory() {
        Path missing = dir.resolve("nope");
        IOException e = assertThrows(IOException.class, () -> SyncFs.open(missing));
        assertEquals("cannot open " + missing + " to sync its file system: No such file or directory", e.getMessage());
    }
}
