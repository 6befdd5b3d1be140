package io.bigbigan.trainer.distributed;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of a rank's communication: collectives issued, payload bytes (the tensors' sizes, not the bytes on the
 * wire, which depend on the algorithm), and nanoseconds the training thread spent blocked waiting for results
 * (the part of the communication not overlapped with computation).
 */
public final class CommStats {
    private final AtomicLong collectives = new AtomicLong(), bytes = new AtomicLong(), waitNanos = new AtomicLong();

    void record(long payloadBytes) {
        collectives.incrementAndGet();
        bytes.addAndGet(payloadBytes);
    }

    void waited(long nanos) {
        waitNanos.addAndGet(nanos);
    }

    /** An immutable copy of the counters. */
    public Snapshot snapshot() {
        return new Snapshot(collectives.get(), bytes.get(), waitNanos.get());
    }

    /** Counter values at one moment; {@link #minus} gives the activity between two snapshots. */
    public record Snapshot(long collectives, long bytes, long waitNanos) {
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(collectives - earlier.collectives, bytes - earlier.bytes, waitNanos - earlier.waitNanos);
        }
    }
}
