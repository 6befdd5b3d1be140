package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearProbeTest {
    private static final int CLASSES = 5, DIM = 20;

    /** Five Gaussian clusters in 20-d: class means drawn once (std 1.5 per coordinate), unit noise. */
    static FeatureSet clusters(int trainRows, int testRows, long seed, boolean shuffleTrainLabels) {
        Random rnd = new Random(seed);
        double[][] means = new double[CLASSES][DIM];
        for (double[] m : means) for (int j = 0; j < DIM; j++) m[j] = 1.5 * rnd.nextGaussian();
        float[] tr = new float[trainRows * DIM], te = new float[testRows * DIM];
        long[] ytr = new long[trainRows], yte = new long[testRows];
        fill(rnd, means, tr, ytr);
        fill(rnd, means, te, yte);
        if (shuffleTrainLabels)
            for (int i = trainRows - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                long t = ytr[i];
                ytr[i] = ytr[j];
                ytr[j] = t;
            }
        return new FeatureSet(Tensors.of(tr, trainRows, DIM), Tensors.ofLongs(ytr, trainRows),
                Tensors.of(te, testRows, DIM), Tensors.ofLongs(yte, testRows));
    }

    private static void fill(Random rnd, double[][] means, float[] x, long[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] = i % CLASSES;
            for (int j = 0; j < DIM; j++) x[i * DIM + j] = (float) (means[(int) y[i]][j] + rnd.nextGaussian());
        }
    }

    @Test
    void separableClustersAreLearned() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = clusters(3000, 1000, 1, false);
            LinearProbe.Result r = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withEpochs(10));
            System.out.printf("clusters: holdout %.4f, test top-1 %.4f, lr %s, epoch %d, %.2f s%n",
                    r.holdoutAccuracy(), r.testTop1(), r.bestLearningRate(), r.bestEpoch(), r.seconds());
            assertTrue(r.testTop1() > 0.95, "test top-1 " + r.testTop1());
            assertTrue(r.holdoutAccuracy() > 0.95, "held-out " + r.holdoutAccuracy());
            assertEquals(5, r.numClasses());
            assertEquals(20, r.dim());
            assertEquals(300, r.holdoutRows());
            assertEquals(2700, r.fitRows());
            assertTrue(Double.isNaN(r.testTop5()), "top-5 is reported only for more than 5 classes");
            assertTrue(r.bestEpoch() >= 1 && r.bestEpoch() <= 10);
            assertTrue(LinearProbe.Config.defaults().learningRates().contains(r.bestLearningRate()));
            assertEquals(3, r.holdoutByLearningRate().size());
        }
    }

    @Test
    void averagedAndLiveWeightsBothLearn() {
        assertEquals(0.99, LinearProbe.Config.defaults().emaDecay());
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = clusters(3000, 1000, 1, false);
            for (double decay : new double[]{0.0, 0.99, 0.999}) {
                LinearProbe.Result r = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withEpochs(5)
                        .withEmaDecay(decay));
                assertTrue(r.testTop1() > 0.95, "decay " + decay + ": test top-1 " + r.testTop1());
            }
        }
    }

    @Test
    void shuffledLabelsStayNearChance() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = clusters(3000, 1000, 2, true);
            LinearProbe.Result r = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withEpochs(10));
            System.out.printf("shuffled: holdout %.4f, test top-1 %.4f%n", r.holdoutAccuracy(), r.testTop1());
            assertTrue(r.testTop1() < 0.30, "chance is 0.20, got " + r.testTop1());
        }
    }

    @Test
    void zeroEpochsScoresTheZeroInitialisedClassifier() {
        try (StepScope _ = StepScope.open()) {
            // test labels: 3 of class 2, 1 of class 0, 1 of class 1 -> an all-zero classifier predicts class 0
            Tensor x = Tensors.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 2);
            Tensor y = Tensors.ofLongs(new long[]{2, 2, 0, 2, 1}, 5);
            FeatureSet tiny = new FeatureSet(Tensors.of(new float[40], 20, 2), Tensors.ofLongs(new long[20], 20), x, y);
            LinearProbe.Result r = LinearProbe.evaluate(tiny, LinearProbe.Config.defaults().withEpochs(0));
            assertEquals(0.2, r.testTop1(), 1e-12);
            assertEquals(1.0, r.holdoutAccuracy(), 1e-12);   // held-out labels are all 0
            assertEquals(0, r.bestEpoch());
            assertTrue(Double.isNaN(r.bestLearningRate()));

            FeatureSet fs = clusters(600, 200, 3, false);
            long zeros = java.util.Arrays.stream(Tensors.toLongs(fs.testLabels())).filter(v -> v == 0).count();
            LinearProbe.Result base = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withEpochs(0));
            assertEquals(zeros / 200.0, base.testTop1(), 1e-12);
        }
    }

    @Test
    void sameSeedGivesIdenticalResultsAndOtherSeedsDiffer() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = clusters(2000, 500, 4, false);
            // a noisy problem (shuffled labels), where another split visibly changes the held-out accuracies
            FeatureSet noisy = clusters(2000, 500, 5, true);
            LinearProbe.Config c = LinearProbe.Config.defaults().withEpochs(4).withL2(1e-3).withSeed(42);
            LinearProbe.Result a = LinearProbe.evaluate(fs, c);
            LinearProbe.Result b = LinearProbe.evaluate(fs, c);
            assertEquals(a.testTop1(), b.testTop1());
            assertEquals(a.holdoutAccuracy(), b.holdoutAccuracy());
            assertEquals(a.bestEpoch(), b.bestEpoch());
            assertEquals(a.bestLearningRate(), b.bestLearningRate());
            assertEquals(a.holdoutByLearningRate(), b.holdoutByLearningRate());

            LinearProbe.Result n1 = LinearProbe.evaluate(noisy, c);
            LinearProbe.Result n2 = LinearProbe.evaluate(noisy, c);
            LinearProbe.Result n3 = LinearProbe.evaluate(noisy, c.withSeed(43));
            assertEquals(n1.testTop1(), n2.testTop1());
            assertEquals(n1.holdoutByLearningRate(), n2.holdoutByLearningRate());
            assertNotEquals(n1.holdoutByLearningRate(), n3.holdoutByLearningRate(), "another seed holds out other rows");
        }
    }

    @Test
    void topFiveIsReportedForMoreThanFiveClasses() {
        Random rnd = new Random(9);
        int n = 800, m = 200, d = 12, k = 8;
        float[] tr = new float[n * d], te = new float[m * d];
        long[] ytr = new long[n], yte = new long[m];
        for (int i = 0; i < n; i++) {
            ytr[i] = i % k;
            for (int j = 0; j < d; j++) tr[i * d + j] = (float) (rnd.nextGaussian() + (j == ytr[i] ? 1.0 : 0));
        }
        for (int i = 0; i < m; i++) {
            yte[i] = i % k;
            for (int j = 0; j < d; j++) te[i * d + j] = (float) (rnd.nextGaussian() + (j == yte[i] ? 1.0 : 0));
        }
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = new FeatureSet(Tensors.of(tr, n, d), Tensors.ofLongs(ytr, n), Tensors.of(te, m, d),
                    Tensors.ofLongs(yte, m));
            LinearProbe.Result r = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withEpochs(5));
            assertEquals(8, r.numClasses());
            assertTrue(r.testTop5() >= r.testTop1(), r.testTop5() + " < " + r.testTop1());
            assertTrue(r.testTop5() > 0.8, "top-5 " + r.testTop5());
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withEpochs(-1));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withEmaDecay(1.0));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withEmaDecay(-0.1));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withLearningRates());
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withLearningRates(-1.0));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withL2(-1));
        try (StepScope _ = StepScope.open()) {
            FeatureSet one = new FeatureSet(Tensors.zeros(1, 2), Tensors.ofLongs(new long[]{0}, 1),
                    Tensors.zeros(1, 2), Tensors.ofLongs(new long[]{0}, 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LinearProbe.evaluate(one, LinearProbe.Config.defaults()));
            assertTrue(e.getMessage().contains("cannot hold out"), e.getMessage());
        }
    }
}
