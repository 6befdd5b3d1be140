package io.bigbigan.trainer.step;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import java.util.function.Function;

/**
 * Gradient accumulation: one optimiser step on a batch of B examples computed as k micro-batches of B / k, to fit
 * a large effective batch (BigGAN/BigBiGAN use 2048) into limited memory. LibTorch adds gradients into
 * {@code .grad} on every {@code backward()}, so
 * <pre>
 *   optimizer.zero_grad();
 *   for each micro-batch m_i (i = 1..k):  (loss(m_i) / k).backward();     // grads += d(loss_i / k)
 *   optimizer.step();
 * </pre>
 * gives exactly the gradient of the mean loss over the whole batch when the loss is a mean over examples and the
 * micro-batches are equal in size. It is <b>not</b> identical for networks with batch-wise layers: batch norm then
 * normalises with micro-batch statistics (BigGAN-PyTorch accumulates anyway and accepts this; BigGAN's G uses
 * "cross-replica" BN over the full batch), and its running statistics get k updates per step. BigBiGAN's D has no
 * batch norm, so D's gradient is exact.
 *
 * <p>Free each micro-batch's graph before the next one (backward does, unless {@code retain_graph}); run the whole
 * step inside one {@code StepScope}, or a scope per micro-batch to bound memory further.
 */
public final class GradientAccumulation {
    private GradientAccumulation() {}

    /**
     * Runs {@code (loss(m_i) / k).backward()} for the k equal micro-batches of {@code batch} along dimension 0.
     * Does not zero gradients or step the optimiser: the caller zeroes before and steps after.
     *
     * @param batch        [B, ...] with B divisible by {@code microBatches}
     * @param microBatches k &gt;= 1
     * @param loss         maps a micro-batch [B / k, ...] to its scalar mean loss
     * @return the mean loss over the batch (mean of the k micro-batch losses)
     */
    public static double backward(Tensor batch, int microBatches, Function<Tensor, Tensor> loss) {
        long b = batch.size(0);
        if (microBatches < 1 || b % microBatches != 0)
            throw new IllegalArgumentException("gradient accumulation: batch of " + b + " cannot be split into "
                    + microBatches + " equal micro-batches");
        long size = b / microBatches;
        Scalar scale = new Scalar(1.0 / microBatches);
        double total = 0;
        for (int i = 0; i < microBatches; i++) {
            Tensor l = loss.apply(batch.narrow(0, i * size, size));            // scalar
            if (l.numel() != 1)
                throw new IllegalArgumentException("gradient accumulation: the loss must be a scalar, got "
                        + l.numel() + " elements");
            l.mul(scale).backward();
            total += l.item_double();
        }
        return total / microBatches;
    }
}
