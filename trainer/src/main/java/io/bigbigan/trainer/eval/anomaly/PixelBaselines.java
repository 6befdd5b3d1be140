package io.bigbigan.trainer.eval.anomaly;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Raw-pixel anomaly scores that need no model, the baselines a learned score has to beat: the distance to the k-th
 * nearest normal training image, and the reconstruction error of a PCA fitted on the normal training images. Rows
 * are flattened images, float32 on the CPU; higher means more unusual.
 */
public final class PixelBaselines {
    private PixelBaselines() {}

    /** Query rows per distance block ({@code [256, N]} floats at a time). */
    private static final int BLOCK = 256;

    /**
     * The Euclidean distance of each query row [M, D] to its k-th nearest reference row [N, D].
     *
     * @throws IllegalArgumentException when k is not in [1, N] or the widths differ
     */
    public static double[] kthNearestDistance(Tensor reference, Tensor queries, int k) {
        long n = reference.size(0), m = queries.size(0);
        if (k < 1 || k > n) throw new IllegalArgumentException("k = " + k + " must be in [1, " + n + "]");
        if (reference.size(1) != queries.size(1))
            throw new IllegalArgumentException("reference rows have " + reference.size(1) + " values, queries "
                    + queries.size(1));
        double[] out = new double[Math.toIntExact(m)];
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor refT = reference.t();                                               // [D, N]
            Tensor refSq = reference.mul(reference).sum(new long[]{1}).unsqueeze(0);   // [1, N]
            for (long start = 0; start < m; start += BLOCK) {
                try (StepScope b = StepScope.open()) {
                    long rows = Math.min(BLOCK, m - start);
                    Tensor q = queries.narrow(0, start, rows);                         // [B, D]
                    Tensor d2 = q.mm(refT).mul_(new Scalar(-2.0)).add_(refSq)
                            .add_(q.mul(q).sum(new long[]{1}, true, new ScalarTypeOptional())); // [B, N]
                    Tensor kth = d2.topk(k, 1, false, true).get0().select(1, k - 1);   // [B]
                    float[] v = Tensors.toFloats(kth.clamp_min(new Scalar(0.0)).sqrt());
                    for (int i = 0; i < v.length; i++) out[Math.toIntExact(start) + i] = v[i];
                }
            }
        }
        return out;
    }

    /**
     * The number of principal components of {@code reference} [N, D] that explain {@code fraction} of its variance
     * and the L2 reconstruction error of each query row [M, D] from them: ||(q - mu) - P P^T (q - mu)||.
     *
     * @param fraction of the variance to keep, in (0, 1]
     */
    public static Pca pca(Tensor reference, Tensor queries, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("variance fraction " + fraction);
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor ref = reference.to(torch.ScalarType.Double);
            Tensor mu = ref.mean(new long[]{0}, true, new ScalarTypeOptional());      // [1, D]
            Tensor c = ref.sub(mu);
            Tensor cov = c.t().mm(c).div(new Scalar((double) Math.max(1, ref.size(0) - 1)));  // [D, D]
            var eig = torch.linalg_eigh(cov);                                          // ascending eigenvalues
            double[] values = toDoubles(eig.get0().clamp_min(new Scalar(0.0)));
            double total = 0;
            for (double v : values) total += v;
            int d = values.length, keep = 0;
            double kept = 0;
            while (keep < d && (total == 0 ? keep < 1 : kept < fraction * total - 1e-12)) {
                kept += values[d - 1 - keep];
                keep++;
            }
            Tensor p = eig.get1().narrow(1, d - keep, keep);                           // [D, k]
            Tensor q = queries.to(torch.ScalarType.Double).sub(mu);                    // [M, D]
            Tensor resid = q.sub(q.mm(p).mm(p.t()));                                   // [M, D]
            double[] err = toDoubles(resid.pow(new Scalar(2)).sum(new long[]{1}).sqrt());
            return new Pca(keep, kept / Math.max(total, Double.MIN_VALUE), err);
        }
    }

    /**
     * A PCA baseline's figures.
     *
     * @param components the principal components kept
     * @param explained  the fraction of the variance they explain
     * @param errors     each query's reconstruction error
     */
    public record Pca(int components, double explained, double[] errors) {}

    private static double[] toDoubles(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Double).cpu().contiguous();
        double[] out = new double[Math.toIntExact(c.numel())];
        c.data_ptr_double().get(out);
        return out;
    }
}
