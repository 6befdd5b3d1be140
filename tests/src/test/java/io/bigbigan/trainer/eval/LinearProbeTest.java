package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
            LinearProbe.Result r = LinearProbe.evaluate(fs, LinearProbe.Config.defaults());
            System.out.printf("clusters: holdout %.4f, test top-1 %.4f, l2 %s, %d iterations, %.2f s%n",
                    r.holdoutAccuracy(), r.testTop1(), r.bestL2(), r.iterations(), r.seconds());
            assertTrue(r.testTop1() > 0.95, "test top-1 " + r.testTop1());
            assertTrue(r.holdoutAccuracy() > 0.95, "held-out " + r.holdoutAccuracy());
            assertEquals(5, r.numClasses());
            assertEquals(20, r.dim());
            assertEquals(300, r.holdoutRows());
            assertEquals(2700, r.fitRows());
            assertTrue(Double.isNaN(r.testTop5()), "top-5 is reported only for more than 5 classes");
            assertTrue(r.converged(), "the refit converges");
            assertTrue(LinearProbe.Config.defaults().l2Grid().contains(r.bestL2()));
            assertEquals(r.holdoutAccuracy(), r.holdoutByL2().get(r.bestL2()));
        }
    }

    @Test
    void shuffledLabelsStayNearChance() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = clusters(3000, 1000, 2, true);
            LinearProbe.Result r = LinearProbe.evaluate(fs, LinearProbe.Config.defaults());
            System.out.printf("shuffled: holdout %.4f, test top-1 %.4f%n", r.holdoutAccuracy(), r.testTop1());
            assertTrue(r.testTop1() < 0.30, "chance is 0.20, got " + r.testTop1());
        }
    }

    /**
     * The objective's gradient matches central differences, and the fit is its minimiser: the gradient vanishes and
     * random perturbations of the weights raise the objective.
     */
    @Test
    void theFitIsTheMinimiserOfThePenalisedLoss() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = clusters(400, 10, 3, true);           // overlapping classes: a finite optimum
            SoftmaxRegression f = new SoftmaxRegression(fs.train().to(org.bytedeco.pytorch.global.torch.ScalarType.Double),
                    fs.trainLabels(), null, CLASSES).l2(1e-2);
            Random rnd = new Random(4);
            double[] at = new double[f.size()], g = new double[f.size()];
            for (int i = 0; i < at.length; i++) at[i] = 0.3 * rnd.nextGaussian();
            f.evaluate(at, g);
            for (int i : new int[]{0, 7, 42, f.size() - 1}) {
                double[] plus = at.clone(), minus = at.clone();
                plus[i] += 1e-2;
                minus[i] -= 1e-2;
                double fd = (f.evaluate(plus, new double[g.length]) - f.evaluate(minus, new double[g.length])) / 2e-2;
                assertEquals(fd, g[i], 1e-4 + 1e-3 * Math.abs(g[i]), "coordinate " + i);
            }
            Lbfgs.Result r = f.fit(null, 500, 1e-9);
            assertTrue(r.converged(), "max |gradient| " + r.gradientMaxAbs());
            double best = f.evaluate(r.x(), g);
            for (int trial = 0; trial < 20; trial++) {
                double[] p = r.x().clone();
                for (int i = 0; i < p.length; i++) p[i] += 1e-2 * rnd.nextGaussian();
                assertTrue(f.evaluate(p, new double[p.length]) > best, "a perturbation lowered the objective");
            }
        }
    }

    @Test
    void lbfgsMinimisesAnIllConditionedQuadratic() {
        // f(x) = sum_i c_i (x_i - 1)^2 with c_i from 1 to 1e4 (log-spaced): minimum at x = 1
        int n = 50;
        Lbfgs.Objective f = (x, g) -> {
            double v = 0;
            for (int i = 0; i < n; i++) {
                double c = Math.pow(1e4, i / (double) (n - 1));
                v += c * (x[i] - 1) * (x[i] - 1);
                g[i] = 2 * c * (x[i] - 1);
            }
            return v;
        };
        Lbfgs.Result r = Lbfgs.minimize(f, new double[n], 3000, 1e-7, 10);
        assertTrue(r.converged(), "max |gradient| " + r.gradientMaxAbs());
        double[] ones = new double[n];
        java.util.Arrays.fill(ones, 1);
        assertArrayEquals(ones, r.x(), 1e-7);
        assertTrue(r.iterations() < 1500, r.iterations() + " iterations (SciPy's L-BFGS-B: 887)");
    }

    @Test
    void sameSeedGivesIdenticalResultsAndOtherSeedsDiffer() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet noisy = clusters(2000, 500, 5, true);   // another split visibly changes held-out accuracies
            LinearProbe.Config c = LinearProbe.Config.defaults().withSeed(42);
            LinearProbe.Result a = LinearProbe.evaluate(noisy, c);
            LinearProbe.Result b = LinearProbe.evaluate(noisy, c);
            assertEquals(a.testTop1(), b.testTop1());
            assertEquals(a.holdoutAccuracy(), b.holdoutAccuracy());
            assertEquals(a.bestL2(), b.bestL2());
            assertEquals(a.holdoutByL2(), b.holdoutByL2());
            LinearProbe.Result other = LinearProbe.evaluate(noisy, c.withSeed(43));
            assertNotEquals(a.holdoutByL2(), other.holdoutByL2(), "another seed holds out other rows");
        }
    }

    @Test
    void theRegularisationPathStopsAfterThePatience() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = clusters(1000, 200, 6, true);
            LinearProbe.Result all = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withPatience(0));
            assertEquals(LinearProbe.Config.defaults().l2Grid(), List.copyOf(all.holdoutByL2().keySet()),
                    "without patience every coefficient is tried, strongest first");
            LinearProbe.Result early = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withPatience(1));
            assertTrue(early.holdoutByL2().size() <= all.holdoutByL2().size());
            assertTrue(early.holdoutByL2().size() >= 2);
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
            LinearProbe.Result r = LinearProbe.evaluate(fs, LinearProbe.Config.defaults());
            assertEquals(8, r.numClasses());
            assertTrue(r.testTop5() >= r.testTop1(), r.testTop5() + " < " + r.testTop1());
            assertTrue(r.testTop5() > 0.8, "top-5 " + r.testTop5());
        }
    }

    @Test
    void constantFeaturesAreOnlyCentred() {
        try (StepScope _ = StepScope.open()) {
            // feature 0 separates the classes, feature 1 is constant (std 0): no division by zero
            float[] tr = new float[40], te = new float[8];
            long[] ytr = new long[20], yte = new long[4];
            for (int i = 0; i < 20; i++) {
                ytr[i] = i % 2;
                tr[2 * i] = ytr[i] == 0 ? -1 - i * 0.01f : 1 + i * 0.01f;
                tr[2 * i + 1] = 3;
            }
            for (int i = 0; i < 4; i++) {
                yte[i] = i % 2;
                te[2 * i] = yte[i] == 0 ? -1 : 1;
                te[2 * i + 1] = 3;
            }
            Tensor x = Tensors.of(tr, 20, 2);
            LinearProbe.Result r = LinearProbe.evaluate(new FeatureSet(x, Tensors.ofLongs(ytr, 20),
                    Tensors.of(te, 4, 2), Tensors.ofLongs(yte, 4)), LinearProbe.Config.defaults());
            assertEquals(1.0, r.testTop1());
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withL2Grid());
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withL2Grid(-1.0));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withL2Grid(0.0));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withMaxIterations(0));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withTolerance(0));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.Config.defaults().withPatience(-1));
        assertEquals(List.of(1.0, 0.1, 0.01), LinearProbe.Config.defaults().withL2Grid(0.01, 1.0, 0.1).l2Grid(),
                "tried strongest first");
        try (StepScope _ = StepScope.open()) {
            FeatureSet one = new FeatureSet(Tensors.zeros(1, 2), Tensors.ofLongs(new long[]{0}, 1),
                    Tensors.zeros(1, 2), Tensors.ofLongs(new long[]{0}, 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LinearProbe.evaluate(one, LinearProbe.Config.defaults()));
            assertTrue(e.getMessage().contains("cannot hold out"), e.getMessage());
        }
    }
}
