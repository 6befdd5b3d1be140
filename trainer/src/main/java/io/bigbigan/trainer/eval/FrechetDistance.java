package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;

/**
 * The squared Fréchet (2-Wasserstein) distance between two Gaussians, as used by FID:
 * <pre>
 *   d^2 = ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrt(S1 S2))
 * </pre>
 *
 * <p><b>Trace of the matrix square root.</b> {@code S1 S2} is similar to the PSD matrix {@code S1^(1/2) S2 S1^(1/2)},
 * so in exact arithmetic its eigenvalues are real and non-negative and {@code Tr(sqrt(S1 S2)) = sum_i sqrt(lambda_i)}.
 * The eigenvalues are computed with {@code torch.linalg_eigvals} on the float64 product (no iterative matrix square
 * root, no {@code sqrtm} approximation). Round-off gives them tiny imaginary parts and, for (near-)singular
 * covariances, tiny negative real parts: each eigenvalue's real part is clamped to {@code >= 0} and the real part of
 * the principal square root of the clamped complex value, {@code sqrt((|z| + Re z) / 2)}, is summed.
 *
 * <p><b>Accuracy.</b> The square root amplifies round-off of (near-)zero eigenvalues: an eigenvalue perturbed by
 * {@code eps ||S1|| ||S2||} moves its root by about {@code sqrt(eps) sqrt(||S1|| ||S2||)}, so for singular or
 * ill-conditioned covariances (e.g. fewer samples than dimensions) the result is accurate only to about
 * {@code 1e-8} relative to {@code Tr(S1) + Tr(S2)}; for well-conditioned ones it is accurate to about {@code 1e-12}.
 * A result that is negative by no more than {@code 1e-6} of {@code ||dmu||^2 + Tr(S1) + Tr(S2)} (or {@code 1e-12}
 * absolute) is therefore taken as round-off and returned as 0; a more negative one means a covariance was not
 * positive semi-definite and raises {@link ArithmeticException}.
 *
 * <p>All work is in float64; cost is one {@code D x D} product and one general eigenvalue problem ({@code O(D^3)}).
 *
 * <pre>{@code
 * double fid = FrechetDistance.between(GaussianStatistics.of(real), GaussianStatistics.of(fake));
 * }</pre>
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /** Relative tolerance under which a negative result counts as round-off and becomes 0. */
    static final double NEGATIVE_TOLERANCE = 1e-6;

    /**
     * Squared Fréchet distance between the Gaussians fitted to two feature sets.
     *
     * @throws IllegalArgumentException when the dimensions differ or either side has fewer than 2 samples
     * @throws ArithmeticException      when the result is not finite or clearly negative (non-PSD covariance)
     */
    public static double between(GaussianStatistics a, GaussianStatistics b) {
        if (a == null || b == null) throw new IllegalArgumentException("both statistics are required");
        if (a.dim() != b.dim())
            throw new IllegalArgumentException("feature dimensions differ: " + a.dim() + " vs " + b.dim());
        if (a.count() < 2 || b.count() < 2)
            throw new IllegalArgumentException("the Fréchet distance needs at least 2 samples on each side, got "
                    + a.count() + " and " + b.count());
        try (StepScope _ = StepScope.open()) {
            return between(a.mean(), a.covariance(), b.mean(), b.covariance());
        }
    }

    /**
     * Squared Fréchet distance between {@code N(mu1, sigma1)} and {@code N(mu2, sigma2)}.
     *
     * @param mu1    mean {@code [D]}, any floating dtype (used in float64)
     * @param sigma1 covariance {@code [D, D]}, symmetric positive semi-definite
     * @param mu2    mean {@code [D]}
     * @param sigma2 covariance {@code [D, D]}
     * @throws IllegalArgumentException on shape or dtype mismatch, or NaN / infinite inputs
     * @throws ArithmeticException      when the result is not finite or clearly negative (non-PSD covariance)
     */
    public static double between(Tensor mu1, Tensor sigma1, Tensor mu2, Tensor sigma2) {
        long d = checkGaussian("first", mu1, sigma1);
        long d2 = checkGaussian("second", mu2, sigma2);
        if (d != d2) throw new IllegalArgumentException("feature dimensions differ: " + d + " vs " + d2);
        double meanTerm, tr1, tr2;
        double[] eig;                                                             // [D, 2] (re, im) row-major
        try (StepScope _ = StepScope.open(); NoGradGuard _ = new NoGradGuard()) {
            Tensor m1 = mu1.detach().to(torch.ScalarType.Double), m2 = mu2.detach().to(torch.ScalarType.Double);
            Tensor s1 = sigma1.detach().to(torch.ScalarType.Double), s2 = sigma2.detach().to(torch.ScalarType.Double);
            checkFinite("first mean", m1);
            checkFinite("first covariance", s1);
            checkFinite("second mean", m2);
            checkFinite("second covariance", s2);
            Tensor diff = m1.sub(m2);
            meanTerm = diff.dot(diff).item_double();
            tr1 = torch.trace(s1).item_double();
            tr2 = torch.trace(s2).item_double();
            Tensor ev = torch.linalg_eigvals(s1.mm(s2));                         // complex128 [D]
            eig = GaussianStatistics.toDoubles(torch.view_as_real(ev));
        }
        double traceSqrt = 0;
        for (int i = 0; i < eig.length; i += 2) traceSqrt += sqrtRealPart(eig[i], eig[i + 1]);
        double result = meanTerm + tr1 + tr2 - 2 * traceSqrt;
        if (!Double.isFinite(result))
            throw new ArithmeticException("Fréchet distance is not finite (" + result + "): ||dmu||^2 = " + meanTerm
                    + ", Tr(S1) = " + tr1 + ", Tr(S2) = " + tr2 + ", Tr(sqrt(S1 S2)) = " + traceSqrt);
        if (result < 0) {
            double scale = meanTerm + Math.abs(tr1) + Math.abs(tr2);
            if (-result > Math.max(NEGATIVE_TOLERANCE * scale, 1e-12))
                throw new ArithmeticException("Fréchet distance is negative (" + result + "), beyond round-off: "
                        + "are both covariances symmetric positive semi-definite? Tr(S1) = " + tr1 + ", Tr(S2) = "
                        + tr2 + ", Tr(sqrt(S1 S2)) = " + traceSqrt);
            result = 0;
        }
        return result;
    }

    /** Real part of the principal square root of {@code max(re, 0) + i im}. */
    static double sqrtRealPart(double re, double im) {
        double r = Math.max(re, 0.0);
        return Math.sqrt(0.5 * (Math.hypot(r, im) + r));
    }

    private static long checkGaussian(String which, Tensor mu, Tensor sigma) {
        if (mu == null || sigma == null) throw new IllegalArgumentException(which + " mean and covariance are required");
        if (mu.dim() != 1 || mu.size(0) < 1)
            throw new IllegalArgumentException(which + " mean must be 1-D [D] with D >= 1, got shape "
                    + Arrays.toString(Tensors.shape(mu)));
        long d = mu.size(0);
        if (sigma.dim() != 2 || sigma.size(0) != d || sigma.size(1) != d)
            throw new IllegalArgumentException(which + " covariance must be [" + d + ", " + d + "] to match its mean, "
                    + "got shape " + Arrays.toString(Tensors.shape(sigma)));
        if (!mu.is_floating_point() || !sigma.is_floating_point())
            throw new IllegalArgumentException(which + " mean and covariance must have floating dtypes, got "
                    + mu.scalar_type() + " and " + sigma.scalar_type());
        return d;
    }

    private static void checkFinite(String what, Tensor t) {
        if (!torch.isfinite(t).all().item_bool())
            throw new IllegalArgumentException(what + " contains NaN or infinite values");
    }
}
