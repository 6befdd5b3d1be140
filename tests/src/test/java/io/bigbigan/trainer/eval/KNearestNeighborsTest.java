package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.eval.KNearestNeighbors.Config;
import io.bigbigan.trainer.eval.KNearestNeighbors.Metric;
import io.bigbigan.trainer.eval.KNearestNeighbors.Vote;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.SortedMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KNearestNeighborsTest {

    /** Points (x, 0) on a line. */
    private static Tensor line(double... xs) {
        float[] v = new float[2 * xs.length];
        for (int i = 0; i < xs.length; i++) v[2 * i] = (float) xs[i];
        return Tensors.of(v, xs.length, 2);
    }

    // train: class 0 at x = 0, 1, 2; class 1 at x = 10, 11, 12.5
    private static final double[] TRAIN_X = {0, 1, 2, 10, 11, 12.5};
    private static final long[] TRAIN_Y = {0, 0, 0, 1, 1, 1};

    @Test
    void exactPredictionsOnALine() {
        try (StepScope _ = StepScope.open()) {
            // query 4: neighbours 2, 1, 0 -> class 0; query 8: 10, 11, 2 -> class 1 (1-NN and 3-NN)
            SortedMap<Integer, long[]> p = KNearestNeighbors.predict(line(TRAIN_X), Tensors.ofLongs(TRAIN_Y, 6),
                    line(4, 8, -3, 20), Config.defaults().withKs(1, 3));
            assertArrayEquals(new long[]{0, 1, 0, 1}, p.get(1));
            assertArrayEquals(new long[]{0, 1, 0, 1}, p.get(3));
            // query 7.2: 10 (2.8), 11 (3.8), 2 (5.2), 12.5 (5.3), 1 (6.2), 0 (7.2) -> class 1 for k = 1, 3, 5
            // query 4.9: 2 (2.9), 1 (3.9), 0 (4.9), 10 (5.1), 11 (6.1), 12.5 (7.6) -> class 0 for k = 1, 3, 5
            SortedMap<Integer, long[]> q = KNearestNeighbors.predict(line(TRAIN_X), Tensors.ofLongs(TRAIN_Y, 6),
                    line(7.2, 4.9), Config.defaults().withKs(1, 3, 5, 6));
            assertArrayEquals(new long[]{1, 0}, q.get(1));
            assertArrayEquals(new long[]{1, 0}, q.get(3));
            assertArrayEquals(new long[]{1, 0}, q.get(5));
            // k = 6 (all train rows): 3:3 tie -> the class of the nearest neighbour
            assertArrayEquals(new long[]{1, 0}, q.get(6));
        }
    }

    @Test
    void tiesGoToTheClassOfTheNearestNeighbourNotTheSmallestIndex() {
        try (StepScope _ = StepScope.open()) {
            // query 6.4: 10 (3.6, class 1), 2 (4.4, class 0), 11 (4.6, class 1), 1 (5.4, class 0)
            // query 5.6: 2 (3.6, class 0), 10 (4.4, class 1), 1 (4.6, class 0), 11 (5.4, class 1)
            SortedMap<Integer, long[]> p = KNearestNeighbors.predict(line(TRAIN_X), Tensors.ofLongs(TRAIN_Y, 6),
                    line(6.4, 5.6), Config.defaults().withKs(2, 4));
            // k=2: 1:1 tie; k=4: 2:2 tie -> nearest neighbour's class (1 for 6.4, 0 for 5.6)
            assertArrayEquals(new long[]{1, 0}, p.get(2));
            assertArrayEquals(new long[]{1, 0}, p.get(4));

            // three classes, one neighbour each: the nearest one (class 2) wins
            Tensor train = line(0, 3, 5.5);
            Tensor labels = Tensors.ofLongs(new long[]{1, 0, 2}, 3);
            long[] three = KNearestNeighbors.predict(train, labels, line(5), Config.defaults().withKs(3)).get(3);
            assertArrayEquals(new long[]{2}, three);
        }
    }

    @Test
    void distanceWeightingOverridesTheMajority() {
        try (StepScope _ = StepScope.open()) {
            // query 5.1: 5 (0.1, class 1), 8 (2.9, class 0), 8.5 (3.4, class 0)
            Tensor train = line(5, 8, 8.5);
            Tensor labels = Tensors.ofLongs(new long[]{1, 0, 0}, 3);
            Config c = Config.defaults().withKs(3);
            assertArrayEquals(new long[]{0}, KNearestNeighbors.predict(train, labels, line(5.1), c).get(3));
            assertArrayEquals(new long[]{1}, KNearestNeighbors.predict(train, labels, line(5.1),
                    c.withVote(Vote.DISTANCE_WEIGHTED)).get(3));
        }
    }

    @Test
    void l2AndCosineDisagreeOnACraftedCase() {
        try (StepScope _ = StepScope.open()) {
            // class 0 at (1, 0), class 1 at (10, 1); query (9, 0): L2 nearest is (10, 1), same direction is (1, 0)
            Tensor train = Tensors.of(new float[]{1, 0, 10, 1}, 2, 2);
            Tensor labels = Tensors.ofLongs(new long[]{0, 1}, 2);
            Tensor query = Tensors.of(new float[]{9, 0}, 1, 2);
            Config c = Config.defaults().withKs(1);
            assertArrayEquals(new long[]{1}, KNearestNeighbors.predict(train, labels, query, c).get(1));
            assertArrayEquals(new long[]{0}, KNearestNeighbors.predict(train, labels, query,
                    c.withMetric(Metric.COSINE)).get(1));
        }
    }

    @Test
    void batchingDoesNotChangeTheAnswerAndMatchesBruteForce() {
        Random rnd = new Random(7);
        int n = 300, m = 101, d = 16, classes = 4;
        float[] tr = new float[n * d], te = new float[m * d];
        long[] ytr = new long[n], yte = new long[m];
        for (int i = 0; i < n; i++) {
            ytr[i] = rnd.nextInt(classes);
            for (int j = 0; j < d; j++) tr[i * d + j] = (float) (rnd.nextGaussian() + (j == ytr[i] ? 2 : 0));
        }
        for (int i = 0; i < m; i++) {
            yte[i] = rnd.nextInt(classes);
            for (int j = 0; j < d; j++) te[i * d + j] = (float) (rnd.nextGaussian() + (j == yte[i] ? 2 : 0));
        }
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = new FeatureSet(Tensors.of(tr, n, d), Tensors.ofLongs(ytr, n),
                    Tensors.of(te, m, d), Tensors.ofLongs(yte, m));
            for (Metric metric : Metric.values()) {
                for (Vote vote : Vote.values()) {
                    Config one = new Config(List.of(1, 5, 20), metric, vote, 1000);
                    Config small = one.withBatchSize(7);
                    SortedMap<Integer, long[]> a = KNearestNeighbors.predict(fs.train(), fs.trainLabels(), fs.test(), one);
                    SortedMap<Integer, long[]> b = KNearestNeighbors.predict(fs.train(), fs.trainLabels(), fs.test(), small);
                    for (int k : List.of(1, 5, 20)) assertArrayEquals(a.get(k), b.get(k), metric + "/" + vote + " k=" + k);
                    KNearestNeighbors.Result ra = KNearestNeighbors.evaluate(fs, one);
                    KNearestNeighbors.Result rb = KNearestNeighbors.evaluate(fs, small);
                    assertEquals(ra.accuracyByK(), rb.accuracyByK());
                    assertTrue(ra.accuracy(20) > 0.5, "clustered data should be mostly right: " + ra.accuracyByK());
                }
            }
            // brute force in Java: L2, majority vote with the nearest-neighbour tie rule
            SortedMap<Integer, long[]> p = KNearestNeighbors.predict(fs.train(), fs.trainLabels(), fs.test(),
                    Config.defaults().withKs(1, 5));
            for (int q = 0; q < m; q++) {
                Integer[] order = new Integer[n];
                double[] dist = new double[n];
                for (int i = 0; i < n; i++) {
                    order[i] = i;
                    double acc = 0;
                    for (int j = 0; j < d; j++) {
                        double diff = te[q * d + j] - tr[i * d + j];
                        acc += diff * diff;
                    }
                    dist[i] = acc;
                }
                java.util.Arrays.sort(order, (x, y) -> Double.compare(dist[x], dist[y]));
                assertEquals(ytr[order[0]], p.get(1)[q], "1-NN of query " + q);
                int[] votes = new int[classes];
                for (int r = 0; r < 5; r++) votes[(int) ytr[order[r]]]++;
                int max = java.util.Arrays.stream(votes).max().orElseThrow();
                long expected = -1;
                for (int r = 0; r < 5 && expected < 0; r++) if (votes[(int) ytr[order[r]]] == max) expected = ytr[order[r]];
                assertEquals(expected, p.get(5)[q], "5-NN of query " + q);
            }
        }
    }

    @Test
    void shapeProblemsAreReportedClearly() {
        try (StepScope _ = StepScope.open()) {
            Tensor train = Tensors.zeros(4, 3);
            Tensor labels = Tensors.ofLongs(new long[]{0, 1, 0, 1}, 4);
            IllegalArgumentException dims = assertThrows(IllegalArgumentException.class,
                    () -> new FeatureSet(train, labels, Tensors.zeros(2, 5), Tensors.ofLongs(new long[]{0, 1}, 2)));
            assertTrue(dims.getMessage().contains("feature dimensions differ"), dims.getMessage());
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> new FeatureSet(train, Tensors.ofLongs(new long[]{0, 1, 0}, 3), train, labels));
            assertTrue(count.getMessage().contains("3 labels for 4 feature rows"), count.getMessage());
            IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                    () -> new FeatureSet(train, Tensors.of(new float[]{0, 1, 0, 1}, 4), train, labels));
            assertTrue(dtype.getMessage().contains("int64"), dtype.getMessage());
            IllegalArgumentException bigK = assertThrows(IllegalArgumentException.class,
                    () -> KNearestNeighbors.evaluate(new FeatureSet(train, labels, train, labels),
                            Config.defaults().withKs(1, 5)));
            assertTrue(bigK.getMessage().contains("exceeds the 4 train rows"), bigK.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Config.defaults().withKs(0));
            IllegalArgumentException query = assertThrows(IllegalArgumentException.class,
                    () -> KNearestNeighbors.predict(train, labels, Tensors.zeros(2, 4), Config.defaults().withKs(1)));
            assertTrue(query.getMessage().contains("[M, 3]"), query.getMessage());
        }
    }
}
