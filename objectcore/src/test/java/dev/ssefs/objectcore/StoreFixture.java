package dev.ssefs.objectcore;

import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.keys.RootSecret;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/** A KMS and an object store in one temp data dir; reopenable. */
final class StoreFixture implements AutoCloseable {
    static final char[] PASS = "test passphrase".toCharArray();
    final Path dir;
    final MutableClock clock = new MutableClock();
    EmbeddedKms kms;
    EmbeddedObjectStore store;
    final EmbeddedObjectStore.Options options;

    StoreFixture(Path dir) { this(dir, EmbeddedObjectStore.Options.defaults()); }

    StoreFixture(Path dir, EmbeddedObjectStore.Options options) {
        this.dir = dir;
        this.options = options;
        open();
    }

    /** Every blob a file, for tests that tamper with blob files. */
    static StoreFixture filesOnly(Path dir) {
        return new StoreFixture(dir, EmbeddedObjectStore.Options.defaults().withInlineLimit(0));
    }

    static EmbeddedKms openKms(Path dir) { return openKms(dir, Clock.systemUTC()); }

    static EmbeddedKms openKms(Path dir, Clock clock) {
        return EmbeddedKms.open(dir, RootSecret.fromPassphrase(PASS), clock,
                EmbeddedKms.Options.defaults().withArgon2(EmbeddedKms.Argon2Params.FOR_TESTS));
    }

    void open() {
        kms = openKms(dir, clock);
        store = EmbeddedObjectStore.open(dir, kms, clock, options);
    }

    void reopen() {
        close();
        open();
    }

    Oss root() { return store.as("root"); }

    static InputStream in(String s) { return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)); }

    static InputStream in(byte[] b) { return new ByteArrayInputStream(b); }

    static String read(Oss oss, String bucket, String key) throws IOException {
        ObjectContent c = oss.getObject(bucket, key, null);
        try (InputStream in = c.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static byte[] readBytes(Oss oss, String bucket, String key, ByteRange r) throws IOException {
        ObjectContent c = oss.getObject(bucket, key, r);
        try (InputStream in = c.body()) {
            return in.readAllBytes();
        }
    }

    static Map<String, String> h(String... kv) {
        java.util.LinkedHashMap<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Override
    public void close() {
        if (store != null) store.close();
        if (kms != null) kms.close();
        store = null;
        kms = null;
    }
}
