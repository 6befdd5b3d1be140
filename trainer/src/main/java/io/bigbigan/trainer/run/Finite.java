package io.bigbigan.trainer.run;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Checks run between backward and the optimiser step, so that a NaN or Inf never reaches the weights. */
final class Finite {
    private Finite() {}

    /** @throws NonFiniteException naming the loss, its value and the step */
    static double loss(String name, Tensor loss, long step) {
        double v = loss.item_double();
        if (!Double.isFinite(v))
            throw new NonFiniteException(name + " is " + v + " at step " + step + "; stopped before the optimiser step");
        return v;
    }

    /** @throws NonFiniteException when any gradient of {@code net}'s parameters is NaN or Inf */
    static void gradients(String name, Module net, long step) {
        TensorVector ps = net.parameters(true);
        Tensor bad = null;
        for (long i = 0; i < ps.size(); i++) {
            Tensor g = ps.get(i).grad();
            if (!g.defined()) continue;
            Tensor nonFinite = torch.isfinite(g).logical_not().any();
            bad = bad == null ? nonFinite : bad.logical_or(nonFinite);
        }
        if (bad != null && bad.item_bool())
            throw new NonFiniteException("a gradient of " + name + " is NaN or Inf at step " + step
                    + "; stopped before the optimiser step");
    }
}
