package io.bigbigan.tools;

import io.bigbigan.api.BigBiganModel;
import io.bigbigan.api.FeatureKind;
import io.bigbigan.trainer.checkpoint.Checkpoints;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bigbigan bench --encode BUNDLE}: bundle size and load time (beside a checkpoint's, when given), then the
 * encode throughput of the library API in images/s for each batch size, number of concurrent callers and threading
 * mode (concurrent forwards, or one at a time under the model's lock).
 */
final class EncodeBench {
    private EncodeBench() {}

    static void run(Path bundle, Path checkpoint, List<Integer> callers, List<Integer> batches, double seconds,
                    int threads) throws Exception {
        System.out.printf(Locale.ROOT, "bundle %s: %.2f MB, load %.0f ms (median of 3)%n", bundle,
                Files.size(bundle) / 1e6, medianMs(() -> BigBiganModel.load(bundle).close()));
        if (checkpoint != null) {
            Path weights = Checkpoints.resolve(checkpoint);
            long bytes = 0;
            for (String suffix : List.of(".safetensors", ".optim.pt", ".manifest.json")) {
                Path f = weights.resolveSibling(weights.getFileName().toString().replace(".safetensors", suffix));
                if (Files.exists(f)) bytes += Files.size(f);
            }
            System.out.printf(Locale.ROOT, "checkpoint %s: %.2f MB (weights + optimiser state + manifest), load %.0f ms"
                    + " (median of 3; builds G, E, D and the optimisers)%n", weights, bytes / 1e6,
                    medianMs(() -> Checkpoints.load(weights)));
        }
        System.out.printf(Locale.ROOT, "%-10s %7s %6s %10s%n", "mode", "callers", "batch", "images/s");
        for (boolean serialize : new boolean[]{false, true}) {
            try (BigBiganModel m = BigBiganModel.load(bundle, BigBiganModel.Options.DEFAULT.withSerializedCalls(serialize))) {
                int e = m.preprocessing().imageElements();
                for (int batch : batches) {
                    float[] pixels = new float[batch * e];
                    Random r = new Random(1);
                    for (int i = 0; i < pixels.length; i++) pixels[i] = r.nextFloat();
                    for (int i = 0; i < 2; i++) m.encodePixels(pixels, batch, FeatureKind.LATENT, 0);   // warm-up
                    for (int c : callers) {
                        double ips = throughput(m, pixels, batch, c, seconds);
                        System.out.printf(Locale.ROOT, "%-10s %7d %6d %10.1f%n", serialize ? "locked" : "concurrent",
                                c, batch, ips);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "(LibTorch threads %d, %d s per row, feature latent)%n", threads, (int) seconds);
    }

    private static double throughput(BigBiganModel m, float[] pixels, int batch, int callers, double seconds)
            throws InterruptedException {
        AtomicLong images = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        long[] t0 = new long[1];
        long budget = (long) (seconds * 1e9);
        for (int i = 0; i < callers; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException ex) {
                    return;
                }
                while (System.nanoTime() - t0[0] < budget) {
                    m.encodePixels(pixels, batch, FeatureKind.LATENT, 0);
                    images.addAndGet(batch);
                }
            }, "encode-bench-" + i);
            t.start();
            ts.add(t);
        }
        t0[0] = System.nanoTime();
        start.countDown();
        for (Thread t : ts) t.join();
        return images.get() / ((System.nanoTime() - t0[0]) / 1e9);
    }

    private interface Body {
        void run() throws Exception;
    }

    private static double medianMs(Body body) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long t = System.nanoTime();
            body.run();
            ms.add((System.nanoTime() - t) / 1e6);
        }
        Collections.sort(ms);
        return ms.get(1);
    }
}
