package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.config.PrecisionOption;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.nativelib.ProcessMemory;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.MemoryFormat;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.model.layers.FlopCounter;
import io.bigbigan.trainer.step.ComputeDevice;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.step.Trainers;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, description = {"Time the full training step (D updates and the E/G update) on random data.",
        "Prints 'params N' and 'ms/step M' (median over the timed steps after warm-up), images/s, the step's",
        "FLOPs (convolutions, linear layers, attention; backward included) and the achieved TFLOP/s (on CUDA",
        "also as a fraction of the device's bf16 dense peak, and the GPU memory in use);",
        "with --memory-steps, the resident memory after 10%% of them and after all of them."},
        footer = {"", "With --encode BUNDLE: the bundle's size and load time (beside --checkpoint's), then the library API's",
                "encode throughput (images/s) per batch size and number of concurrent callers, with concurrent",
                "forwards and with one forward at a time (the model's lock).",
                "", "Examples:", "  bigbigan bench --preset bigan-mlp --threads 2",
                "  bigbigan bench --encode model.bundle --checkpoint runs/bigan-mlp-synthetic --callers 1,2,4",
                "  bigbigan bench --preset bigan-mlp --steps 0 --memory-steps 2000",
                "  BIGBIGAN_CUDA=1 bigbigan bench --preset bigbigan-32 --batch 256 --device cuda --precision bf16"})
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

    @Option(names = "--profile", description = "Also print the time of each phase of the step.")
    boolean profile;

    @Option(names = "--precision", description = {"fp32, bf16 (autocast forward passes), auto (bf16 on CUDA and on CPUs",
            "with native bf16: AVX512-BF16/AMX; fp32 elsewhere) or fp64 (default: the preset's, fp32)."})
    String precision;

    @Option(names = "--ceiling", negatable = true, defaultValue = "true", fallbackValue = "true", description = {
            "Also measure the machine's fp32 and bf16 matrix-multiply ceiling (torch.mm, ~1 s each) and print the",
            "step's GFLOP/s as a fraction of it (default: on; --no-ceiling skips it)."})
    boolean ceiling;

    @Option(names = "--memory-format", defaultValue = "channels-last", description = {
            "channels-last (default) or contiguous: the layout of convolution weights and images (BigBiGAN presets).",
            "Convolutions run faster on channels-last (oneDNN on CPUs, cuDNN on GPUs)."})
    String memoryFormat;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--peak-tflops", description = {"The device's dense peak in TFLOP/s for the step's precision, to",
            "print the achieved fraction (default: known bf16 peaks of A100/H100/H200 on CUDA)."})
    Double peakTflops;

    @Option(names = "--memory-steps", defaultValue = "0",
            description = "Also run this many steps and report resident memory at 10%% and 100%% of them.")
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
        return run();
    }

    private Integer run() throws Exception {
        if (encode != null) {
            int th = Torch.setThreads(threads);
            EncodeBench.run(encode, checkpoint, callers, encodeBatches, seconds, th);
            return 0;
        }
        if (steps < 0 || warmup < 0 || memorySteps < 0) throw new OptionException("--steps, --warmup and --memory-steps must be >= 0");
        int t = Torch.setThreads(threads);
        Device dev;
        try {
            dev = Torch.device(device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device: " + e.getMessage(), e);
        }
        boolean cuda = ComputeDevice.isCuda(dev);
        RunConfig config = Presets.get(preset);
        if (batch != null) config = config.withTrain(config.train().withBatchSize(batch));
        if (precision != null) config = config.withTrain(config.train().withPrecision(PrecisionOption.resolve(precision, cuda)));
        String emulated = EmulatedBf16.warnIfEmulated(precision, config.train().precision(), cuda);
        PhaseTimes times = new PhaseTimes(profile, cuda ? torch::cuda_synchronize : null);   // kernels' time
        MemoryFormat layout = MemoryFormat.parse(memoryFormat);
        StepTrainer trainer = Trainers.create(config, Trainers.Setup.seed(1).times(times).device(dev).memoryFormat(layout));
        int b = config.train().batchSize();
        Tensor data = StepScope.keep(ComputeDevice.move(Trainers.randomImages(config, 4L * b,   // 4 batches of real
                torch.createCPUGenerator(7)), dev, false));                                   // stand-ins, on the device
        int[] cursor = {0};
        Runnable step = () -> {
            try (StepScope s = StepScope.open()) {
                trainer.step(() -> data.narrow(0, (long) (cursor[0]++ % 4) * b, b));
            }
            if (cuda) torch.cuda_synchronize();                              // time the kernels, not the queueing
        };
        System.out.printf("preset %s, batch %d, device %s, precision %s, %s, threads %d, %s%n", preset,
                b, ComputeDevice.name(dev) + (cuda ? " (" + Torch.cudaDeviceName(Math.max(0, dev.index())) + ")" : ""),
                config.train().precision().id(), layout.id(), t,
                io.bigbigan.nativelib.RuntimeInfo.threadEnvironment());
        System.out.println("params " + Modules.parameterCount(trainer.model()));
        for (int i = 0; i < warmup; i++) step.run();
        long forwardFlops, backwardFlops;
        try (FlopCounter flops = FlopCounter.open()) {                      // one step's matmul FLOPs
            step.run();
            forwardFlops = flops.forwardFlops();
            backwardFlops = flops.backwardFlops();
        }
        times.reset();
        if (steps > 0) {
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                step.run();
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            Collections.sort(ms);
            double median = ms.get(ms.size() / 2);
            System.out.printf("ms/step %.2f (min %.2f, max %.2f, %d steps)%s%n", median, ms.getFirst(),
                    ms.getLast(), steps, emulated == null ? "" : "  [bf16 emulated: no native bf16 on this CPU]");
            long flops = forwardFlops + backwardFlops;
            double achieved = flops / (median / 1e3);
            System.out.printf("images/s %.1f (%d real images per step)%n",
                    (double) b * config.train().dStepsPerGStep() / (median / 1e3), (long) b * config.train().dStepsPerGStep());
            System.out.printf("GFLOP/step %.2f (forward %.2f, backward %.2f; convolutions, linear layers and attention)%n",
                    flops / 1e9, forwardFlops / 1e9, backwardFlops / 1e9);
            Double peak = peakTflops != null ? peakTflops : cuda ? DevicePeaks.bf16Tflops(
                    Torch.cudaDeviceName(Math.max(0, dev.index()))) : null;
            System.out.printf("achieved %.3f TFLOP/s = %.1f GFLOP/s%s%n", achieved / 1e12, achieved / 1e9, peak == null ? ""
                    : String.format(" = %.1f%% of %.0f TFLOP/s peak", 100 * achieved / 1e12 / peak, peak));
            if (ceiling) {
                GemmCeiling c = GemmCeiling.measure(dev, cuda ? 0.3 : 1.0);
                boolean bf16 = config.train().precision() == Precision.BF16;
                System.out.println(c.describe(t));
                System.out.printf("this step: %.1f%% of the %s ceiling%n", 100 * achieved / 1e9 / c.of(bf16),
                        bf16 ? "bf16" : "fp32");
            }
            if (cuda) System.out.printf("gpu memory in use %.0f MiB%n", Torch.cudaMemoryUsed() / 1048576.0);
            System.out.printf("host peak resident memory %.0f MiB%n", ProcessMemory.peakResidentBytes() / 1048576.0);
            if (profile) {
                var phases = times.msPerStep(steps);
                double sum = phases.values().stream().mapToDouble(Double::doubleValue).sum();
                phases.forEach((k, v) -> System.out.printf("  %-36s %9.2f ms/step %5.1f%%%n", k, v, 100 * v / sum));
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
