package io.bigbigan.trainer.eval.generation;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Inception Score (Salimans et al. 2016, Section 4): {@code exp(E_x KL(p(y|x) || p(y)))}, computed on
 * {@link #SPLITS} equal consecutive splits of the samples, reported as the mean and (population) standard deviation
 * over the splits, as in the original implementation. With a domain classifier instead of Inception it is the
 * "domain Inception-style score" (1 = no class information or no variety, K = K equally likely, confident classes).
 */
public final class InceptionScore {
    /** Number of splits of the original protocol. */
    public static final int SPLITS = 10;

    private InceptionScore() {}

    /** Mean and standard deviation over splits, and the number of samples. */
    public record Score(double mean, double std, long samples) {}

    /** The score of class probabilities {@code p [N, K]} (rows sum to 1) in {@link #SPLITS} splits. */
    public static Score of(Tensor probabilities) {
        return of(probabilities, SPLITS);
    }

    /**
     * The score of {@code probabilities [N, K]} in {@code splits} splits (the last {@code N mod splits} rows are
     * dropped, as in the original code's integer division).
     *
     * @throws IllegalArgumentException when the shape is not [N, K] or {@code N < splits}
     */
    public static Score of(Tensor probabilities, int splits) {
        if (probabilities.dim() != 2) throw new IllegalArgumentException("probabilities must be [N, K]");
        long n = probabilities.size(0);
        if (splits < 1 || n < splits)
            throw new IllegalArgumentException("Inception Score needs at least " + splits + " samples, got " + n);
        long part = n / splits;
        double[] scores = new double[splits];
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor p = probabilities.to(torch.ScalarType.Double);                            // [N, K]
            for (int i = 0; i < splits; i++) {
                Tensor pi = p.narrow(0, i * part, part);                                       // [n, K]
                Tensor py = pi.mean(new long[]{0}, true, new org.bytedeco.pytorch.ScalarTypeOptional()); // [1, K]
                // p log p with 0 log 0 = 0
                Tensor logp = pi.clamp_min(new Scalar(1e-30)).log();
                Tensor logpy = py.clamp_min(new Scalar(1e-30)).log();
                Tensor kl = pi.mul(logp.sub(logpy)).sum(new long[]{1});                       // [n]
                scores[i] = Math.exp(kl.mean().item_double());
            }
        }
        double mean = 0;
        for (double v : scores) mean += v / splits;
        double var = 0;
        for (double v : scores) var += (v - mean) * (v - mean) / splits;
        return new Score(mean, Math.sqrt(var), part * splits);
    }
}
