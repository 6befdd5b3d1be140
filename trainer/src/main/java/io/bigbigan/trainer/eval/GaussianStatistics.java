package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;

/**
 * Streaming mean and covariance of feature vectors, accumulated in float64 — the Gaussian summary used by
 * {@link FrechetDistance}.
 *
 * <p><b>Storage.</b> The state lives in plain Java arrays ({@code double[D]} mean, {@code double[D * D]} co-moment),
 * never in tensors, so an instance may outlive any {@link StepScope} and be kept in fields; each {@link #add} runs its
 * tensor work in its own scope. Memory is {@code 8 * D^2} bytes (32 MB for D = 2048).
 *
 * <p><b>Numerics.</b> Rather than raw sums of {@code x} and {@code x x^T} (whose covariance {@code (S - n mu mu^T) /
 * (n - 1)} cancels catastrophically when the mean is large relative to the spread), each batch is reduced to its own
 * mean and centred co-moment {@code M2_b = (X - m_b)^T (X - m_b)} in float64 tensors, and merged with Chan et al.'s
 * pairwise update: {@code M2 += M2_b + d d^T n n_b / (n + n_b)}, {@code mean += d n_b / (n + n_b)} with
 * {@code d = m_b - mean}. The result equals the one-shot statistics up to float64 round-off.
 *
 * <pre>{@code
 * GaussianStatistics real = new GaussianStatistics(2048);
 * for (Tensor batch : batches) real.add(encoder(batch));      // [B, 2048], any float dtype
 * double fid = FrechetDistance.between(real, GaussianStatistics.of(fakeFeatures));
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class GaussianStatistics {
    private final int dim;
    private long count;
    private final double[] mean;
    /** Centred co-moment {@code sum (x - mean)(x - mean)^T}, row-major {@code [D, D]}. */
    private final double[] m2;

    /**
     * Empty statistics for {@code dim}-dimensional features.
     *
     * @throws IllegalArgumentException when {@code dim < 1} or {@code dim^2} does not fit a Java array
     */
    public GaussianStatistics(int dim) {
        if (dim < 1) throw new IllegalArgumentException("feature dimension must be >= 1, got " + dim);
        if ((long) dim * dim > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("feature dimension " + dim + " is too large for a dense covariance");
        this.dim = dim;
        this.mean = new double[dim];
        this.m2 = new double[dim * dim];
    }

    /** The statistics of all rows of {@code features} ({@code [N, D]}, any floating dtype). */
    public static GaussianStatistics of(Tensor features) {
        checkFeatures(features, -1);
        GaussianStatistics s = new GaussianStatistics(Math.toIntExact(features.size(1)));
        s.add(features);
        return s;
    }

    /**
     * Adds the rows of a batch. An empty batch ({@code B = 0}) is a no-op.
     *
     * @param features {@code [B, D]}, any floating dtype (converted to float64); borrowed, not modified
     * @return this
     * @throws IllegalArgumentException when the rank, dtype or {@code D} does not fit, or a value is NaN or infinite
     */
    public GaussianStatistics add(Tensor features) {
        checkFeatures(features, dim);
        long nb = features.size(0);
        if (nb == 0) return this;
        double[] mb, m2b;
        try (StepScope _ = StepScope.open(); NoGradGuard _ = new NoGradGuard()) {
            Tensor x = features.detach().to(torch.ScalarType.Double);                        // [B, D]
            if (!torch.isfinite(x).all().item_bool())
                throw new IllegalArgumentException("features contain NaN or infinite values (batch of " + nb
                        + " rows after " + count + " rows added)");
            Tensor m = x.mean(0);                                                             // [D]
            Tensor xc = x.sub(m);
            mb = toDoubles(m);
            m2b = toDoubles(xc.t().mm(xc));                                                   // [D, D]
        }
        long n = count, total = n + nb;
        double wb = (double) nb / total, cross = (double) n * nb / total;
        double[] d = new double[dim];
        for (int i = 0; i < dim; i++) d[i] = mb[i] - mean[i];
        for (int i = 0; i < dim; i++) {
            double ci = d[i] * cross;
            int row = i * dim;
            for (int j = 0; j < dim; j++) m2[row + j] += m2b[row + j] + ci * d[j];
        }
        for (int i = 0; i < dim; i++) mean[i] += d[i] * wb;
        count = total;
        return this;
    }

    /** Feature dimension {@code D}. */
    public int dim() {
        return dim;
    }

    /** Number of rows added. */
    public long count() {
        return count;
    }

    /**
     * The mean, a new float64 {@code [D]} tensor owned by the caller (released with the caller's scope).
     *
     * @throws IllegalStateException when no row was added
     */
    public Tensor mean() {
        if (count < 1) throw new IllegalStateException("mean of empty statistics: no rows were added");
        return ofDoubles(mean, dim);
    }

    /**
     * The unbiased covariance ({@code M2 / (N - 1)}), a new float64 {@code [D, D]} tensor owned by the caller.
     *
     * @throws IllegalStateException when fewer than 2 rows were added
     */
    public Tensor covariance() {
        if (count < 2)
            throw new IllegalStateException("covariance needs at least 2 rows, got " + count);
        double[] c = new double[m2.length];
        double inv = 1.0 / (count - 1);
        // symmetrise: the merge keeps M2 symmetric only up to round-off
        for (int i = 0; i < dim; i++)
            for (int j = 0; j < dim; j++)
                c[i * dim + j] = 0.5 * (m2[i * dim + j] + m2[j * dim + i]) * inv;
        return ofDoubles(c, dim, dim);
    }

    static void checkFeatures(Tensor features, long expectedDim) {
        if (features == null) throw new IllegalArgumentException("features are required");
        if (features.dim() != 2)
            throw new IllegalArgumentException("features must be 2-D [B, D], got shape "
                    + Arrays.toString(Tensors.shape(features)));
        if (!features.is_floating_point())
            throw new IllegalArgumentException("features must have a floating dtype, got " + features.scalar_type());
        if (expectedDim >= 0 && features.size(1) != expectedDim)
            throw new IllegalArgumentException("feature dimension mismatch: statistics have D = " + expectedDim
                    + ", batch has shape " + Arrays.toString(Tensors.shape(features)));
    }

    /** A float64 tensor of {@code shape} holding a copy of {@code values}. */
    static Tensor ofDoubles(double[] values, long... shape) {
        try (DoublePointer p = new DoublePointer(values)) {
            return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Double)).clone();
        }
    }

    /** The values of a real tensor as float64, row-major. */
    static double[] toDoubles(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Double).cpu().contiguous();
        double[] out = new double[Math.toIntExact(c.numel())];
        c.data_ptr_double().get(out);
        return out;
    }
}
