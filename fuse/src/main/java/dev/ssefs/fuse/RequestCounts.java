package dev.ssefs.fuse;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The kernel's FUSE requests to one mount, by opcode ({@link FuseOpcode}): what a change to the protocol's use saves
 * shows here.
 */
public final class RequestCounts {
    private final AtomicLongArray counts = new AtomicLongArray(64);

    /** Counts a request; opcodes outside the protocol's range (or -1, unknown) count as 0. */
    void add(int opcode) { counts.incrementAndGet(opcode > 0 && opcode < 64 ? opcode : 0); }

    public long get(int opcode) { return counts.get(opcode); }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < counts.length(); i++) {
            long n = counts.get(i);
            if (n > 0) sb.append(sb.length() == 0 ? "" : " ").append(i).append('=').append(n);
        }
        return sb.toString();
    }
}
