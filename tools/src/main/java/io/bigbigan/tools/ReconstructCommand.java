package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.report.ImageGrid;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "reconstruct", mixinStandardHelpOptions = true, description = {"Write a grid of test images x beside their reconstructions G(E(x)).",
        "Also prints the reconstruction error against the random-pair baseline. The images are a fixed random subset",
        "of the test split (the same as train's grids and evaluate --metrics recon)."},
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
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (count < 1) throw new OptionException("--count must be at least 1");
        Outputs.file("--out", out);
        common.apply();
        var opened = OpenedCheckpoint.open(checkpointOption, dataOptions, common);
        var model = opened.model();
        try (DatasetSplits splits = opened.openData(); StepScope s = StepScope.open()) {
            var test = splits.test();
            Tensor idx = EncoderFeatures.reconstructionSubset(test, count);          // [N]
            var pairs = EncoderFeatures.reconstructions(model, test, idx, evalBatch.get(model.config()));
            ImageGrid.writePairs(out, pairs.images(), pairs.reconstructions(), 5, ImageGrid.DEFAULT_PADDING, 2);
            var err = EncoderFeatures.reconstructionError(model, test, idx, evalBatch.get(model.config()));
            System.out.printf("wrote %d pairs (x | G(E(x))) of random test images to %s%nreconstruction error %.3f; mismatched %.3f; random pairs %.3f%n",
                    err.images(), out, err.recon(), err.mismatched(), err.randomPair());
        }
        return 0;
    }
}
