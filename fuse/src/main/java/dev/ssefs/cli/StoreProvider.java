package dev.ssefs.cli;

import dev.ssefs.keys.KeyManagement;
import dev.ssefs.objectcore.ObjectStore;
import java.nio.file.Path;

/**
 * Where a command gets the stores of its data dir. The command line opens them itself ({@link LocalStores});
 * a long-lived daemon that already holds them open (MapDB allows one process per file) passes its own
 * provider to {@link Main#run}. Commands ask only for what they need, so key commands never open the
 * object store. {@link Main#run} never closes a provider it was given.
 */
public interface StoreProvider {
    /** The KMS of the data dir, opened on first use. */
    KeyManagement keys();

    /** The object store of the data dir, opened on first use. */
    ObjectStore objects();

    /** The data dir these stores live in; commands keep their own state there (e.g. reencrypt checkpoints). */
    Path dataDir();
}
