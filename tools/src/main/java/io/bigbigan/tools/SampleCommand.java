package io.bigbigan.tools;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.io.ImageGrid;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "sample", mixinStandardHelpOptions = true, description = {"Generate images G(z), z from the prior (seeded by --seed, optionally truncated),",
        "as a PNG grid and, with --individual, one PNG per image."},
        footer = {"", "Examples:", "  bigbigan sample --checkpoint runs/bigan-mlp-synthetic --count 64 --out samples.png",
                "  bigbigan sample --checkpoint runs/fmnist --seed 7 --truncation 0.5 --individual samples/"})
final class SampleCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Option(names = "--count", defaultValue = "100", description = "Number of images (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--cols", defaultValue = "10", description = "Images per row (default: ${DEFAULT-VALUE}).")
    int cols;

    @Option(names = "--scale", defaultValue = "2", description = "Pixel upscaling (default: ${DEFAULT-VALUE}).")
    int scale;

    @Option(names = "--out", defaultValue = "samples.png", description = "PNG file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--truncation", defaultValue = "0", description = {"Truncation threshold t > 0: normal latents outside",
            "[-t, t] are re-drawn, uniform ones narrowed to [-t, t]; 0 for none (default: ${DEFAULT-VALUE})."})
    double truncation;

    @Option(names = "--individual", paramLabel = "DIR", description = "Also write each image as DIR/sample-NNNN.png (scaled by --scale).")
    Path individual;

    @Mixin
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new IllegalArgumentException("--count must be at least 1");
        if (truncation < 0) throw new IllegalArgumentException("--truncation must be >= 0 (0: none), got " + truncation);
        common.apply();
        var trainer = checkpointOption.load(common.device()).trainer();
        try (StepScope s = StepScope.open()) {
            Tensor z = trainer.sampleLatent(count, torch.createCPUGenerator(common.seed), truncation); // [N, z]
            Tensor images = trainer.generate(z, evalBatch.get(trainer.config()));                             // [N, C, R, R]
            ImageGrid.write(out, images, cols, ImageGrid.DEFAULT_PADDING, scale);
            if (individual != null) {
                java.nio.file.Files.createDirectories(individual);
                for (int i = 0; i < count; i++)
                    ImageGrid.write(individual.resolve(String.format("sample-%04d.png", i)), images.narrow(0, i, 1), 1, 0, scale);
            }
        }
        System.out.println("wrote " + count + " samples to " + out + (individual == null ? "" : " and " + individual + "/"));
        return 0;
    }
}
