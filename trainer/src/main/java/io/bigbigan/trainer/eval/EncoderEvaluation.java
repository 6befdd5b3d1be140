package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.mlp.BiganMlp;
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

    /** The rows of one evaluation: raw pixels, E(x), and E's penultimate layer. */
    public record Report(List<RepresentationReport.Row> rows) {
        /** An aligned text table. */
        public String table() {
            return RepresentationReport.table(rows);
        }

        /** The row of a feature space ("raw pixels", "E(x)", "E penultimate"). */
        public RepresentationReport.Row row(String name) {
            return rows.stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no feature space '" + name + "'"));
        }
    }

    /** Evaluates with the default k-NN and linear-probe settings. */
    public static Report evaluate(BiganMlp model, DatasetSplits splits, long seed) {
        return evaluate(model, splits, seed, msg -> {});
    }

    /** Evaluates, reporting progress messages to {@code progress}. */
    public static Report evaluate(BiganMlp model, DatasetSplits splits, long seed, Consumer<String> progress) {
        try (StepScope s = StepScope.open()) {
            var train = EncoderFeatures.extract(model, splits.train());
            var test = EncoderFeatures.extract(model, splits.test());
            Map<String, FeatureSet> spaces = new LinkedHashMap<>();
            spaces.put("raw pixels", new FeatureSet(train.pixels(), train.labels(), test.pixels(), test.labels()));
            spaces.put("E(x)", new FeatureSet(train.z(), train.labels(), test.z(), test.labels()));
            spaces.put("E penultimate", new FeatureSet(train.hidden(), train.labels(), test.hidden(), test.labels()));
            var config = new RepresentationReport.Config(KNearestNeighbors.Config.defaults(),
                    LinearProbe.Config.defaults().withSeed(seed));
            return new Report(List.copyOf(RepresentationReport.run(spaces, config, progress)));
        }
    }
}
