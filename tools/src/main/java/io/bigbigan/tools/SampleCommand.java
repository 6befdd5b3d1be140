package io.bigbigan.tools;

import io.bigbigan.api.Preprocessing;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.data.Datasets;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.report.ImageGrid;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "sample", mixinStandardHelpOptions = true, description = {"Generate images G(z) with z from the prior. The latents are seeded by --seed and optionally",
        "truncated; the images are written as a PNG grid and, with --individual, one PNG per image, at the size of",
        "the training images (28 px data padded to 32 px for a BigBiGAN preset is cropped back to 28 px)."},
        footer = {"", "Examples:", "  bigbigan sample --checkpoint runs/bigan-mlp-synthetic --count 64 --out samples.png",
                "  bigbigan sample --checkpoint runs/fmnist --seed 7 --truncation 0.5 --individual samples/"})
final class SampleCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Option(names = "--count", defaultValue = "100", description = "Number of images (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--cols", defaultValue = "10", description = "Images per row (default: ${DEFAULT-VALUE}).")
    int cols;

    @Option(names = "--scale", paramLabel = "N", description = {"Enlarge every pixel to N x N (default: 2 for the grid;",
            "the --individual images keep the data's own size unless --scale is given)."})
    Integer scale;

    @Option(names = "--out", defaultValue = "samples.png", description = "PNG file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--truncation", defaultValue = "0", description = {"Truncation threshold t > 0: normal latents outside",
            "[-t, t] are re-drawn, uniform ones narrowed to [-t, t]; 0 for none (default: ${DEFAULT-VALUE})."})
    double truncation;

    @Option(names = "--individual", paramLabel = "DIR", description = "Also write each image as DIR/sample-NNNN.png.")
    Path individual;

    @Mixin
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new OptionException("--count must be at least 1");
        if (truncation < 0) throw new OptionException("--truncation must be >= 0 (0: none), got " + truncation);
        if (scale != null && scale < 1) throw new OptionException("--scale must be at least 1, got " + scale);
        Outputs.file("--out", out);
        if (individual != null) Outputs.folder("--individual", individual);
        common.apply();
        var loaded = checkpointOption.load(common.device());
        var model = loaded.model();
        int side = dataSide(loaded);
        try (StepScope s = StepScope.open()) {
            Tensor z = model.sampleLatent(count, torch.createCPUGenerator(common.seed), truncation); // [N, z]
            Tensor images = cropTo(model.generate(z, evalBatch.get(model.config())), side);    // [N, C, S, S]
            ImageGrid.write(out, images, cols, ImageGrid.DEFAULT_PADDING, scale == null ? 2 : scale);
            if (individual != null) {
                java.nio.file.Files.createDirectories(individual);
                for (int i = 0; i < count; i++)
                    ImageGrid.write(individual.resolve(String.format("sample-%04d.png", i)), images.narrow(0, i, 1), 1, 0,
                            scale == null ? 1 : scale);
            }
        }
        System.out.println("wrote " + count + " samples to " + out + (individual == null ? "" : " and " + individual + "/"));
        return 0;
    }

    /**
     * The side of the images the checkpoint was trained on where G's output is larger only by the padding the
     * trainer added (28 px data padded to 32 px for a BigBiGAN preset), else G's own side (0: no crop).
     */
    static int dataSide(Checkpoints.Loaded loaded) {
        var pre = Preprocessing.forModel(loaded.config().model(),
                Datasets.imageSize(loaded.meta().run().data()));
        return pre.toNetwork().equals("pad") ? pre.imageSize() : 0;
    }

    /** The centre {@code side} x {@code side} of images [N, C, H, W] (all of them when side is 0 or not smaller). */
    static Tensor cropTo(Tensor images, int side) {
        long h = images.size(2), w = images.size(3);
        if (side <= 0 || side >= h || side >= w) return images;
        return images.narrow(2, (h - side) / 2, side).narrow(3, (w - side) / 2, side);   // [N, C, side, side]
    }
}
