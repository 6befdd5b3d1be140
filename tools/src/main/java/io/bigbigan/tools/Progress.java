package io.bigbigan.tools;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Progress with ETA on standard error for long work: a live bar on a terminal; when output is redirected (logs,
 * CI), a plain line at every 10% and at least every {@link #QUIET_SECONDS} seconds (also before the first unit is
 * done: a bigbigan-32 step on a CPU takes seconds, a log interval minutes), instead of a stream of carriage returns.
 *
 * <p>In plain mode a daemon thread calls {@link #tick()} once a second; {@code tick} prints a line when none was
 * printed for the interval. Tests drive {@link #plain} with their own clock and call {@code tick} themselves.
 */
final class Progress implements AutoCloseable {
    /** The longest silence in plain mode. */
    static final long QUIET_SECONDS = 30;

    private final ProgressBar bar;
    private final PrintStream out;
    private final LongSupplier nanos;
    private final long quietNanos;
    private final ScheduledExecutorService ticker;
    private final String task;
    private final long max;
    private final long first;
    private final long start;
    private long lastLine;
    private long nextDecile = 1;
    private long done;
    private String message = "";

    private Progress(String task, long first, long max, ProgressBar bar, PrintStream out, LongSupplier nanos,
                     long quietNanos, boolean tickEverySecond) {
        this.task = task;
        this.max = Math.max(1, max);
        this.first = first;
        this.done = first;
        this.nextDecile = first * 10 / this.max + 1;
        this.bar = bar;
        this.out = out;
        this.nanos = nanos;
        this.quietNanos = quietNanos;
        this.start = nanos.getAsLong();
        this.lastLine = start;
        if (tickEverySecond) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "progress-" + task);
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
        } else {
            ticker = null;
        }
    }

    /**
     * A bar on a terminal, else plain lines on standard error, for units {@code first + 1 .. max} ({@code first}
     * were done before, e.g. by the run a resumed run continues; the ETA counts only the units done since).
     */
    static Progress start(String task, long first, long max) {
        var console = System.console();
        if (console != null && console.isTerminal())
            return new Progress(task, first, max, new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                    .startsFrom(first, java.time.Duration.ZERO).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500).continuousUpdate().clearDisplayOnFinish().build(), null,
                    System::nanoTime, 0, false);
        return new Progress(task, first, max, null, System.err, System::nanoTime,
                TimeUnit.SECONDS.toNanos(QUIET_SECONDS), true);
    }

    /** Plain lines on {@code out}, timed by {@code nanos}, at most {@code quietNanos} apart once ticked; no thread. */
    static Progress plain(String task, long first, long max, PrintStream out, LongSupplier nanos, long quietNanos) {
        return new Progress(task, first, max, null, out, nanos, quietNanos, false);
    }

    /** Reports that {@code done} of {@code max} units are complete, with a status message. */
    synchronized void update(long done, String message) {
        this.done = done;
        this.message = message;
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage(message);
            return;
        }
        if (done * 10 >= nextDecile * max) {
            while (done * 10 >= nextDecile * max) nextDecile++;
            line();
        } else {
            tick();
        }
    }

    /** Reports that {@code done} units are complete, keeping the last status message. */
    synchronized void update(long done) {
        update(done, message);
    }

    /** In plain mode: prints the current state when nothing was printed for the interval. */
    synchronized void tick() {
        if (bar == null && nanos.getAsLong() - lastLine >= quietNanos) line();
    }

    private void line() {
        long now = nanos.getAsLong();
        lastLine = now;
        double elapsed = (now - start) / 1e9;
        String eta = done > first ? clock(elapsed * (max - done) / (done - first)) : "-";
        out.printf(Locale.ROOT, "%s %3d%% %d/%d elapsed %s eta %s%s%n", task, 100 * done / max, done, max,
                clock(elapsed), eta, message.isEmpty() ? "" : " " + message.strip());
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void close() {
        if (ticker != null) ticker.shutdownNow();
        if (bar != null) bar.close();
    }
}
