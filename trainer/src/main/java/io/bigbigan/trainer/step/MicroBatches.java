package io.bigbigan.trainer.step;

import io.bigbigan.bindings.NonFiniteException;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import java.util.Map;

/**
 * Gradient accumulation: one optimiser update on a batch of B examples computed as k micro-batches of B / k, to fit
 * a large effective batch (BigGAN/BigBiGAN use 2048) into limited memory. LibTorch adds gradients into
 * {@code .grad} on every {@code backward()}, so
 * <pre>
 *   optimizer.zero_grad();
 *   for each micro-batch m (m = 0..k-1):  scale(loss(slice(x, m))).backward();   // grads += d(loss_m / k)
 *   optimizer.step();
 * </pre>
 * gives exactly the gradient of the mean loss over the whole batch when the loss is a mean over examples and the
 * micro-batches are equal in size. It is <b>not</b> identical for networks with batch-wise layers: batch norm then
 * normalises with micro-batch statistics (BigGAN-PyTorch accumulates anyway and accepts this; BigGAN's G uses
 * "cross-replica" BN over the full batch), and its running statistics get k updates per step. BigBiGAN's D has no
 * batch norm, so D's gradient is exact.
 *
 * <p>With k = 1 every method returns its argument unchanged, so a step without accumulation runs the same
 * operations as one written without it.
 */
final class MicroBatches {
    private final int count;
    private final long size;

    private MicroBatches(int count, long size) {
        this.count = count;
        this.size = size;
    }

    /**
     * A batch of {@code batch} rows as {@code count} equal micro-batches.
     *
     * @throws IllegalArgumentException when it does not split evenly
     */
    static MicroBatches of(long batch, int count) {
        if (count < 1 || batch % count != 0)
            throw new IllegalArgumentException("batch " + batch + " does not split into " + count + " equal micro-batches");
        return new MicroBatches(count, batch / count);
    }

    /** k, the number of micro-batches. */
    int count() {
        return count;
    }

    /** Rows per micro-batch, B / k. */
    long size() {
        return size;
    }

    /** Micro-batch {@code m} of {@code t} [B, ...] along dimension 0: [B / k, ...] ({@code t} itself when k = 1). */
    Tensor slice(Tensor t, int m) {
        return count == 1 ? t : t.narrow(0, m * size, size);
    }

    /** A micro-batch's mean loss divided by k, so that the k backward passes add up the batch's mean gradient. */
    Tensor scale(Tensor loss) {
        return count == 1 ? loss : loss.div(new Scalar((double) count));
    }

    /**
     * The batch's mean loss from the fetched values {@code prefix + m} (m = 0..k-1), each checked to be finite.
     *
     * @throws NonFiniteException naming {@code what} and {@code step} for a NaN or infinite value
     */
    double mean(Map<String, Double> values, String prefix, String what, long step) {
        double mean = 0;
        for (int m = 0; m < count; m++) mean += Finite.require(what, values.get(prefix + m), step) / count;
        return mean;
    }
}
