package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.io.ImageGrid;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "reconstruct", mixinStandardHelpOptions = true, description = {"Write a grid of test images x beside their reconstructions G(E(x)).",
        "Also prints the reconstruction error against the random-pair baseline."},
        footer = {"", "Example:", "  bigbigan reconstruct --checkpoint runs/bigan-mlp-synthetic --out recon.png"})
final class ReconstructCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--count", defaultValue = "50", description = "Number of test images (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--out", defaultValue = "reconstructions.png", description = "PNG file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new OptionException("--count must be at least 1");
        common.apply();
        var loaded = checkpointOption.load(common.device());
        String spec = dataOptions.spec(loaded);
        var trainer = loaded.trainer();
        try (DatasetSplits splits = dataOptions.open(spec); StepScope s = StepScope.open()) {
            var test = splits.test();
            long n = Math.min(count, test.size());
            Tensor x = test.batch(0, n);                  // [N, C, H, W]
            Tensor in = trainer.prepare(x);
            ImageGrid.writePairs(out, trainer.toImages(in), trainer.generate(trainer.encode(in)), 5,
                    ImageGrid.DEFAULT_PADDING, 2);
            var err = EncoderFeatures.reconstructionError(trainer, x);
            System.out.printf("wrote %d pairs (x | G(E(x))) to %s%nreconstruction error %.3f; mismatched %.3f; random pairs %.3f%n",
                    n, out, err.recon(), err.mismatched(), err.randomPair());
        }
        return 0;
    }
}
