package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The encoder's value as a representation (Donahue et al. 2017, Section 4): 1-NN, k-NN and a linear classifier on
 * frozen features of the test split, always beside the same measurements on raw pixels.
 */
public final class EncoderEvaluation {
    private EncoderEvaluation() {}

    /** The rows of one evaluation: raw pixels, then the encoder's feature spaces. */
    public record Report(List<RepresentationReport.Row> rows) {
        /** An aligned text table. */
        public String table() {
            return RepresentationReport.table(rows);
        }

        /** The k-NN grid (both metrics and vote rules); empty unless it was requested. */
        public String gridTable() {
            return RepresentationReport.gridTable(rows);
        }

        /** The rows as data for JSON ({@link RepresentationReport#data}). */
        public List<Map<String, Object>> data() {
            return RepresentationReport.data(rows);
        }

        /** The row of a feature space ("raw pixels", "E(x)", "E penultimate", "E mu", "E pooled"). */
        public RepresentationReport.Row row(String name) {
            return rows.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no feature space '" + name + "'"));
        }
    }

    /** Accuracies of one feature space in the periodic probe: linear top-1 and 1-NN, as fractions. */
    public record ProbeScores(double linear, double nearest) {}

    /**
     * The periodic probe (BigBiGAN, Appendix: monitor representation quality during training with a freshly trained
     * linear classifier): for raw pixels and each encoder feature space (BigBiGAN's pooled features also after
     * {@link BatchNormCrelu}), the top-1 accuracy on {@code splits.test()} of a linear probe trained from scratch on
     * {@code splits.train()}, and of 1-NN with {@code splits.train()} as neighbours. Raw pixels come first.
     */
    public static Map<String, ProbeScores> probe(TrainedModel model, DatasetSplits splits, long seed, int batch) {
        try (StepScope s = StepScope.open()) {
            var train = EncoderFeatures.extract(model, splits.train(), batch);
            var test = EncoderFeatures.extract(model, splits.test(), batch);
            var knn = KNearestNeighbors.Config.defaults().withKs(1);
            var linear = LinearProbe.Config.defaults().withSeed(seed);
            Map<String, ProbeScores> out = new LinkedHashMap<>();
            featureSets(train, test).forEach((name, fs) -> out.put(name, new ProbeScores(
                    LinearProbe.evaluate(fs, linear).testTop1(), KNearestNeighbors.evaluate(fs, knn).accuracy(1))));
            return out;
        }
    }

    /** Raw pixels, then each encoder space of {@code train}/{@code test}, with BN+CReLU after the pooled space. */
    private static Map<String, FeatureSet> featureSets(EncoderFeatures.Features train, EncoderFeatures.Features test) {
        Map<String, FeatureSet> spaces = new LinkedHashMap<>();
        spaces.put(PIXELS, new FeatureSet(train.pixels(), train.labels(), test.pixels(), test.labels()));
        for (String name : train.spaces().keySet()) {
            spaces.put(name, new FeatureSet(train.spaces().get(name), train.labels(), test.spaces().get(name),
                    test.labels()));
            if (name.equals(POOLED)) {
                var bn = BatchNormCrelu.apply(train.spaces().get(name), test.spaces().get(name));
                spaces.put(name + " BN+CReLU", new FeatureSet(bn.train(), train.labels(), bn.test(), test.labels()));
            }
        }
        return spaces;
    }

    /** The baseline row's name. */
    public static final String PIXELS = "raw pixels";

    /** The encoder space that also gets BigBiGAN's BN+CReLU variant ({@link BatchNormCrelu}). */
    public static final String POOLED = "E pooled";

    /** Evaluates with the default k-NN and linear-probe settings. */
    public static Report evaluate(TrainedModel model, DatasetSplits splits, long seed) {
        return evaluate(model, splits, seed, msg -> {});
    }

    /** Evaluates with the default settings, reporting progress messages to {@code progress}. */
    public static Report evaluate(TrainedModel model, DatasetSplits splits, long seed, Consumer<String> progress) {
        return evaluate(model, splits, seed, true, true, false, progress);
    }

    /**
     * Evaluates k-NN ({@code knn}) and/or the linear probe ({@code linear}), reporting progress messages to
     * {@code progress}; {@code knnGrid} adds k-NN with both metrics and
     * both vote rules ({@link Report#gridTable()}). BigBiGAN's pooled features are also evaluated after
     * {@link BatchNormCrelu} (row "E pooled BN+CReLU").
     */
    public static Report evaluate(TrainedModel model, DatasetSplits splits, long seed, boolean knn, boolean linear,
                                  boolean knnGrid, Consumer<String> progress) {
        return evaluate(model, splits, seed, knn, linear, knnGrid, progress,
                EncoderFeatures.defaultBatch(model.config()));
    }

    /** As above, encoding {@code batch} images per forward pass ({@code --eval-batch}). */
    public static Report evaluate(TrainedModel model, DatasetSplits splits, long seed, boolean knn, boolean linear,
                                  boolean knnGrid, Consumer<String> progress, int batch) {
        try (StepScope s = StepScope.open()) {
            var train = EncoderFeatures.extract(model, splits.train(), batch);
            var test = EncoderFeatures.extract(model, splits.test(), batch);
            Map<String, FeatureSet> spaces = featureSets(train, test);
            var config = new RepresentationReport.Config(knn ? KNearestNeighbors.Config.defaults() : null,
                    linear ? LinearProbe.Config.defaults().withSeed(seed) : null, knnGrid);
            return new Report(List.copyOf(RepresentationReport.run(spaces, config, progress)));
        }
    }
}
