package dev.ssefs.fuse.daemon;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("MountCommands: the daemon's JVM options")
class MountCommandsTest {
    @Test
    @DisplayName("the native-heap trim is passed only to JDKs that have the option (17.0.9+, 21.0.1+, 22+): an older JVM would refuse to start")
    void trimOnlyWhereSupported() {
        String[][] cases = {{"17", "false"}, {"17.0.8", "false"}, {"17.0.9", "true"}, {"17.0.15+6-Debian-1deb12u1", "true"},
                {"18.0.2", "false"}, {"20.0.2", "false"}, {"21", "false"}, {"21.0.1", "true"}, {"22", "true"}, {"25.0.1+8", "true"}};
        for (String[] c : cases) {
            assertEquals(Boolean.parseBoolean(c[1]), MountCommands.trimsNativeHeap(Runtime.Version.parse(c[0])), c[0]);
        }
    }
}
