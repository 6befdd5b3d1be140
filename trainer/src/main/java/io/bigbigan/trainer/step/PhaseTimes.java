package io.bigbigan.trainer.step;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall-clock time per named phase of a training step, accumulated over steps (for {@code bench --profile}).
 * Disabled instances cost one branch per phase.
 */
public final class PhaseTimes {
    private final boolean enabled;
    private final Runnable barrier;
    private final Map<String, long[]> nanos = new LinkedHashMap<>();   // name -> {total, count}

    public PhaseTimes(boolean enabled) {
        this(enabled, null);
    }

    /**
     * With {@code barrier} run at the start and the end of every phase: on CUDA pass a device synchronisation, so
     * that a phase's time is its kernels' time rather than the time to queue them (profiling then costs the
     * overlap between phases).
     */
    public PhaseTimes(boolean enabled, Runnable barrier) {
        this.enabled = enabled;
        this.barrier = barrier;
    }

    /** A timer that does nothing. */
    public static PhaseTimes off() {
        return new PhaseTimes(false);
    }

    /** An open phase; closing it adds the elapsed time. */
    public interface Phase extends AutoCloseable {
        @Override
        void close();
    }

    private static final Phase NOOP = () -> {};

    /** Starts timing {@code name}. */
    public Phase start(String name) {
        if (!enabled) return NOOP;
        if (barrier != null) barrier.run();
        long t0 = System.nanoTime();
        return () -> {
            if (barrier != null) barrier.run();
            long[] acc = nanos.computeIfAbsent(name, k -> new long[2]);
            acc[0] += System.nanoTime() - t0;
            acc[1]++;
        };
    }

    /** Clears the totals. */
    public void reset() {
        nanos.clear();
    }

    /** Milliseconds per step for each phase, given the number of steps timed. */
    public Map<String, Double> msPerStep(long steps) {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.forEach((k, v) -> out.put(k, v[0] / 1e6 / steps));
        return out;
    }
}
