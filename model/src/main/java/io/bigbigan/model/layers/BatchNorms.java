package io.bigbigan.model.layers;

import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * The forward pass of LibTorch's batch-norm modules, with batch statistics from {@link BatchStatistics#current()}:
 * with the local default (or in evaluation mode) it is the module's own forward; with several replicas the
 * per-channel sum and sum of squares (and the element count) are summed across replicas, so mean and variance are
 * those of the global batch (cross-replica batch norm). The module's running statistics are updated like
 * LibTorch's (momentum, unbiased variance over the global count) and its {@code num_batches_tracked} counted.
 */
public final class BatchNorms {
    private BatchNorms() {}

    /**
     * The running-statistic updates that batch norms in training mode make on this thread while it is open, to be
     * made once more later without running the network again ({@link #replay}). A trainer that reuses a forward pass
     * (same inputs, same weights) where its update rule runs that forward twice keeps the running statistics exactly
     * as the second forward would have left them: each recorded update runs the layer once more on the same input,
     * without gradient (LibTorch's own kernel, so bit for bit), and a cross-replica layer re-applies the global mean
     * and variance it computed, without communicating again. Recorders nest (the inner one records).
     */
    public static final class Updates implements AutoCloseable {
        private static final ThreadLocal<Updates> ACTIVE = new ThreadLocal<>();
        private final Updates previous;
        private final List<Runnable> updates = new ArrayList<>();
        private boolean closed;

        private Updates(Updates previous) {
            this.previous = previous;
        }

        /** Starts recording on this thread. */
        public static Updates record() {
            Updates u = new Updates(ACTIVE.get());
            ACTIVE.set(u);
            return u;
        }

        /** Stops recording (the recorded updates stay available to {@link #replay}); idempotent. */
        @Override
        public void close() {
            if (closed) return;
            closed = true;
            if (previous == null) ACTIVE.remove();
            else ACTIVE.set(previous);
        }

        /** How many updates were recorded. */
        public int size() {
            return updates.size();
        }

        /** Makes every recorded update once more, in recording order (the tensors must still be alive). */
        public void replay() {
            try (NoGradGuard g = new NoGradGuard()) {
                for (Runnable r : updates) r.run();
            }
        }

        private static void add(Runnable update) {
            Updates u = ACTIVE.get();
            if (u != null) u.updates.add(update);
        }
    }

    /** x [B, C] or [B, C, L] through {@code bn}. */
    public static Tensor forward(BatchNorm1dImpl bn, Tensor x) {
        BatchStatistics s = BatchStatistics.current();
        if (!bn.is_training()) return bn.forward(x);
        if (s.replicas() == 1) {
            Updates.add(() -> bn.forward(x));
            return bn.forward(x);
        }
        return crossReplica(s, x, bn.options(), new Tensor(bn.weight()), new Tensor(bn.bias()),
                new Tensor(bn.running_mean()), new Tensor(bn.running_var()), new Tensor(bn.num_batches_tracked()));
    }

    /** x [B, C, H, W] through {@code bn}. */
    public static Tensor forward(BatchNorm2dImpl bn, Tensor x) {
        BatchStatistics s = BatchStatistics.current();
        if (!bn.is_training()) return bn.forward(x);
        if (s.replicas() == 1) {
            Updates.add(() -> bn.forward(x));
            return bn.forward(x);
        }
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
            Double momentum = o.momentum().has_value() ? o.momentum().get() : null;
            Tensor meanD = mean.detach(), varD = var.detach();
            Runnable update = () -> updateRunning(runningMean, runningVar, tracked, momentum, meanD, varD, n);
            try (NoGradGuard g = new NoGradGuard()) {
                update.run();
            }
            Updates.add(update);
        }
        return y.to(x.scalar_type());
    }

    /** LibTorch's running-statistic update from a batch's mean and biased variance over n elements per channel. */
    private static void updateRunning(Tensor runningMean, Tensor runningVar, Tensor tracked, Double momentum,
                                      Tensor mean, Tensor var, double n) {
        tracked.add_(new Scalar(1L));
        double m = momentum != null ? momentum : 1.0 / tracked.item_double();     // cumulative average without momentum
        Tensor unbiased = var.mul(new Scalar(n / Math.max(1.0, n - 1)));
        runningMean.mul_(new Scalar(1 - m)).add_(mean.mul(new Scalar(m)));
        runningVar.mul_(new Scalar(1 - m)).add_(unbiased.mul(new Scalar(m)));
    }
}
