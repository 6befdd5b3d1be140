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

@Command(name = "sample", description = "Generate images G(z), z from the prior, as a PNG grid.",
        footer = {"", "Example:", "  bigbigan sample --checkpoint runs/bigan-mlp-synthetic --count 64 --out samples.png"})
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

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new IllegalArgumentException("--count must be at least 1");
        common.apply();
        var trainer = checkpointOption.load(common.device()).trainer();
        try (StepScope s = StepScope.open()) {
            Tensor z = trainer.sampleLatent(count, torch.createCPUGenerator(common.seed));   // [N, z]
            ImageGrid.write(out, trainer.generate(z), cols, ImageGrid.DEFAULT_PADDING, scale); // [N, C, R, R]
        }
        System.out.println("wrote " + count + " samples to " + out);
        return 0;
    }
}
