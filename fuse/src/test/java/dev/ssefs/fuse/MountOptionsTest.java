package dev.ssefs.fuse;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

@DisplayName("mount options, paths and the mount table")
class MountOptionsTest {
    @Nested
    @DisplayName("-o options")
    class Options {
        @Test
        void s3fsStyleOptionsAndFstabNoise() {
            MountOptions o = MountOptions.parse(List.of("ro,allow_other,uid=1000,gid=100,umask=027", "default_permissions,stage_mem=64M,_netdev,rw,nofail,x-systemd.automount,nosuid"));
            assertTrue(o.readOnly && o.allowOther && o.defaultPermissions);
            assertEquals(1000, o.uid);
            assertEquals(100, o.gid);
            assertEquals(027, o.umask);
            assertEquals(64L << 20, o.stageMemory);
            String f = o.fuseOptions("photos", true);
            assertTrue(f.startsWith("fsname=oss://photos,subtype=ssefs,big_writes,max_read=131072,max_write=131072,"), f);
            assertTrue(f.contains(",auto_unmount,ro,allow_other,default_permissions,nosuid"), f);
            assertFalse(f.contains("_netdev"), f);
        }

        @Test
        @DisplayName("allow_other implies default_permissions: other users get the kernel's mode and owner checks")
        void allowOtherImpliesDefaultPermissions() {
            String f = MountOptions.parse(List.of("allow_other")).fuseOptions("photos", false);
            assertTrue(f.contains(",allow_other,default_permissions"), f);
            assertFalse(MountOptions.parse(List.of("uid=1")).fuseOptions("photos", false).contains("default_permissions"));
        }

        @Test
        void badOptionsHaveClearMessages() {
            assertEquals("unknown mount option: frobnicate", assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of("frobnicate"))).getMessage());
            assertEquals("mount option uid= is not a number: me", assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of("uid=me"))).getMessage());
            assertEquals("umask must be octal 0..0777: 1777", assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of("umask=1777"))).getMessage());
            assertEquals("mount option stage_mem= is not a size (e.g. 64M): lots", assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of("stage_mem=lots"))).getMessage());
            assertEquals("mount option data_dir= needs a value", assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of("data_dir="))).getMessage());
        }

        @Test
        @DisplayName("etag=md5 hashes every file; etag=auto (the default) only files up to 16 MiB")
        void etagOption() {
            assertEquals(16L << 20, MountOptions.parse(List.of()).md5EtagLimit);
            assertEquals(Long.MAX_VALUE, MountOptions.parse(List.of("etag=md5")).md5EtagLimit);
            assertEquals(16L << 20, MountOptions.parse(List.of("etag=MD5,etag=auto")).md5EtagLimit);
            assertEquals("mount option etag= must be md5 or auto: sha1", assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of("etag=sha1"))).getMessage());
        }
    }

    @Nested
    @DisplayName("paths to keys")
    class Paths {
        @Test
        void keysAndNames() {
            assertEquals("", ObjectPaths.key("/"));
            assertEquals("a/b c/é", ObjectPaths.key("/a/b c/é"));
            assertEquals("a/", ObjectPaths.dirPrefix("a"));
            assertEquals("", ObjectPaths.dirPrefix(""));
            assertEquals("c", ObjectPaths.name("a/b/c/"));
            assertTrue(ObjectPaths.isUnder("a/b", "a"));
            assertFalse(ObjectPaths.isUnder("ab", "a"));
            assertFalse(ObjectPaths.isUnder("a", "a"));
        }

        @Test
        void nameMaxIsCountedInUtf8Bytes() {
            assertDoesNotThrow(() -> ObjectPaths.key("/" + "é".repeat(127)));  // 254 bytes
            FsException e = assertThrows(FsException.class, () -> ObjectPaths.key("/d/" + "é".repeat(128))); // 256 bytes
            assertEquals(Errno.ENAMETOOLONG, e.errno());
        }
    }

    @Test
    @DisplayName("mountinfo escapes (\\040 for a space) are decoded")
    void mountinfoUnescape() {
        assertEquals("/mnt/my photos", MountTable.unescape("/mnt/my\\040photos"));
        assertEquals("/a\\b", MountTable.unescape("/a\\134b"));
        assertEquals("/plain", MountTable.unescape("/plain"));
    }
}
