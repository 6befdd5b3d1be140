package io.bigbigan.trainer.step;

import io.bigbigan.bindings.NonFiniteException;
import io.bigbigan.bindings.MultiTensorOps;
import io.bigbigan.bindings.MultiTensorOps.TensorList;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.List;

/**
 * Checks run between backward and the optimiser step, so that a NaN or Inf never reaches the weights (or Adam's
 * moments: an infinite gradient norm stops the run too). The flags are
 * computed on the device and read with the update's other values ({@link HostScalars}), so the guard adds no
 * synchronisation of its own.
 */
final class Finite {
    private Finite() {}

    /** @throws NonFiniteException naming the loss, its value and the step, when {@code value} is NaN or Inf */
    static double require(String name, double value, long step) {
        if (!Double.isFinite(value))
            throw new NonFiniteException(name + " is " + value + " at step " + step + "; stopped before the optimiser step");
        return value;
    }

    /**
     * Stops on a NaN or Inf gradient element of {@code net}. {@code flag} (from {@link HostScalars#addGradientCheck},
     * fetched) comes from per-tensor L2 norms, which also overflow for huge but finite gradients (float32 sums of
     * squares), so a set flag is confirmed element by element here (one pass and one synchronisation, only when it is
     * set); an overflowing norm of finite gradients is {@link #requireFiniteNorm}'s to report.
     *
     * @throws NonFiniteException naming the network and the step
     */
    static void requireFiniteGradients(String name, Double flag, long step, Module net) {
        if (flag == null || flag == 0) return;
        List<Tensor> grads = TrainingMonitors.gradients(net);
        // max |g| per tensor (one multi-tensor kernel); NaN propagates, so this is "some element is not finite"
        Tensor maxAbs = MultiTensorOps.norms(TensorList.of(grads), Double.POSITIVE_INFINITY);   // [n]
        if (torch.isfinite(maxAbs).logical_not().any().item_bool())
            throw new NonFiniteException("a gradient of " + name + " is NaN or Inf at step " + step
                    + "; stopped before the optimiser step");
    }

    /**
     * @throws NonFiniteException when a fetched gradient norm is NaN or Inf: the gradients are finite but so large
     *                            that their squares overflow (a learning rate far too high), and Adam's second moment
     *                            would overflow next; the message names the parameter with the largest gradient
     *                            element of {@code net}
     */
    static void requireFiniteNorm(String name, Double norm, long step, Module net) {
        if (norm == null || Double.isFinite(norm)) return;
        String largest = "?";
        double largestValue = 0;
        StringTensorDict params = net.named_parameters(true);
        try (NoGradGuard g = new NoGradGuard()) {
            for (long i = 0; i < params.size(); i++) {
                Tensor grad = params.get(i).value().grad();
                if (!grad.defined()) continue;
                double m = grad.abs().max().item_double();
                if (m > largestValue) {
                    largestValue = m;
                    largest = params.get(i).key().getString();
                }
            }
        }
        throw new NonFiniteException("the gradient norm of " + name + " is " + norm + " at step " + step
                + " (largest element " + String.format(java.util.Locale.ROOT, "%.3g", largestValue) + " in " + name + "."
                + largest + "; gradients too large for float32: a learning rate far too high, or a layer whose"
                + " output is nearly constant?); stopped before the optimiser step");
    }
}
