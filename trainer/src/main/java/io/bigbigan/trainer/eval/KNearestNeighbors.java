package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * k-nearest-neighbour classification of frozen features, for several {@code k} in one pass.
 *
 * <p>Test rows are processed in batches of {@link Config#batchSize()}: for each batch the similarity to every train
 * row is one matrix product ({@code ||t||^2 - 2 q.t} for L2, the dot product of unit vectors for cosine),
 * {@code topk} keeps the {@code max(k)} nearest train rows, and the votes for every {@code k} are taken from that
 * one sorted neighbour list. Only a {@code [batchSize, N]} block exists at any time (512 x 60000 floats = 123 MB),
 * and each batch runs in its own {@link StepScope}.
 *
 * <p><b>Votes.</b> {@link Vote#MAJORITY}: the class with most of the {@code k} neighbours wins; a tie between
 * classes goes to the tied class that holds the <em>nearest</em> neighbour among them (so for {@code k = 2} with one
 * neighbour of each class, the nearer one wins). {@link Vote#DISTANCE_WEIGHTED}: every neighbour votes with weight
 * {@code 1 / (d + 1e-6)} ({@code d} the L2 distance, or {@code 1 - cos} for cosine); the (rare) exact ties go to
 * the smallest class index. Among the max-k nearest rows, neighbours at exactly equal distance are ordered by train
 * row (the lower row counts as nearer), so the votes do not depend on how {@code topk} orders ties.
 *
 * <pre>{@code
 * KNearestNeighbors.Result r = KNearestNeighbors.evaluate(features, KNearestNeighbors.Config.defaults());
 * double oneNn = r.accuracy(1);
 * }</pre>
 */
public final class KNearestNeighbors {
    private KNearestNeighbors() {}

    /** How closeness of two feature vectors is measured. */
    public enum Metric {
        /** Euclidean distance. */
        L2,
        /** Cosine similarity (rows are L2-normalised first); distance {@code 1 - cos}. */
        COSINE
    }

    /** How the {@code k} neighbours' labels are combined. */
    public enum Vote {
        /** One vote per neighbour; ties go to the tied class holding the nearest neighbour. */
        MAJORITY,
        /** Votes weighted by {@code 1 / (distance + 1e-6)}; exact ties go to the smallest class index. */
        DISTANCE_WEIGHTED
    }

    /**
     * Settings of one k-NN evaluation.
     *
     * @param ks        the neighbour counts to report, each {@code >= 1} (sorted and de-duplicated)
     * @param metric    distance measure
     * @param vote      vote rule
     * @param batchSize test rows per batch; memory is about {@code 4 * batchSize * N} bytes
     */
    public record Config(List<Integer> ks, Metric metric, Vote vote, int batchSize) {
        public Config {
            if (ks == null || ks.isEmpty()) throw new IllegalArgumentException("k-NN needs at least one k");
            for (Integer k : ks)
                if (k == null || k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
            ks = List.copyOf(new TreeSet<>(ks));
            if (metric == null || vote == null) throw new IllegalArgumentException("metric and vote are required");
            if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }

        /** k = {1, 5, 20, 200}, L2, majority vote, batches of 512 test rows. */
        public static Config defaults() {
            return new Config(List.of(1, 5, 20, 200), Metric.L2, Vote.MAJORITY, 512);
        }

        /** This configuration without the neighbour counts above {@code n} (at least k = 1 stays). */
        public Config upTo(long n) {
            List<Integer> kept = ks.stream().filter(k -> k <= n).toList();
            return new Config(kept.isEmpty() ? List.of(1) : kept, metric, vote, batchSize);
        }

        /** This configuration with other neighbour counts. */
        public Config withKs(Integer... newKs) {
            return new Config(List.of(newKs), metric, vote, batchSize);
        }

        /** This configuration with another metric. */
        public Config withMetric(Metric m) {
            return new Config(ks, m, vote, batchSize);
        }

        /** This configuration with another vote rule. */
        public Config withVote(Vote v) {
            return new Config(ks, metric, v, batchSize);
        }

        /** This configuration with another test batch size. */
        public Config withBatchSize(int b) {
            return new Config(ks, metric, vote, b);
        }

        int maxK() {
            return ks.getLast();
        }
    }

    /**
     * Accuracies of one evaluation.
     *
     * @param metric     the distance measure used
     * @param vote       the vote rule used
     * @param accuracyByK accuracy in [0, 1] for each k, ascending k
     * @param testRows   number of test rows classified
     * @param seconds    wall time of the evaluation
     */
    public record Result(Metric metric, Vote vote, SortedMap<Integer, Double> accuracyByK, long testRows,
                         double seconds) {
        public Result {
            accuracyByK = Collections.unmodifiableSortedMap(new TreeMap<>(accuracyByK));
        }

        /**
         * The accuracy for {@code k}.
         *
         * @throws IllegalArgumentException when {@code k} was not evaluated
         */
        public double accuracy(int k) {
            Double a = accuracyByK.get(k);
            if (a == null)
                throw new IllegalArgumentException("k = " + k + " was not evaluated; available: " + accuracyByK.keySet());
            return a;
        }
    }

    /**
     * Classifies every test row of {@code data} by its nearest train rows and returns the accuracy per k.
     *
     * @throws IllegalArgumentException when a k exceeds the number of train rows (shape problems are caught when
     *                                  the {@link FeatureSet} is built)
     */
    public static Result evaluate(FeatureSet data, Config config) {
        long start = System.nanoTime();
        long[] correct = new long[config.ks().size()];
        // the sink runs inside the batch's StepScope
        run(data.train(), data.trainLabels(), data.test(), config, (offset, predictions) -> {
            Tensor truth = data.testLabels().narrow(0, offset, predictions[0].size(0));     // [B]
            for (int i = 0; i < predictions.length; i++)
                correct[i] += predictions[i].eq(truth).sum().item_long();
        });
        Map<Integer, Double> acc = new LinkedHashMap<>();
        for (int i = 0; i < correct.length; i++)
            acc.put(config.ks().get(i), correct[i] / (double) data.testRows());
        return new Result(config.metric(), config.vote(), new TreeMap<>(acc), data.testRows(),
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * Predicts the class of every query row for each configured k.
     *
     * @param train       float32 {@code [N, D]}
     * @param trainLabels int64 {@code [N]}, classes {@code 0..K-1}
     * @param queries     float32 {@code [M, D]}
     * @return for each k (ascending), the predicted class of each query row
     * @throws IllegalArgumentException on mismatched shapes or dtypes, or a k larger than {@code N}
     */
    public static SortedMap<Integer, long[]> predict(Tensor train, Tensor trainLabels, Tensor queries, Config config) {
        FeatureSet.checkFeaturesAndLabels("train", train, trainLabels);
        if (queries == null || queries.dim() != 2 || queries.size(1) != train.size(1)
                || queries.scalar_type().intern() != torch.ScalarType.Float)
            throw new IllegalArgumentException("queries must be float32 [M, " + train.size(1) + "], got "
                    + (queries == null ? "null" : queries.scalar_type() + " "
                    + java.util.Arrays.toString(Tensors.shape(queries))));
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < config.ks().size(); i++) out.add(new long[Math.toIntExact(queries.size(0))]);
        run(train, trainLabels, queries, config, (offset, predictions) -> {
            for (int i = 0; i < predictions.length; i++) {
                long[] p = Tensors.toLongs(predictions[i]);
                System.arraycopy(p, 0, out.get(i), Math.toIntExact(offset), p.length);
            }
        });
        SortedMap<Integer, long[]> result = new TreeMap<>();
        for (int i = 0; i < out.size(); i++) result.put(config.ks().get(i), out.get(i));
        return result;
    }

    /**
     * Receives the predictions ({@code [B]} int64 per k, ascending k) for the query rows starting at offset; called
     * inside the batch's {@link StepScope}.
     */
    private interface BatchSink {
        void accept(long offset, Tensor[] predictions);
    }

    private static void run(Tensor train, Tensor trainLabels, Tensor queries, Config config, BatchSink sink) {
        long n = train.size(0);
        if (config.maxK() > n)
            throw new IllegalArgumentException("k = " + config.maxK() + " exceeds the " + n + " train rows");
        int kMax = config.maxK();
        try (StepScope _ = StepScope.open(); NoGradGuard _ = new NoGradGuard()) {
            TensorOptions longs = new TensorOptions(torch.ScalarType.Long);
            long numClasses = FeatureSet.maxLabel(trainLabels) + 1;
            boolean cosine = config.metric() == Metric.COSINE;
            Tensor ref = cosine ? unitRows(train.detach()) : train.detach();          // [N, D]
            Tensor refT = ref.t();                                                     // [D, N] view
            Tensor refSq = cosine ? null : ref.mul(ref).sum(1).unsqueeze(0);           // [1, N]
            // Tie-break bonus: rank 0 (nearest) gets kMax, the last rank 1; always < one vote's weight kMax + 1.
            Tensor rankBonus = torch.arange(new Scalar((long) kMax), new Scalar(0L), new Scalar(-1L), longs)
                    .unsqueeze(0);                                                     // [1, kMax]
            long m = queries.size(0);
            for (long offset = 0; offset < m; offset += config.batchSize()) {
                try (StepScope _ = StepScope.open()) {
                    long b = Math.min(config.batchSize(), m - offset);
                    Tensor q = queries.detach().narrow(0, offset, b);                 // [B, D]
                    if (cosine) q = unitRows(q);
                    // L2: ||t||^2 - 2 q.t (||q||^2 is constant per row, added back after topk); cosine: q.t
                    Tensor scores = q.mm(refT);                                        // [B, N]
                    if (!cosine) scores.mul_(new Scalar(-2.0)).add_(refSq);
                    T_TensorTensor_T top = scores.topk(kMax, 1, cosine, true);         // nearest first
                    // equal scores in train-row order: sort by row, then stably by score
                    T_TensorTensor_T byRow = top.get1().sort(1, false);
                    T_TensorTensor_T byScore = top.get0().gather(1, byRow.get1())
                            .sort(new BoolOptional(true), 1, cosine);
                    Tensor nearest = byRow.get0().gather(1, byScore.get1());          // [B, kMax] train rows
                    Tensor topScores = byScore.get0();                                 // [B, kMax]
                    Tensor dist = cosine ? topScores.neg().add(new Scalar(1.0))         // 1 - cos
                            : topScores.add(q.mul(q).sum(new long[]{1}, true, new ScalarTypeOptional()))
                                    .clamp_min(new Scalar(0.0)).sqrt();                // [B, kMax]
                    Tensor labels = trainLabels.index_select(0, nearest.reshape(-1)).view(b, kMax); // [B, kMax]
                    Tensor[] predictions = new Tensor[config.ks().size()];
                    for (int i = 0; i < predictions.length; i++) {
                        int k = config.ks().get(i);
                        Tensor lab = labels.narrow(1, 0, k);                           // [B, k]
                        Tensor score;                                                  // [B, K]
                        if (config.vote() == Vote.MAJORITY) {
                            Tensor counts = torch.zeros(new long[]{b, numClasses}, longs)
                                    .scatter_add_(1, lab, torch.ones(new long[]{b, k}, longs));
                            Tensor bonus = torch.zeros(new long[]{b, numClasses}, longs)
                                    .scatter_reduce_(1, lab, rankBonus.narrow(1, 0, k).expand(b, k).contiguous(), "amax");
                            score = counts.mul(new Scalar(kMax + 1L)).add(bonus);
                        } else {
                            Tensor w = dist.narrow(1, 0, k).add(new Scalar(1e-6)).reciprocal().to(torch.ScalarType.Double);
                            score = torch.zeros(new long[]{b, numClasses}, new TensorOptions(torch.ScalarType.Double))
                                    .scatter_add_(1, lab, w);
                        }
                        predictions[i] = score.argmax(new LongOptional(1), false); // [B]
                    }
                    sink.accept(offset, predictions);
                }
            }
        }
    }

    /** Rows scaled to unit L2 norm (zero rows stay zero). */
    private static Tensor unitRows(Tensor x) {
        Tensor norm = x.mul(x).sum(new long[]{1}, true, new ScalarTypeOptional())
                .sqrt().clamp_min(new Scalar(1e-12));                                  // [R, 1]
        return x.div(norm);
    }
}
