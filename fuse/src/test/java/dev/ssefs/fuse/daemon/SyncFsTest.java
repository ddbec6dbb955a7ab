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

    @Test
    @DisplayName("used only where syncfs reports write-back errors: Linux 5.8 and newer")
    void kernelVersions() {
        assertTrue(SyncFs.reportsErrors("Linux", "6.18.44-fc-v657"));
        assertTrue(SyncFs.reportsErrors("Linux", "5.8.0"));
        assertFalse(SyncFs.reportsErrors("Linux", "5.4.0-150-generic"));
        assertFalse(SyncFs.reportsErrors("Linux", "4.19.0"));
        assertFalse(SyncFs.reportsErrors("Mac OS X", "14.1"));
        assertFalse(SyncFs.reportsErrors("Linux", "weird"));
    }
}
