package io.bigbigan.tools;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress with ETA on standard error for long work: a live bar on a terminal; when output is redirected (logs,
 * CI), a plain line at every 10% instead of a stream of carriage returns.
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final String task;
    private final long max;
    private final long start = System.nanoTime();
    private long nextDecile = 1;

    private Progress(String task, long max) {
        this.task = task;
        this.max = max;
        var console = System.console();
        bar = console != null && console.isTerminal()
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(500).continuousUpdate().clearDisplayOnFinish().build()
                : null;
    }

    static Progress start(String task, long max) {
        return new Progress(task, max);
    }

    /** Reports that {@code done} of {@code max} units are complete, with a status message. */
    void update(long done, String message) {
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage(message);
            return;
        }
        if (done * 10 >= nextDecile * max) {
            while (done * 10 >= nextDecile * max) nextDecile++;
            double elapsed = (System.nanoTime() - start) / 1e9;
            double eta = done > 0 ? elapsed * (max - done) / done : 0;
            System.err.printf("%s %3d%% %d/%d elapsed %s eta %s %s%n", task, 100 * done / max, done, max,
                    clock(elapsed), clock(eta), message);
        }
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
