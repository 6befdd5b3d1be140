package io.bigbigan.trainer.run;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Checks run between backward and the optimiser step, so that a NaN or Inf never reaches the weights. The flags are
 * computed on the device and read with the update's other values ({@link HostScalars}), so the guard adds no
 * synchronisation of its own.
 */
final class Finite {
    private Finite() {}

    /** Whether any gradient of {@code net}'s parameters is NaN or Inf, as a device bool scalar; null when none has one. */
    static Tensor nonFiniteGradients(Module net) {
        TensorVector ps = net.parameters(true);
        Tensor bad = null;
        for (long i = 0; i < ps.size(); i++) {
            Tensor g = ps.get(i).grad();
            if (!g.defined()) continue;
            Tensor nonFinite = torch.isfinite(g).logical_not().any();
            bad = bad == null ? nonFinite : bad.logical_or(nonFinite);
        }
        return bad;
    }

    /** @throws NonFiniteException naming the loss, its value and the step, when {@code value} is NaN or Inf */
    static double require(String name, double value, long step) {
        if (!Double.isFinite(value))
            throw new NonFiniteException(name + " is " + value + " at step " + step + "; stopped before the optimiser step");
        return value;
    }

    /** @throws NonFiniteException when {@code flag} (from {@link #nonFiniteGradients}, fetched) is set */
    static void requireFiniteGradients(String name, Double flag, long step) {
        if (flag != null && flag != 0)
            throw new NonFiniteException("a gradient of " + name + " is NaN or Inf at step " + step
                    + "; stopped before the optimiser step");
    }
}
