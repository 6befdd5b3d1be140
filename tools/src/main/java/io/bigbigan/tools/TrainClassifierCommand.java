package io.bigbigan.tools;

import io.bigbigan.trainer.data.DatasetSplits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

@Command(name = "train-classifier", mixinStandardHelpOptions = true, description = {"Train the domain classifier for `evaluate --metrics fid,is`. It is a small ConvNet on the",
        "labelled dataset whose features and class probabilities give the domain FD and the domain",
        "Inception-style score. Saved as classifier.safetensors + classifier.json."},
        footer = {"", "Example:", "  bigbigan train-classifier --data fashion-mnist --domain-classifier runs/fmnist-classifier"})
final class TrainClassifierCommand implements Callable<Integer> {
    @Mixin
    DataOptions dataOptions;

    @Mixin
    GenerationOptions generation;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        common.apply();
        String spec = dataOptions.spec("synthetic");
        var dir = generation.classifierDir(spec);
        if (io.bigbigan.trainer.eval.generation.DomainClassifier.exists(dir))
            throw new IllegalArgumentException("--domain-classifier " + dir + ": already holds a classifier (remove it to retrain)");
        Outputs.folder("--domain-classifier", dir);
        try (DatasetSplits splits = dataOptions.open(spec)) {
            generation.classifier(spec, splits, common.seed);
        }
        return 0;
    }
}
