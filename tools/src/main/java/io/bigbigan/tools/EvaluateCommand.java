package io.bigbigan.tools;

import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "evaluate", description = {"Measure a trained encoder on the test split: 1-NN, k-NN and a linear",
        "classifier on frozen features (E(x) and the layer before it), beside the same on raw pixels."},
        footer = {"", "Example:", "  bigbigan evaluate --checkpoint runs/bigan-mlp-synthetic"})
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--out", description = "Also write the table to this file.")
    Path out;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        common.apply();
        var loaded = checkpointOption.load(common.device());
        String spec = dataOptions.spec(loaded.metadata().getOrDefault("data", "synthetic"));
        System.out.printf("evaluating %s (step %d, %s) on %s%n", loaded.file(), loaded.step(), loaded.config().preset(), spec);
        try (DatasetSplits splits = dataOptions.open(spec)) {
            String table = EncoderEvaluation.evaluate(loaded.trainer(), splits, common.seed).table();
            System.out.println(table);
            if (out != null) writeReport(out, table);
        }
        return 0;
    }

    static void writeReport(Path file, String text) throws IOException {
        AtomicFiles.writeStream(file, os -> os.write((text + "\n").getBytes(StandardCharsets.UTF_8)));
    }
}
