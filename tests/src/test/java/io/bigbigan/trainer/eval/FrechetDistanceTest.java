package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrechetDistanceTest {

    private static Tensor vec(double... v) {
        return GaussianStatistics.ofDoubles(v, v.length);
    }

    private static Tensor mat(int d, double... v) {
        return GaussianStatistics.ofDoubles(v, d, d);
    }

    private static Tensor diag(double... v) {
        return torch.diag(vec(v));
    }

    /** {@code n} float32 samples of N(0, I_d) mixed by a fixed random matrix, so the covariance is non-diagonal. */
    private static Tensor samples(Generator g, Tensor mix, long n) {
        long d = mix.size(0);
        return torch.randn(new long[]{n, d}, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float))
                .mm(mix);
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double();
    }

    @Test
    void identicalGaussiansGiveZero() {
        try (StepScope _ = StepScope.open()) {
            Generator g = torch.createCPUGenerator(1);
            Tensor a = torch.randn(new long[]{8, 8}, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Double));
            Tensor s = a.mm(a.t()).add(torch.eye(8, new TensorOptions(torch.ScalarType.Double)));
            Tensor mu = torch.randn(new long[]{8}, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Double));
            double fd = FrechetDistance.between(mu, s, mu, s);
            assertTrue(fd >= 0 && fd < 1e-9, "FD of identical Gaussians = " + fd);
            // a singular covariance (rank 2 of 8): eigenvalues of S S hit ~0 from both sides
            Tensor low = a.narrow(1, 0, 2);
            Tensor sing = low.mm(low.t());
            double fs = FrechetDistance.between(mu, sing, mu, sing);
            // sqrt amplifies the ~1e-16 round-off of the zero eigenvalues to ~1e-8: accurate to ~sqrt(eps) only
            assertTrue(fs >= 0 && fs < 1e-6, "FD of identical singular Gaussians = " + fs);
        }
    }

    @Test
    void diagonalCovariancesMatchTheClosedForm() {
        try (StepScope _ = StepScope.open()) {
            double[] mu1 = {0.5, -1.0, 2.0, 0.0}, mu2 = {1.5, 1.0, 2.0, -0.25};
            double[] s1 = {1.0, 4.0, 0.25, 9.0}, s2 = {2.0, 1.0, 0.25, 0.5};
            double expected = 0;
            for (int i = 0; i < 4; i++) {
                double dm = mu1[i] - mu2[i], ds = Math.sqrt(s1[i]) - Math.sqrt(s2[i]);
                expected += dm * dm + ds * ds;
            }
            double fd = FrechetDistance.between(vec(mu1), diag(s1), vec(mu2), diag(s2));
            assertEquals(expected, fd, 1e-12 * expected);
            // float32 inputs are accepted (and used in float64)
            double f32 = FrechetDistance.between(vec(mu1).to(torch.ScalarType.Float), diag(s1).to(torch.ScalarType.Float),
                    vec(mu2), diag(s2));
            assertEquals(expected, f32, 1e-6 * expected);
        }
    }

    @Test
    void nonDiagonalCovariancesMatchClosedForms() {
        try (StepScope _ = StepScope.open()) {
            // S2 = c^2 S1: d^2 = ||dmu||^2 + Tr(S1) (1 - c)^2
            Generator g = torch.createCPUGenerator(7);
            TensorOptions f64 = new TensorOptions(torch.ScalarType.Double);
            Tensor a = torch.randn(new long[]{6, 6}, new GeneratorOptional(g), f64);
            Tensor s1 = a.mm(a.t()).add(torch.eye(6, f64).mul(new Scalar(0.1)));
            double c = 2.5;
            Tensor s2 = s1.mul(new Scalar(c * c));
            Tensor mu1 = torch.randn(new long[]{6}, new GeneratorOptional(g), f64);
            Tensor mu2 = torch.randn(new long[]{6}, new GeneratorOptional(g), f64);
            double dmu = mu1.sub(mu2).pow(new Scalar(2)).sum().item_double();
            double expected = dmu + torch.trace(s1).item_double() * (1 - c) * (1 - c);
            assertEquals(expected, FrechetDistance.between(mu1, s1, mu2, s2), 1e-10 * expected);

            // non-commuting 2x2: Tr(sqrt(M)) = sqrt(Tr M + 2 sqrt(det M)) for M with non-negative eigenvalues.
            // S1 = [[2,1],[1,2]], S2 = [[1,0],[0,3]]: M = S1 S2 = [[2,3],[1,6]], Tr = 8, det = 9 -> sqrt(14)
            double e2 = 4 + 4 - 2 * Math.sqrt(14) + (1 * 1 + 2 * 2);          // Tr(S1) = Tr(S2) = 4
            double fd = FrechetDistance.between(vec(0, 0), mat(2, 2, 1, 1, 2), vec(1, -2), mat(2, 1, 0, 0, 3));
            assertEquals(e2, fd, 1e-12);
        }
    }

    @Test
    void streamingInBatchesEqualsOneShot() {
        try (StepScope _ = StepScope.open()) {
            Generator g = torch.createCPUGenerator(3);
            Tensor mix = torch.randn(new long[]{5, 5}, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float));
            // a large common offset: the naive sum-of-outer-products formula would lose digits here
            Tensor x = samples(g, mix, 1000).add(new Scalar(100.0));
            GaussianStatistics all = GaussianStatistics.of(x);
            GaussianStatistics streamed = new GaussianStatistics(5);
            long[] sizes = {1, 7, 0, 256, 3, 500, 233};                    // sums to 1000, includes 1 and 0
            long off = 0;
            for (long b : sizes) {
                streamed.add(x.narrow(0, off, b));
                off += b;
            }
            assertEquals(1000, streamed.count());
            assertEquals(1000, all.count());
            assertTrue(maxAbsDiff(all.mean(), streamed.mean()) < 1e-12);
            assertTrue(maxAbsDiff(all.covariance(), streamed.covariance()) < 1e-12,
                    "cov diff " + maxAbsDiff(all.covariance(), streamed.covariance()));
            // and both equal the textbook unbiased covariance computed in float64
            Tensor xd = x.to(torch.ScalarType.Double);
            Tensor xc = xd.sub(xd.mean(0));
            Tensor ref = xc.t().mm(xc).div(new Scalar(999.0));
            assertTrue(maxAbsDiff(ref, all.covariance()) < 1e-12);
            assertTrue(maxAbsDiff(xd.mean(0), all.mean()) < 1e-12);
            assertEquals(torch.ScalarType.Double, all.covariance().scalar_type().intern());
        }
    }

    @Test
    void sampleSetsBehaveAsExpected() {
        try (StepScope _ = StepScope.open()) {
            Generator g = torch.createCPUGenerator(11);
            Tensor mix = torch.randn(new long[]{8, 8}, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float))
                    .mul(new Scalar(0.5)).add(torch.eye(8, new TensorOptions(torch.ScalarType.Float)));
            Tensor x = samples(g, mix, 4000), y = samples(g, mix, 4000);
            GaussianStatistics sx = GaussianStatistics.of(x), sy = GaussianStatistics.of(y);
            double self = FrechetDistance.between(sx, sx);
            assertTrue(self >= 0 && self < 1e-6, "FD(x, x) = " + self);
            double same = FrechetDistance.between(sx, sy);
            double shifted = FrechetDistance.between(sx, GaussianStatistics.of(y.add(new Scalar(1.0))));
            double noise = FrechetDistance.between(sx, GaussianStatistics.of(torch.randn(new long[]{4000, 8},
                    new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float)).mul(new Scalar(3.0))));
            assertTrue(same > 0 && same < 0.1, "FD of two samples of one distribution = " + same);
            assertTrue(shifted > 7.5, "FD after shifting by 1 in 8 dims = " + shifted);    // ||dmu||^2 = 8
            assertTrue(noise > 20 * same && noise > 5, "FD to isotropic noise = " + noise);
            assertEquals(FrechetDistance.between(sx, sy), FrechetDistance.between(sy, sx), 1e-9);
        }
    }

    @Test
    void nonFiniteInputIsRejected() {
        try (StepScope _ = StepScope.open()) {
            Tensor bad = Tensors.of(new float[]{1, 2, Float.NaN, 4}, 2, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GaussianStatistics.of(bad));
            assertTrue(e.getMessage().contains("NaN or infinite"), e.getMessage());
            GaussianStatistics s = new GaussianStatistics(2).add(Tensors.of(new float[]{1, 2, 3, 4}, 2, 2));
            assertThrows(IllegalArgumentException.class,
                    () -> s.add(Tensors.of(new float[]{Float.POSITIVE_INFINITY, 0}, 1, 2)));
            assertEquals(2, s.count(), "a rejected batch leaves the statistics unchanged");

            IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(
                    vec(0), mat(1, Double.POSITIVE_INFINITY), vec(0), mat(1, 1)));
            assertTrue(c.getMessage().contains("first covariance contains NaN or infinite"), c.getMessage());

            // finite inputs whose distance overflows
            ArithmeticException o = assertThrows(ArithmeticException.class, () -> FrechetDistance.between(
                    vec(1e200), mat(1, 1), vec(-1e200), mat(1, 1)));
            assertTrue(o.getMessage().contains("not finite"), o.getMessage());
            // a clearly non-PSD covariance gives a negative "distance"
            ArithmeticException n = assertThrows(ArithmeticException.class, () -> FrechetDistance.between(
                    vec(0), mat(1, 1), vec(0), mat(1, -4)));
            assertTrue(n.getMessage().contains("positive semi-definite"), n.getMessage());
        }
    }

    @Test
    void mismatchedShapesAndTooFewSamplesAreRejected() {
        try (StepScope _ = StepScope.open()) {
            GaussianStatistics a = GaussianStatistics.of(torch.randn(10, 3));
            GaussianStatistics b = GaussianStatistics.of(torch.randn(10, 4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(a, b));
            assertTrue(e.getMessage().contains("3 vs 4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.add(torch.randn(5, 4)));
            assertThrows(IllegalArgumentException.class, () -> a.add(torch.randn(5)));
            assertThrows(IllegalArgumentException.class, () -> a.add(torch.ones(2, 3).to(torch.ScalarType.Long)));
            assertThrows(IllegalArgumentException.class,
                    () -> FrechetDistance.between(vec(0, 0), mat(2, 1, 0, 0, 1), vec(0, 0, 0), torch.eye(3)));
            assertThrows(IllegalArgumentException.class,
                    () -> FrechetDistance.between(vec(0, 0), torch.eye(3), vec(0, 0), mat(2, 1, 0, 0, 1)));

            GaussianStatistics one = GaussianStatistics.of(torch.randn(1, 3));
            IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                    () -> FrechetDistance.between(a, one));
            assertTrue(f.getMessage().contains("at least 2 samples"), f.getMessage());
            assertThrows(IllegalStateException.class, one::covariance);
            assertThrows(IllegalStateException.class, () -> new GaussianStatistics(3).mean());
            assertThrows(IllegalArgumentException.class, () -> new GaussianStatistics(0));
        }
    }
}
