package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.eval.diagnostics.Diagnostics;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "interpolate", mixinStandardHelpOptions = true, description = {"Write a latent interpolation sheet: each row is G(z) for z linear",
        "between two endpoints, E(x_a) and E(x_b) of test images (--between data) or two prior samples (prior)."},
        footer = {"", "Examples:", "  bigbigan interpolate --checkpoint runs/bigan-mlp-synthetic --out interp.png",
                "  bigbigan interpolate --checkpoint RUN --between prior --count 6 --steps 12"})
final class InterpolateCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--count", defaultValue = "8", description = "Rows (pairs of endpoints) (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--steps", defaultValue = "10", description = "Images per row, endpoints included (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--between", defaultValue = "data", description = "data or prior (default: ${DEFAULT-VALUE}).")
    String between;

    @Option(names = "--out", defaultValue = "interpolation.png", description = "PNG file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new OptionException("--count must be at least 1");
        if (steps < 2) throw new OptionException("--steps must be at least 2");
        if (!between.equals("data") && !between.equals("prior"))
            throw new OptionException("--between must be data or prior, got '" + between + "'");
        Outputs.file("--out", out);
        common.apply();
        var opened = OpenedCheckpoint.open(checkpointOption, dataOptions, common);
        var model = opened.model();
        try (StepScope s = StepScope.open()) {
            Tensor a, b;
            if (between.equals("prior")) {
                Generator g = torch.createCPUGenerator(common.seed);
                a = model.sampleLatent(count, g);                                              // [N, z]
                b = model.sampleLatent(count, g);
            } else {
                try (DatasetSplits splits = opened.openData()) {
                    var test = splits.test();
                    if (test.size() < 2L * count)
                        throw new IllegalArgumentException("--count " + count + " needs " + 2 * count + " test images, the split has " + test.size());
                    Tensor pick = EncoderFeatures.reconstructionSubset(test, 2L * count);   // fixed random test images
                    a = Diagnostics.encode(model, test.batch(pick.narrow(0, 0, count)));
                    b = Diagnostics.encode(model, test.batch(pick.narrow(0, count, count)));
                }
            }
            Diagnostics.interpolation(model, a, b, steps, out, evalBatch.get(model.config()));
        }
        System.out.printf("wrote %d interpolations (%d steps, between %s) to %s%n", count, steps, between, out);
        return 0;
    }
}
