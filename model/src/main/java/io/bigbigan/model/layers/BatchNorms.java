package io.bigbigan.model.layers;

import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The forward pass of LibTorch's batch-norm modules, with batch statistics from {@link BatchStatistics#current()}:
 * with the local default (or in evaluation mode) it is the module's own forward; with several replicas the
 * per-channel sum and sum of squares (and the element count) are summed across replicas, so mean and variance are
 * those of the global batch (cross-replica batch norm). The module's running statistics are updated like
 * LibTorch's (momentum, unbiased variance over the global count) and its {@code num_batches_tracked} counted.
 */
public final class BatchNorms {
    private BatchNorms() {}

    /** x [B, C] or [B, C, L] through {@code bn}. */
    public static Tensor forward(BatchNorm1dImpl bn, Tensor x) {
        BatchStatistics s = BatchStatistics.current();
        if (s.replicas() == 1 || !bn.is_training()) return bn.forward(x);
        return crossReplica(s, x, bn.options(), new Tensor(bn.weight()), new Tensor(bn.bias()),
                new Tensor(bn.running_mean()), new Tensor(bn.running_var()), new Tensor(bn.num_batches_tracked()));
    }

    /** x [B, C, H, W] through {@code bn}. */
    public static Tensor forward(BatchNorm2dImpl bn, Tensor x) {
        BatchStatistics s = BatchStatistics.current();
        if (s.replicas() == 1 || !bn.is_training()) return bn.forward(x);
        return crossReplica(s, x, bn.options(), new Tensor(bn.weight()), new Tensor(bn.bias()),
                new Tensor(bn.running_mean()), new Tensor(bn.running_var()), new Tensor(bn.num_batches_tracked()));
    }

    private static Tensor crossReplica(BatchStatistics stats, Tensor x, BatchNormOptions o, Tensor weight, Tensor bias,
                                       Tensor runningMean, Tensor runningVar, Tensor tracked) {
        long c = x.size(1);
        long[] reduce = new long[(int) x.dim() - 1];                       // every dimension but the channels
        reduce[0] = 0;
        for (int d = 2; d < x.dim(); d++) reduce[d - 1] = d;
        long[] shape = new long[(int) x.dim()];                            // [1, C, 1, ...]
        java.util.Arrays.fill(shape, 1);
        shape[1] = c;
        Tensor xf = x.to(torch.ScalarType.Float);                          // statistics in fp32 (also under bf16)
        Tensor sum = xf.sum(reduce);                                // [C]
        Tensor sq = xf.mul(xf).sum(reduce);                         // [C]
        Tensor count = torch.full(new long[]{1}, new Scalar((double) (x.numel() / c)), sum.options()); // [1]
        Tensor global = stats.sumAcrossReplicas(torch.cat(new TensorVector(sum, sq, count), 0));     // [2C + 1]
        double n = global.narrow(0, 2 * c, 1).item_double();               // elements per channel, all replicas
        Tensor mean = global.narrow(0, 0, c).div(new Scalar(n));           // [C]
        Tensor var = global.narrow(0, c, c).div(new Scalar(n)).sub(mean.mul(mean)).clamp_min(new Scalar(0.0)); // [C]
        double eps = o.eps().get();
        Tensor y = xf.sub(mean.view(shape)).mul(torch.rsqrt(var.add(new Scalar(eps))).view(shape)); // [B, C, ...]
        if (o.affine().get()) y = y.mul(weight.view(shape)).add(bias.view(shape));
        if (o.track_running_stats().get() && runningMean.defined()) {
            try (NoGradGuard g = new NoGradGuard()) {
                tracked.add_(new Scalar(1L));
                double m = o.momentum().has_value() ? o.momentum().get()
                        : 1.0 / tracked.item_double();                     // cumulative average without momentum
                Tensor unbiased = var.detach().mul(new Scalar(n / Math.max(1.0, n - 1)));
                runningMean.mul_(new Scalar(1 - m)).add_(mean.detach().mul(new Scalar(m)));
                runningVar.mul_(new Scalar(1 - m)).add_(unbiased.mul(new Scalar(m)));
            }
        }
        return y.to(x.scalar_type());
    }
}
