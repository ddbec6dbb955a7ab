package dev.ssefs.fuse;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** mount-scripts/mount.ssefs as mount(8) calls it, and mount -t fuse.ssefs with the helper installed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("mount.ssefs: the mount(8) helper for fstab")
class MountHelperIT {
    Path root;
    Path work;
    Path data;
    Path pass;

    @BeforeAll
    void store() throws Exception {
        assumeTrue(Sh.fuseUsable(), "/dev/fuse or libfuse2 missing");
        root = Path.of(System.getProperty("ssefs.root", "..")).toAbsolutePath().normalize();
        work = Files.createTempDirectory("ssefs-helper-it");
        data = work.resolve("data");
        pass = work.resolve("pass");
        Files.writeString(pass, "helper passphrase\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        Sh.ok(work, "env -u SSEFS_PASSPHRASE '" + root + "/mount-scripts/ssefs' --data-dir '" + data + "' --passphrase-file '" + pass
                + "' mb oss://photos --sse-algorithm KMS");
    }

    @AfterAll
    void cleanUp() throws Exception {
        if (work == null) return;
        for (String m : List.of("m1", "m2")) Sh.lazyUnmount(work.resolve(m));
        assertEquals(List.of(), Sh.mountsContaining(work.toString()), "no mount left behind");
        Sh.deleteTree(work);
    }

    String fstabOptions() {
        return "rw,_netdev,data_dir=" + data + ",passphrase_file=" + pass + ",default_permissions";
    }

    @Test
    @DisplayName("called as mount(8) does: SOURCE DIR -o options with data_dir= and passphrase_file=")
    void helperDirectly() throws Exception {
        Path m = Files.createDirectories(work.resolve("m1"));
        try {
            Sh.ok(work, "env -u SSEFS_PASSPHRASE '" + root + "/mount-scripts/mount.ssefs' oss://photos '" + m + "' -o '" + fstabOptions() + "'");
            assertTrue(MountTable.isSsefsMount(m));
            assertEquals("oss://photos", MountTable.at(m).source());
            assertTrue(Sh.ok(m, "echo hi > f && getfattr -d f").contains("\"KMS\""));
        } finally {
            Sh.run(work, "umount", m.toString());
            Sh.lazyUnmount(m);
        }
        assertFalse(MountTable.isSsefsMount(m));
    }

    @Test
    @DisplayName("mount -t fuse.ssefs with the helper installed as /sbin/mount.fuse.ssefs; umount(8) unmounts")
    void mountDashT() throws Exception {
        Path helper = Path.of("/sbin/mount.fuse.ssefs");
        assumeTrue(Sh.run(work, "id", "-u").out().trim().equals("0"), "needs root to install the helper");
        assumeTrue(!Files.exists(helper, java.nio.file.LinkOption.NOFOLLOW_LINKS), "a helper is installed already; not touching it");
        Path m = Files.createDirectories(work.resolve("m2"));
        try {
            Files.createSymbolicLink(helper, root.resolve("mount-scripts/mount.ssefs"));
            Sh.ok(work, "env -u SSEFS_PASSPHRASE mount -t fuse.ssefs oss://photos '" + m + "' -o '" + fstabOptions() + "'");
            assertTrue(MountTable.isSsefsMount(m));
            assertTrue(Sh.ok(m, "cat f 2>/dev/null || true; ls").length() >= 0);
            Sh.ok(work, "umount '" + m + "'");
            assertFalse(MountTable.isSsefsMount(m));
        } finally {
            Files.deleteIfExists(helper);
            Sh.lazyUnmount(m);
        }
    }
}
