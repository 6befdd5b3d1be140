package io.bigbigan.tools;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.nativelib.ProcessMemory;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.run.PhaseTimes;
import io.bigbigan.trainer.run.StepTrainer;
import io.bigbigan.trainer.run.Trainers;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, description = {"Time the full training step (D updates and the E/G update) on random data.",
        "Prints 'params N' and 'ms/step M' (median over the timed steps after warm-up);",
        "with --memory-steps, the resident memory after 10% of them and after all of them."},
        footer = {"", "With --encode BUNDLE: the bundle's size and load time (beside --checkpoint's), then the library API's",
                "encode throughput (images/s) per batch size and number of concurrent callers, with concurrent",
                "forwards and with one forward at a time (the model's lock).",
                "", "Examples:", "  bigbigan bench --preset bigan-mlp --threads 2",
                "  bigbigan bench --encode model.bundle --checkpoint runs/bigan-mlp-synthetic --callers 1,2,4",
                "  bigbigan bench --preset bigan-mlp --steps 0 --memory-steps 2000"})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "bigan-mlp", description = "Model preset (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--steps", defaultValue = "50", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "10", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", defaultValue = "0", description = "LibTorch threads (default: one per core).")
    int threads;

    @Option(names = "--batch", description = "Batch size (default: the preset's).")
    Integer batch;

    @Option(names = "--profile", description = "Also print the time of each phase of the step (BigBiGAN presets).")
    boolean profile;

    @Option(names = "--memory-steps", defaultValue = "0",
            description = "Also run this many steps and report resident memory at 10% and 100% of them.")
    int memorySteps;

    @Option(names = "--encode", paramLabel = "BUNDLE", description = "Measure encode throughput of this bundle instead of training steps.")
    java.nio.file.Path encode;

    @Option(names = "--checkpoint", description = "With --encode: also the size and load time of this checkpoint.")
    java.nio.file.Path checkpoint;

    @Option(names = "--callers", split = ",", defaultValue = "1,2,4", description = "With --encode: concurrent callers (default: ${DEFAULT-VALUE}).")
    List<Integer> callers;

    @Option(names = "--encode-batch", split = ",", defaultValue = "1,64", description = "With --encode: images per call (default: ${DEFAULT-VALUE}).")
    List<Integer> encodeBatches;

    @Option(names = "--seconds", defaultValue = "3", description = "With --encode: seconds per measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Override
    public Integer call() throws Exception {
        if (encode != null) {
            int th = Torch.setThreads(threads);
            EncodeBench.run(encode, checkpoint, callers, encodeBatches, seconds, th);
            return 0;
        }
        if (steps < 0 || warmup < 0 || memorySteps < 0) throw new IllegalArgumentException("counts must be >= 0");
        int t = Torch.setThreads(threads);
        RunConfig config = Presets.get(preset);
        if (batch != null) config = config.withTrain(config.train().withBatchSize(batch));
        PhaseTimes times = new PhaseTimes(profile);
        StepTrainer trainer = Trainers.create(config, 1, times);
        int b = config.train().batchSize();
        Tensor data = Trainers.randomImages(config, 4L * b, torch.createCPUGenerator(7));   // 4 batches of real stand-ins
        int[] cursor = {0};
        Runnable step = () -> {
            try (StepScope s = StepScope.open()) {
                trainer.step(() -> data.narrow(0, (long) (cursor[0]++ % 4) * b, b));
            }
        };
        System.out.printf("preset %s, batch %d, threads %d, OPENBLAS_NUM_THREADS=%s%n", preset, b, t,
                System.getenv().getOrDefault("OPENBLAS_NUM_THREADS", "unset"));
        System.out.println("params " + Modules.parameterCount(trainer.model()));
        for (int i = 0; i < warmup; i++) step.run();
        times.reset();
        if (steps > 0) {
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                step.run();
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            Collections.sort(ms);
            System.out.printf("ms/step %.2f (min %.2f, max %.2f, %d steps)%n", ms.get(ms.size() / 2), ms.getFirst(),
                    ms.getLast(), steps);
            if (profile) {
                var phases = times.msPerStep(steps);
                double sum = phases.values().stream().mapToDouble(Double::doubleValue).sum();
                phases.forEach((k, v) -> System.out.printf("  %-32s %9.2f ms/step %5.1f%%%n", k, v, 100 * v / sum));
            }
        }
        if (memorySteps > 0) {
            int early = Math.max(1, memorySteps / 10);
            long rssEarly = 0;
            for (int i = 1; i <= memorySteps; i++) {
                step.run();
                if (i == early) rssEarly = ProcessMemory.residentBytes();
            }
            long rssEnd = ProcessMemory.residentBytes();
            System.out.printf("rss after %d steps %.1f MiB, after %d steps %.1f MiB (%+.1f%%)%n", early,
                    rssEarly / 1048576.0, memorySteps, rssEnd / 1048576.0, 100.0 * (rssEnd - rssEarly) / rssEarly);
        }
        return 0;
    }
}
