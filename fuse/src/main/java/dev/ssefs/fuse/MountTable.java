package dev.ssefs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the kernel's mount table ({@code /proc/self/mountinfo}). */
public final class MountTable {
    /** One line: where, what filesystem type, and its source (for us {@code oss://bucket}). */
    public record Entry(Path mountPoint, String fsType, String source) {}

    private MountTable() {}

    public static List<Entry> entries() {
        List<Entry> l = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return l;
        }
        for (String line : lines) {
            String[] f = line.split(" ");
            int sep = -1;
            for (int i = 6; i < f.length; i++) if (f[i].equals("-")) { sep = i; break; }
            if (f.length < 5 || sep < 0 || sep + 2 >= f.length) continue;
            l.add(new Entry(Path.of(unescape(f[4])), unescape(f[sep + 1]), unescape(f[sep + 2])));
        }
        return l;
    }

    /** The real path when it resolves (symlinks followed), else the normalized absolute path. */
    public static Path canonical(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException | SecurityException e) {
            return abs; // e.g. a dead FUSE mount: "Transport endpoint is not connected"
        }
    }

    /** The entry mounted exactly at {@code dir}, or null. */
    public static Entry at(Path dir) {
        Path abs = canonical(dir);
        Entry found = null;
        for (Entry e : entries()) if (e.mountPoint().equals(abs)) found = e; // the last one is on top
        return found;
    }

    public static boolean isSsefsMount(Path dir) {
        Entry e = at(dir);
        return e != null && e.fsType().equals("fuse.ssefs");
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException | StringIndexOutOfBoundsException ignored) {
                    // not an escape
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
