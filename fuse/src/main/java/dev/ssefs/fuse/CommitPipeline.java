package dev.ssefs.fuse;

import dev.ssefs.objectcore.Oss;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes a file's whole content, page by page, into a version writer. A large file is assembled on a helper thread
 * (base version decrypted, spilled sectors decrypted, staged sectors merged) one batch ahead of the caller, which
 * encrypts, hashes and writes the batch before: the two halves of a commit run on two cores instead of one after
 * the other. The caller keeps the open file's write lock throughout, so the helper reads a stage nobody changes.
 */
final class CommitPipeline {
    /** Files of at least this many pages are assembled on a helper thread; smaller ones are not worth a thread. */
    static final long MIN_PIPELINED_PAGES = 64;
    private static final int BATCH_PAGES = 8;
    private static final int BUFFERS = 3;
    private static final ByteBuffer END = ByteBuffer.allocate(0);

    /** Puts the {@code len} bytes of page {@code pageIndex} into {@code out} at {@code off}. */
    interface PageSource {
        void fill(long pageIndex, int len, byte[] out, int off) throws IOException;
    }

    private CommitPipeline() { }

    static void copy(long size, PageSource source, Oss.ObjectWriter w) throws IOException {
        long pages = (size + PageStage.PAGE - 1) / PageStage.PAGE;
        if (pages < MIN_PIPELINED_PAGES) {
            // most files are small; whole 4 KiB sectors, since spilled sectors are decrypted whole
            byte[] page = new byte[(int) Math.min(PageStage.PAGE, (Math.max(size, 1) + SectorMask.SECTOR - 1) / SectorMask.SECTOR * SectorMask.SECTOR)];
            for (long idx = 0; idx < pages; idx++) {
                int len = len(size, idx);
                source.fill(idx, len, page, 0);
                w.write(ByteBuffer.wrap(page, 0, len));
            }
            return;
        }
        BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
        BlockingQueue<ByteBuffer> full = new ArrayBlockingQueue<>(BUFFERS + 1);
        for (int i = 0; i < BUFFERS; i++) free.add(ByteBuffer.allocate(BATCH_PAGES * PageStage.PAGE));
        AtomicReference<Throwable> failed = new AtomicReference<>();
        // never interrupted: an interrupt would close the spool's and the base reader's channels
        Thread filler = new Thread(() -> {
            try {
                for (long idx = 0; idx < pages; ) {
                    ByteBuffer b = null;
                    while (b == null) {
                        if (failed.get() != null) return;
                        b = free.poll(50, TimeUnit.MILLISECONDS);
                    }
                    b.clear();
                    for (int k = 0; k < BATCH_PAGES && idx < pages; k++, idx++) {
                        int len = len(size, idx);
                        source.fill(idx, len, b.array(), b.position());
                        b.position(b.position() + len);
                    }
                    full.add(b.flip());
                }
            } catch (Throwable t) {
                failed.compareAndSet(null, t);
            } finally {
                full.add(END); // room: at most BUFFERS batches are ever queued
            }
        }, "ssefs-commit-fill");
        filler.setDaemon(true);
        filler.start();
        boolean interrupted = false;
        try {
            while (true) {
                ByteBuffer b;
                try {
                    b = full.take();
                } catch (InterruptedException e) {
                    interrupted = true;
                    throw new InterruptedIOException("commit interrupted");
                }
                if (b == END) break;
                w.write(b);
                free.add(b);
            }
        } catch (IOException | RuntimeException | Error e) {
            failed.compareAndSet(null, e); // stops the helper
            throw e;
        } finally {
            while (true) {
                try {
                    filler.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        Throwable t = failed.get();
        if (t instanceof IOException io) throw io;
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error er) throw er;
        if (t != null) throw new IOException("commit content failed", t);
    }

    private static int len(long size, long idx) {
        return (int) Math.min(PageStage.PAGE, size - idx * PageStage.PAGE);
    }
}
