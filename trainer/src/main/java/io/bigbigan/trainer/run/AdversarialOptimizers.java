package io.bigbigan.trainer.run;

import io.bigbigan.bindings.Optimizers;
import io.bigbigan.trainer.config.OptimConfig;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.Module;

/** One Adam optimiser per network, with the network's own learning rate. */
record AdversarialOptimizers(Adam d, Adam g, Adam e) {
    /** The optimisers by checkpoint name, in a fixed order. */
    java.util.Map<String, Adam> byName() {
        java.util.Map<String, Adam> m = new java.util.LinkedHashMap<>();
        m.put("optD", d);
        m.put("optG", g);
        m.put("optE", e);
        return m;
    }

    static AdversarialOptimizers adam(Module discriminator, Module generator, Module encoder, OptimConfig o) {
        return new AdversarialOptimizers(
                Optimizers.adam(discriminator.parameters(), o.lrD(), o.beta1(), o.beta2(), o.eps()),
                Optimizers.adam(generator.parameters(), o.lrG(), o.beta1(), o.beta2(), o.eps()),
                Optimizers.adam(encoder.parameters(), o.lrE(), o.beta1(), o.beta2(), o.eps()));
    }
}
