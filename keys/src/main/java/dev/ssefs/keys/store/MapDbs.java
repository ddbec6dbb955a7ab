package dev.ssefs.keys.store;

import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.volume.Volume;

import java.util.function.Supplier;

/**
 * Makes MapDB stores on a volume. DBMaker needs a context class loader, and threads attached from native code (FUSE
 * callbacks, which rebuild a store after a failed commit) have none: every store is made through here.
 */
public final class MapDbs {
    private MapDbs() {}

    public static DB make(Volume volume, boolean exists) {
        return withClassLoader(() -> DBMaker.volumeDB(volume, exists).make());
    }

    public static DB makeReadOnly(Volume volume) {
        return withClassLoader(() -> DBMaker.volumeDB(volume, true).readOnly().make());
    }

    private static DB withClassLoader(Supplier<DB> maker) {
        Thread t = Thread.currentThread();
        if (t.getContextClassLoader() != null) return maker.get();
        t.setContextClassLoader(MapDbs.class.getClassLoader());
        try {
            return maker.get();
        } finally {
            t.setContextClassLoader(null);
        }
    }
}
