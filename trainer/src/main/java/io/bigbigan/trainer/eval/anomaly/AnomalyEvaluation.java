package io.bigbigan.trainer.eval.anomaly;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.RandomSubset;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one-class protocol of GAN-based anomaly detection (EGBAD, Zenati et al. 2018; ALAD, ICDM 2018): a model
 * trained on the normal classes only scores every test image; the anomaly classes are the positives. Reports AUROC
 * and average precision (AUPRC) per {@link ScoreKind} beside two raw-pixel baselines computed on the same images:
 * the distance to the k-th nearest normal training image, and the error of a PCA of the normal training images.
 */
public final class AnomalyEvaluation {
    private AnomalyEvaluation() {}

    /**
     * How to run the protocol.
     *
     * @param anomalyClasses the positive classes (label indices)
     * @param kinds          the score kinds to report (each must be supported by the scorer)
     * @param batch          images per forward pass
     * @param knnK           the k of the k-th nearest normal training image baseline
     * @param pcaVariance    the variance fraction the PCA baseline keeps
     * @param maxReference   at most this many normal training images (a seeded random subset) for the baselines
     */
    public record Settings(Set<Integer> anomalyClasses, List<ScoreKind> kinds, int batch, int knnK, double pcaVariance,
                           int maxReference) {
        public Settings {
            anomalyClasses = java.util.Collections.unmodifiableSet(new TreeSet<>(anomalyClasses));
            kinds = List.copyOf(kinds);
            if (anomalyClasses.isEmpty()) throw new IllegalArgumentException("--anomaly-classes: name at least one class");
            if (knnK < 1) throw new IllegalArgumentException("k-NN baseline: k must be at least 1, got " + knnK);
            if (maxReference < 1) throw new IllegalArgumentException("reference images must be at least 1");
        }

        /** The defaults: k = 1, 90% of the variance, up to 20000 reference images. */
        public static Settings of(Set<Integer> anomalyClasses, List<ScoreKind> kinds, int batch) {
            return new Settings(anomalyClasses, kinds, batch, 1, 0.9, 20_000);
        }
    }

    /** One row of the table: a score's detection figures. */
    public record Row(String name, String formula, double auroc, double auprc) {}

    /**
     * The protocol's result.
     *
     * @param rows        the model's score kinds, then the baselines
     * @param scores      every test image's score per row name, in test order
     * @param anomalous   whether each test image is in an anomaly class
     * @param normalTrain the normal training images the baselines used
     * @param pcaComponents the components the PCA baseline kept
     */
    public record Result(List<Row> rows, Map<String, double[]> scores, boolean[] anomalous, int normalTrain,
                         int pcaComponents, Set<Integer> anomalyClasses) {
        /** The positive rate of the test split (the AUPRC of a random score). */
        public double anomalyRate() {
            int p = 0;
            for (boolean a : anomalous) if (a) p++;
            return p / (double) anomalous.length;
        }

        /** The printed table. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "anomaly detection (anomaly classes %s: %d of %d test images, rate %.3f;"
                            + " baselines on %d normal training images)%n", anomalyClasses, count(), anomalous.length,
                    anomalyRate(), normalTrain));
            sb.append(String.format(Locale.ROOT, "  %-14s %-36s %7s %7s%n", "score", "", "AUROC", "AUPRC"));
            for (Row r : rows)
                sb.append(String.format(Locale.ROOT, "  %-14s %-36s %7.4f %7.4f%n", r.name(), r.formula(), r.auroc(), r.auprc()));
            return sb.toString();
        }

        /** The figures as JSON-ready data. */
        public Map<String, Object> data() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("anomaly_classes", List.copyOf(anomalyClasses));
            m.put("test_images", anomalous.length);
            m.put("anomalous_images", count());
            m.put("normal_train_images", normalTrain);
            m.put("pca_components", pcaComponents);
            List<Map<String, Object>> list = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("score", r.name());
                row.put("formula", r.formula());
                row.put("auroc", r.auroc());
                row.put("auprc", r.auprc());
                list.add(row);
            }
            m.put("rows", list);
            return m;
        }

        private int count() {
            int p = 0;
            for (boolean a : anomalous) if (a) p++;
            return p;
        }
    }

    /** Row name of the k-th nearest neighbour baseline. */
    public static final String PIXEL_KNN = "pixel-knn";
    /** Row name of the PCA baseline. */
    public static final String PIXEL_PCA = "pixel-pca";

    /**
     * Runs the protocol: scores the test split of {@code splits} with {@code scorer}, and the baselines against
     * the training split's normal images (those outside the anomaly classes).
     *
     * @throws IllegalArgumentException when an anomaly class does not exist, or the test split lacks normal or
     *                                  anomalous images
     */
    public static Result run(AnomalyScores scorer, DatasetSplits splits, Settings settings) {
        ImageDataset test = splits.test(), train = splits.train();
        for (int c : settings.anomalyClasses())
            if (c >= test.numClasses())
                throw new IllegalArgumentException("--anomaly-classes: class " + c + " does not exist in " + test.name()
                        + " (classes 0.." + (test.numClasses() - 1) + ")");
        boolean[] anomalous = new boolean[test.size()];
        for (int i = 0; i < anomalous.length; i++) anomalous[i] = settings.anomalyClasses().contains(test.label(i));
        Map<String, double[]> scores = new LinkedHashMap<>();
        List<Row> rows = new ArrayList<>();
        Map<ScoreKind, double[]> model = scorer.score(test, settings.kinds(), settings.batch());
        for (ScoreKind k : settings.kinds()) {
            double[] s = model.get(k);
            scores.put(k.id(), s);
            rows.add(new Row(k.id(), k.formula(), RankMetrics.auroc(s, anomalous), RankMetrics.averagePrecision(s, anomalous)));
        }
        int normalTrain;
        int components;
        try (StepScope sc = StepScope.open()) {
            List<Long> normal = new ArrayList<>();
            for (int i = 0; i < train.size(); i++)
                if (!settings.anomalyClasses().contains(train.label(i))) normal.add((long) i);
            if (normal.isEmpty()) throw new IllegalArgumentException("--anomaly-classes: no normal training image is left");
            List<Long> picked = normal;
            if (normal.size() > settings.maxReference()) {
                Tensor perm = RandomSubset.indices(normal.size(), settings.maxReference(), RandomSubset.RECONSTRUCTION_SEED);
                long[] p = io.bigbigan.bindings.Tensors.toLongs(perm);
                picked = new ArrayList<>();
                for (long q : p) picked.add(normal.get(Math.toIntExact(q)));
            }
            normalTrain = picked.size();
            long[] idx = picked.stream().mapToLong(Long::longValue).toArray();
            Tensor reference = train.batch(io.bigbigan.bindings.Tensors.ofLongs(idx, idx.length)).flatten(1, -1);  // [N, D]
            Tensor queries = test.all().flatten(1, -1);                                // [M, D]
            double[] knn = PixelBaselines.kthNearestDistance(reference, queries, Math.min(settings.knnK(), normalTrain));
            var pca = PixelBaselines.pca(reference, queries, settings.pcaVariance());
            components = pca.components();
            scores.put(PIXEL_KNN, knn);
            rows.add(new Row(PIXEL_KNN, "distance to nearest normal (k=" + settings.knnK() + ")",
                    RankMetrics.auroc(knn, anomalous), RankMetrics.averagePrecision(knn, anomalous)));
            scores.put(PIXEL_PCA, pca.errors());
            rows.add(new Row(PIXEL_PCA, String.format(Locale.ROOT, "PCA error (%d comp., %.0f%% var.)", pca.components(),
                    100 * pca.explained()), RankMetrics.auroc(pca.errors(), anomalous),
                    RankMetrics.averagePrecision(pca.errors(), anomalous)));
        }
        return new Result(rows, scores, anomalous, normalTrain, components, settings.anomalyClasses());
    }
}
