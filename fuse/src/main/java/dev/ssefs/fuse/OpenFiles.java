package dev.ssefs.fuse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Registry of open files (one {@link OpenFile} per key, Cryptomator OpenCryptoFiles style) and of FUSE file
 * handles. Lock-free lookups; each OpenFile's handle count is guarded by its own monitor.
 */
final class OpenFiles {
    /** A FUSE file handle: the shared open file and whether this handle may write. */
    record Handle(OpenFile file, boolean writable) {}

    interface Loader {
        OpenFile load(String key) throws IOException;
    }

    private final ConcurrentHashMap<String, OpenFile> byKey = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    OpenFile get(String key) { return byKey.get(key); }

    /** Takes one reference on the open file of {@code key}, loading it when nobody has it open. */
    OpenFile acquire(String key, Loader loader) throws IOException {
        for (;;) {
            OpenFile of = byKey.get(key);
            if (of == null) {
                OpenFile fresh = loader.load(key);
                of = byKey.putIfAbsent(key, fresh);
                if (of == null) of = fresh;
            }
            synchronized (of) {
                if (!of.closed) {
                    of.handles++;
                    return of;
                }
            }
            byKey.remove(key, of);
        }
    }

    /**
     * Drops one reference. The last one commits pending data first (errors propagate, the file is closed anyway:
     * the kernel ignores release's result, and close already got flush's).
     */
    void releaseRef(OpenFile of) throws IOException {
        synchronized (of) {
            if (--of.handles > 0) return;
        }
        try {
            of.commit();
        } finally {
            synchronized (of) {
                if (of.handles == 0 && !of.closed) {
                    of.closed = true;
                    byKey.remove(of.key(), of);
                    of.dispose();
                }
            }
        }
    }

    long newHandle(OpenFile of, boolean writable) {
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, new Handle(of, writable));
        return fh;
    }

    Handle handle(long fh) {
        Handle h = handles.get(fh);
        if (h == null) throw new FsException(Errno.EBADF, "unknown file handle " + fh);
        return h;
    }

    Handle removeHandle(long fh) {
        Handle h = handles.remove(fh);
        if (h == null) throw new FsException(Errno.EBADF, "unknown file handle " + fh);
        return h;
    }

    /** Moves the open file at {@code from} to {@code to}; an open file at {@code to} is now unlinked. */
    void rekey(String from, String to) {
        OpenFile replaced = byKey.remove(to);
        if (replaced != null) replaced.markUnlinked();
        OpenFile moving = byKey.remove(from);
        if (moving != null) {
            moving.rekey(to);
            byKey.put(to, moving);
        }
    }

    /** Re-keys every open file under directory prefix {@code fromPrefix} (with trailing slash). */
    void rekeyPrefix(String fromPrefix, String toPrefix) {
        for (OpenFile of : new ArrayList<>(byKey.values())) {
            String k = of.key();
            if (k.startsWith(fromPrefix)) rekey(k, toPrefix + k.substring(fromPrefix.length()));
        }
    }

    /** Forgets the open file at {@code key} (unlinked); its handles keep working on what they have. */
    OpenFile unlink(String key) {
        OpenFile of = byKey.remove(key);
        if (of != null) of.markUnlinked();
        return of;
    }

    List<OpenFile> under(String prefix) {
        List<OpenFile> l = new ArrayList<>();
        for (OpenFile of : byKey.values()) if (of.key().startsWith(prefix)) l.add(of);
        return l;
    }

    List<OpenFile> all() { return new ArrayList<>(byKey.values()); }

    int handleCount() { return handles.size(); }
}
