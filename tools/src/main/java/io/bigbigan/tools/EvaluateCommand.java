package io.bigbigan.tools;

import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderEvaluation;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.eval.generation.GenerationMetrics;
import io.bigbigan.trainer.eval.generation.ImageFeatureExtractor;
import io.bigbigan.trainer.eval.generation.InceptionExtractor;
import io.bigbigan.trainer.eval.generation.ReferenceStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true, description = {"Measure a trained model on the test split. Representation (default):",
        "1-NN/k-NN (k = 1, 5, 20, 200) and a linear classifier on frozen encoder features beside raw pixels.",
        "Generation: Fréchet distance and Inception(-style) Score of G(z) through Inception (--inception) or a",
        "domain classifier, beside the real train-vs-test floor. recon: reconstruction error vs baselines."},
        footer = {"", "Examples:", "  bigbigan evaluate --checkpoint runs/bigan-mlp-synthetic",
                "  bigbigan evaluate --checkpoint RUN --data fashion-mnist --metrics fid,is,recon --samples 10000",
                "  bigbigan evaluate --checkpoint RUN --metrics fid --inception inception-2015-12-05.pt"})
final class EvaluateCommand implements Callable<Integer> {
    private static final Set<String> METRICS = Set.of("linear", "knn", "fid", "is", "recon");

    @Mixin
    CheckpointOption checkpointOption;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--metrics", defaultValue = "linear,knn", split = ",", description = {"Comma-separated: linear, knn,",
            "fid, is, recon (default: ${DEFAULT-VALUE})."})
    List<String> metrics;

    @Option(names = "--knn-grid", description = "Also print k-NN with L2 and cosine, majority and distance-weighted votes.")
    boolean knnGrid;

    @Option(names = "--inception", paramLabel = "FILE", description = {"TorchScript Inception-v3",
            "(inception-2015-12-05.pt layout) for FID/IS; without it FD/IS use the domain classifier."})
    Path inception;

    @Option(names = "--samples", defaultValue = "10000",
            description = "Generated samples (and real images per split) for fid/is (default: ${DEFAULT-VALUE}).")
    int samples;

    @Mixin
    GenerationOptions generation;

    @Option(names = "--out", description = "Also write the report to this file.")
    Path out;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Set<String> wanted = new LinkedHashSet<>();
        for (String m : metrics) {
            String k = m.trim().toLowerCase(Locale.ROOT);
            if (!METRICS.contains(k))
                throw new IllegalArgumentException("--metrics: unknown metric '" + m + "' (use linear, knn, fid, is, recon)");
            wanted.add(k);
        }
        common.apply();
        ImageFeatureExtractor inceptionNet = inception == null ? null : InceptionExtractor.load(inception);
        var loaded = checkpointOption.load(common.device());
        String spec = dataOptions.spec(loaded);
        System.out.printf("evaluating %s (step %d, %s) on %s, %s%n", loaded.file(), loaded.step(), loaded.config().preset(),
                spec, loaded.trainer().inferencePrecision().id());
        StringBuilder report = new StringBuilder();
        try (DatasetSplits splits = dataOptions.open(spec)) {
            if (wanted.contains("linear") || wanted.contains("knn")) {
                var r = EncoderEvaluation.evaluate(loaded.trainer(), splits, common.seed, wanted.contains("knn"),
                        wanted.contains("linear"), knnGrid, System.err::println);
                report.append(String.format(Locale.ROOT, "representation (%d train images, %d test images; test accuracy)%n",
                        splits.train().size(), splits.test().size()));
                report.append(r.table());
                if (knnGrid) report.append('\n').append(r.gridTable());
            }
            if (wanted.contains("recon")) {
                try (StepScope s = StepScope.open()) {
                    long n = Math.min(1000, splits.test().size());
                    var err = EncoderFeatures.reconstructionError(loaded.trainer(),
                            splits.test().batch(0, n));
                    report.append(String.format(Locale.ROOT, "reconstruction (%d test images): ||x - G(E(x))|| %.3f;"
                            + " mismatched ||x - G(E(x'))|| %.3f; random pairs ||x - x'|| %.3f%n", n, err.recon(),
                            err.mismatched(), err.randomPair()));
                }
            }
            if (wanted.contains("fid") || wanted.contains("is")) {
                if (samples < 10) throw new IllegalArgumentException("--samples must be at least 10, got " + samples);
                List<ImageFeatureExtractor> extractors = new ArrayList<>();
                if (inceptionNet != null) extractors.add(inceptionNet);
                else extractors.add(generation.classifier(spec, splits, common.seed));
                ReferenceStatistics cache = new ReferenceStatistics(generation.cacheRoot().resolve("refstats"));
                for (ImageFeatureExtractor ex : extractors) {
                    var r = GenerationMetrics.run(loaded.trainer(), splits, spec, ex, samples, cache,
                            wanted.contains("is"), common.seed, System.out::println);
                    report.append(r.table());
                }
            }
        }
        System.out.print(report);
        if (out != null) writeReport(out, report.toString());
        return 0;
    }

    static void writeReport(Path file, String text) throws IOException {
        AtomicFiles.writeStream(file, os -> os.write((text + "\n").getBytes(StandardCharsets.UTF_8)));
    }
}
