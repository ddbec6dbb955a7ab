package dev.ssefs.cli;

import dev.ssefs.keys.EmbeddedKms;
import dev.ssefs.keys.KeyManagement;
import dev.ssefs.keys.RootSecret;
import dev.ssefs.objectcore.EmbeddedObjectStore;
import dev.ssefs.objectcore.ObjectStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Stores held open across many commands, as the daemon holds them: a real {@link EmbeddedKms} with cheap
 * Argon2 parameters and a clock the test moves forward.
 */
final class TestStores implements StoreProvider, AutoCloseable {
    static final String PASSPHRASE = "test passphrase 0123";

    final MovableClock clock = new MovableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final EmbeddedKms kms;
    private final Path dataDir;
    private final boolean objectsAllowed;
    private ObjectStore objects;

    /** Key commands only: opening the object store fails the test. */
    TestStores(Path dataDir) {
        this(dataDir, false);
    }

    TestStores(Path dataDir, boolean objectsAllowed) {
        this.dataDir = dataDir;
        this.objectsAllowed = objectsAllowed;
        kms = EmbeddedKms.open(dataDir, RootSecret.fromPassphrase(PASSPHRASE.toCharArray()), clock,
                EmbeddedKms.Options.defaults().withArgon2(EmbeddedKms.Argon2Params.FOR_TESTS));
    }

    @Override
    public KeyManagement keys() {
        return kms;
    }

    @Override
    public synchronized ObjectStore objects() {
        if (!objectsAllowed) {
            throw new AssertionError("key commands must not open the object store");
        }
        if (objects == null) {
            objects = EmbeddedObjectStore.open(dataDir, kms, clock);
        }
        return objects;
    }

    @Override
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public synchronized void close() {
        if (objects != null) {
            objects.close();
        }
        kms.close();
    }

    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
