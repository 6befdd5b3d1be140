package io.bigbigan.trainer.step;

import io.bigbigan.trainer.dist.DataParallel;
import io.bigbigan.trainer.dist.GradientSync;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import java.util.Collection;

/**
 * Gradient averaging of D, G and E over the data-parallel replicas, as both step trainers use it: each optimiser
 * update calls {@code prepare} before its backward passes and {@code finish} before the optimiser step. In one
 * process the three are {@link GradientSync#none()} and change nothing.
 */
record ReplicaGradients(GradientSync d, GradientSync g, GradientSync e) {
    /** One process. */
    static ReplicaGradients none() {
        return new ReplicaGradients(GradientSync.none(), GradientSync.none(), GradientSync.none());
    }

    /**
     * Joins {@code dp}'s replicas: hooks D, G and E for averaging and overwrites {@code state} with rank 0's values
     * (every replica starts from the same weights); {@link #none()} in one process.
     */
    static ReplicaGradients join(DataParallel dp, Module d, Module g, Module e, Collection<Tensor> state) {
        if (dp.size() == 1) return none();
        var r = new ReplicaGradients(dp.gradients(d), dp.gradients(g), dp.gradients(e));
        dp.broadcast(state);
        return r;
    }
}
