package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import org.bytedeco.pytorch.Tensor;

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
    public record Report(List<RepresentationReport.Row> rows, List<LabelFraction> labelFractions) {
        public Report {
            rows = List.copyOf(rows);
            labelFractions = List.copyOf(labelFractions);
        }

        /** A report without label fractions. */
        public Report(List<RepresentationReport.Row> rows) {
            this(rows, List.of());
        }

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

    /**
     * The same classifiers trained on a seeded, class-balanced fraction of the training labels (the features of every
     * training image are computed; only the labelled ones train the probe and serve as neighbours).
     *
     * @param fraction    the fraction of each class's training images that keep their label
     * @param trainImages how many that is in all
     * @param rows        raw pixels, then the encoder's feature spaces
     */
    public record LabelFraction(double fraction, long trainImages, List<RepresentationReport.Row> rows) {
        public LabelFraction {
            rows = List.copyOf(rows);
        }

        /** The heading and aligned table of this fraction. */
        public String table() {
            return String.format(java.util.Locale.ROOT, "labels: %s of the training images (%,d, class-balanced)%n",
                    percent(fraction), trainImages) + RepresentationReport.table(rows);
        }

        /** As data for JSON: fraction, train_images, rows. */
        public Map<String, Object> data() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fraction", fraction);
            m.put("train_images", trainImages);
            m.put("rows", RepresentationReport.data(rows));
            return m;
        }

        private static String percent(double f) {
            return new java.math.BigDecimal(f * 100).round(new java.math.MathContext(3)).stripTrailingZeros()
                    .toPlainString() + "%";
        }
    }

    /**
     * The training rows that keep their label under {@code fraction}: for each class, round(fraction x its count)
     * rows (at least one), drawn by a permutation seeded with {@code seed}, in ascending order.
     */
    public static long[] balancedSubset(long[] labels, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 1))
            throw new IllegalArgumentException("a label fraction must be in (0, 1], got " + fraction);
        Map<Long, List<Integer>> byClass = new java.util.TreeMap<>();
        for (int i = 0; i < labels.length; i++) byClass.computeIfAbsent(labels[i], k -> new java.util.ArrayList<>()).add(i);
        java.util.List<Integer> kept = new java.util.ArrayList<>();
        java.util.Random rng = new java.util.Random(seed);
        for (List<Integer> rows : byClass.values()) {
            java.util.List<Integer> shuffled = new java.util.ArrayList<>(rows);
            java.util.Collections.shuffle(shuffled, rng);
            kept.addAll(shuffled.subList(0, (int) Math.max(1, Math.round(fraction * rows.size()))));
        }
        return kept.stream().sorted().mapToLong(Integer::longValue).toArray();
    }

    /**
     * Accuracies of one feature space in the periodic probe, as fractions: linear top-1 and 1-NN with every label of
     * the probe's training rows, and again with {@link #PROBE_LABEL_FRACTION} of them.
     */
    public record ProbeScores(double linear, double nearest, double linearFewLabels, double nearestFewLabels) {}

    /** The label fraction of the periodic probe's second pair of figures: 1% (100 of 10,000 rows, 10 per class). */
    public static final double PROBE_LABEL_FRACTION = 0.01;

    /**
     * The periodic probe (BigBiGAN, Appendix: monitor representation quality during training with a freshly trained
     * linear classifier): for raw pixels and each encoder feature space (BigBiGAN's pooled features also after
     * {@link BatchNormCrelu}), the top-1 accuracy on {@code splits.test()} of a linear probe trained from scratch on
     * {@code splits.train()}, and of 1-NN with {@code splits.train()} as neighbours; then both again with only a
     * class-balanced {@link #PROBE_LABEL_FRACTION} of {@code splits.train()} ({@link #balancedSubset}, seeded with
     * {@code seed}). Raw pixels come first.
     */
    public static Map<String, ProbeScores> probe(TrainedModel model, DatasetSplits splits, long seed, int batch) {
        try (StepScope s = StepScope.open()) {
            var train = EncoderFeatures.extract(model, splits.train(), batch);
            var test = EncoderFeatures.extract(model, splits.test(), batch);
            var knn = KNearestNeighbors.Config.defaults().withKs(1);
            var linear = LinearProbe.Config.defaults().withSeed(seed);
            long[] keep = balancedSubset(io.bigbigan.bindings.Tensors.toLongs(train.labels()), PROBE_LABEL_FRACTION, seed);
            Tensor idx = io.bigbigan.bindings.Tensors.ofLongs(keep, keep.length);                   // [n]
            Map<String, ProbeScores> out = new LinkedHashMap<>();
            featureSets(train, test).forEach((name, fs) -> {
                var few = fs.withTrainRows(idx);
                out.put(name, new ProbeScores(LinearProbe.evaluate(fs, linear).testTop1(),
                        KNearestNeighbors.evaluate(fs, knn).accuracy(1), LinearProbe.evaluate(few, linear).testTop1(),
                        KNearestNeighbors.evaluate(few, knn).accuracy(1)));
            });
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

    /**
     * What {@link #evaluate} runs, by name: {@code Options.defaults().knnGrid(true).batch(64)}; every setting not named
     * keeps its default.
     *
     * @param knn            k-NN classifiers (default on)
     * @param linear         the linear probe (default on)
     * @param knnGrid        k-NN also with both metrics and both vote rules ({@link Report#gridTable()}; default off)
     * @param batch          images per forward pass ({@code --eval-batch}; 0, the default: the model's
     *                       {@link EncoderFeatures#defaultBatch})
     * @param labelFractions the same classifiers again for each of these fractions of the training labels
     *                       ({@link #balancedSubset}), reusing the features (default: none)
     * @param progress       receives progress messages (default: nothing)
     */
    public record Options(boolean knn, boolean linear, boolean knnGrid, int batch, List<Double> labelFractions,
                          Consumer<String> progress) {
        public Options {
            if (batch < 0) throw new IllegalArgumentException("--eval-batch must be at least 1, got " + batch);
            labelFractions = List.copyOf(labelFractions);
            java.util.Objects.requireNonNull(progress, "progress");
        }

        /** k-NN and the linear probe, no grid, the model's default batch, no label fractions, no progress. */
        public static Options defaults() {
            return new Options(true, true, false, 0, List.of(), msg -> {});
        }

        public Options knn(boolean v) { return new Options(v, linear, knnGrid, batch, labelFractions, progress); }
        public Options linear(boolean v) { return new Options(knn, v, knnGrid, batch, labelFractions, progress); }
        public Options knnGrid(boolean v) { return new Options(knn, linear, v, batch, labelFractions, progress); }
        public Options batch(int v) { return new Options(knn, linear, knnGrid, v, labelFractions, progress); }
        public Options labelFractions(List<Double> v) { return new Options(knn, linear, knnGrid, batch, v, progress); }
        public Options progress(Consumer<String> v) { return new Options(knn, linear, knnGrid, batch, labelFractions, v); }
    }

    /** Evaluates with the default k-NN and linear-probe settings. */
    public static Report evaluate(TrainedModel model, DatasetSplits splits, long seed) {
        return evaluate(model, splits, seed, Options.defaults());
    }

    /**
     * Evaluates k-NN and/or the linear probe on every feature space of {@code model} (and raw pixels), as
     * {@code options} say. BigBiGAN's pooled features are also evaluated after {@link BatchNormCrelu} (row
     * "E pooled BN+CReLU").
     */
    public static Report evaluate(TrainedModel model, DatasetSplits splits, long seed, Options options) {
        boolean knn = options.knn(), linear = options.linear(), knnGrid = options.knnGrid();
        int batch = options.batch() > 0 ? options.batch() : EncoderFeatures.defaultBatch(model.config());
        Consumer<String> progress = options.progress();
        List<Double> labelFractions = options.labelFractions();
        try (StepScope s = StepScope.open()) {
            var train = EncoderFeatures.extract(model, splits.train(), batch);
            var test = EncoderFeatures.extract(model, splits.test(), batch);
            Map<String, FeatureSet> spaces = featureSets(train, test);
            var config = new RepresentationReport.Config(knn ? KNearestNeighbors.Config.defaults() : null,
                    linear ? LinearProbe.Config.defaults().withSeed(seed) : null, knnGrid);
            var rows = RepresentationReport.run(spaces, config, progress);
            List<LabelFraction> fractions = new java.util.ArrayList<>();
            long[] labels = io.bigbigan.bindings.Tensors.toLongs(train.labels());
            for (double f : labelFractions) {
                long[] keep = balancedSubset(labels, f, seed);
                Tensor idx = io.bigbigan.bindings.Tensors.ofLongs(keep, keep.length);               // [n]
                Map<String, FeatureSet> subset = new LinkedHashMap<>();
                spaces.forEach((name, fs) -> subset.put(name, fs.withTrainRows(idx)));
                progress.accept(String.format(java.util.Locale.ROOT,
                        "label fraction %s: %d labelled training images", f, keep.length));
                fractions.add(new LabelFraction(f, keep.length, RepresentationReport.run(subset,
                        config.withKnnGrid(false), progress)));
            }
            return new Report(rows, fractions);
        }
    }
}
