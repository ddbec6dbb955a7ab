package dev.ssefs.fuse;

import dev.ssefs.objectcore.ObjectStore;
import dev.ssefs.objectcore.Oss;

/** TEST DOUBLE: an ObjectStore over one {@link InMemoryOss} (every principal sees the same store). */
public final class InMemoryStores implements ObjectStore {
    private final InMemoryOss oss = new InMemoryOss();

    public Oss oss() { return oss; }

    public void disableDefaultKey(boolean disabled) {
        if (disabled) oss.disabledKeys.add(InMemoryOss.DEFAULT_CMK);
        else oss.disabledKeys.remove(InMemoryOss.DEFAULT_CMK);
    }

    @Override public Oss as(String principal) { return oss; }

    @Override public void close() { }
}
