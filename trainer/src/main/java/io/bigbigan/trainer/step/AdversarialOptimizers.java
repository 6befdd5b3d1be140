package io.bigbigan.trainer.step;

import io.bigbigan.trainer.config.OptimConfig;
import org.bytedeco.pytorch.Module;

/** One Adam optimiser per network, with the network's own learning rate. */
record AdversarialOptimizers(FusedAdam d, FusedAdam g, FusedAdam e) {
    /** The optimisers by checkpoint name, in a fixed order. */
    java.util.Map<String, FusedAdam> byName() {
        java.util.Map<String, FusedAdam> m = new java.util.LinkedHashMap<>();
        m.put("optD", d);
        m.put("optG", g);
        m.put("optE", e);
        return m;
    }

    static AdversarialOptimizers adam(Module discriminator, Module generator, Module encoder, OptimConfig o) {
        return new AdversarialOptimizers(
                new FusedAdam(discriminator, o.lrD(), o.beta1(), o.beta2(), o.eps()),
                new FusedAdam(generator, o.lrG(), o.beta1(), o.beta2(), o.eps()),
                new FusedAdam(encoder, o.lrE(), o.beta1(), o.beta2(), o.eps()));
    }
}
