package io.bigbigan.trainer.eval;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BigBiGAN's "BN+CReLU" feature space (Donahue &amp; Simonyan 2019, Section 4 and Appendix): the encoder's pooled
 * features are batch-normalised without affine parameters, using the train split's statistics for both splits, and
 * passed through a concatenated ReLU {@code [relu(x), relu(-x)]}, doubling the dimension. A linear classifier on this
 * space can use both signs of every feature independently.
 */
public final class BatchNormCrelu {
    private static final double EPS = 1e-5;

    private BatchNormCrelu() {}

    /** The transformed train and test features, {@code [N, 2D]} and {@code [M, 2D]}. */
    public record Pair(Tensor train, Tensor test) {}

    /** Batch-norm statistics of training features: their mean {@code [1, D]} and {@code 1 / sqrt(var + eps)} {@code [1, D]}. */
    public record Statistics(Tensor mean, Tensor scale) {
        /** {@code [relu(x'), relu(-x')]} with {@code x' = (x - mean) * scale}: [R, D] -> [R, 2D], in the caller's scope. */
        public Tensor apply(Tensor x) {
            try (NoGradGuard g = new NoGradGuard()) {
                return crelu(x.sub(mean).mul(scale));
            }
        }
    }

    /** The (population) mean and variance of {@code train} {@code [N, D]}; the tensors belong to the caller's scope. */
    public static Statistics statistics(Tensor train) {
        try (NoGradGuard g = new NoGradGuard()) {
            T_TensorTensor_T vm = torch.var_mean(train, new long[]{0}, false, true);
            return new Statistics(vm.get1(), vm.get0().add(new Scalar(EPS)).rsqrt());         // [1, D] each
        }
    }

    /**
     * Applies the transform with the statistics of {@code train} {@code [N, D]} to {@code train} and {@code test}
     * {@code [M, D]}. The results belong to the caller's scope.
     */
    public static Pair apply(Tensor train, Tensor test) {
        Statistics s = statistics(train);
        return new Pair(s.apply(train), s.apply(test));
    }

    /** {@code [relu(x), relu(-x)]} along the feature dimension: [R, D] -> [R, 2D]. */
    static Tensor crelu(Tensor x) {
        return torch.cat(new org.bytedeco.pytorch.TensorVector(torch.relu(x), torch.relu(x.neg())), 1);
    }
}
