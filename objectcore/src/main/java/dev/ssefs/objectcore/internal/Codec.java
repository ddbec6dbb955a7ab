package dev.ssefs.objectcore.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Tiny binary encoding for index records (no Java serialization in meta.db). */
final class Codec {
    private Codec() {}

    static final class Out {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        final DataOutputStream out = new DataOutputStream(bytes);

        Out str(String s) {
            try {
                if (s == null) { out.writeInt(-1); return this; }
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
                return this;
            } catch (IOException e) { throw new UncheckedIOException(e); }
        }

        Out bytes(byte[] b) {
            try {
                if (b == null) { out.writeInt(-1); return this; }
                out.writeInt(b.length);
                out.write(b);
                return this;
            } catch (IOException e) { throw new UncheckedIOException(e); }
        }

        Out i(int v) { try { out.writeInt(v); return this; } catch (IOException e) { throw new UncheckedIOException(e); } }

        Out l(long v) { try { out.writeLong(v); return this; } catch (IOException e) { throw new UncheckedIOException(e); } }

        Out b(boolean v) { try { out.writeBoolean(v); return this; } catch (IOException e) { throw new UncheckedIOException(e); } }

        Out map(Map<String, String> m) {
            i(m == null ? -1 : m.size());
            if (m != null) m.forEach((k, v) -> { str(k); str(v); });
            return this;
        }

        byte[] done() { return bytes.toByteArray(); }
    }

    static final class In {
        final DataInputStream in;

        In(byte[] b) { in = new DataInputStream(new ByteArrayInputStream(b)); }

        String str() {
            try {
                int n = in.readInt();
                if (n < 0) return null;
                byte[] b = in.readNBytes(n);
                if (b.length != n) throw new IOException("truncated record");
                return new String(b, StandardCharsets.UTF_8);
            } catch (IOException e) { throw new UncheckedIOException(e); }
        }

        byte[] bytes() {
            try {
                int n = in.readInt();
                if (n < 0) return null;
                byte[] b = in.readNBytes(n);
                if (b.length != n) throw new IOException("truncated record");
                return b;
            } catch (IOException e) { throw new UncheckedIOException(e); }
        }

        int i() { try { return in.readInt(); } catch (IOException e) { throw new UncheckedIOException(e); } }

        long l() { try { return in.readLong(); } catch (IOException e) { throw new UncheckedIOException(e); } }

        boolean b() { try { return in.readBoolean(); } catch (IOException e) { throw new UncheckedIOException(e); } }

        Map<String, String> map() {
            int n = i();
            if (n < 0) return null;
            Map<String, String> m = new TreeMap<>();
            for (int k = 0; k < n; k++) m.put(str(), str());
            return m;
        }
    }
}
