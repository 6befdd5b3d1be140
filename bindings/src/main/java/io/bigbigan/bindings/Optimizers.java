package io.bigbigan.bindings;

import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.TensorVector;

/** Optimiser construction that hides binding quirks. */
public final class Optimizers {
    private Optimizers() {}

    /**
     * Adam (torch.optim.Adam semantics, L2 weight decay 0).
     *
     * <p>JavaCPP maps {@code std::tuple<double,double> betas} with libstdc++'s reversed layout: index 0 holds beta2
     * and index 1 beta1. Written the natural way, training silently swaps the betas.
     */
    public static Adam adam(TensorVector params, double lr, double beta1, double beta2, double eps) {
        AdamOptions o = new AdamOptions(lr);
        o.betas().put(0, beta2).put(1, beta1);
        o.eps().put(eps);
        o.weight_decay().put(0.0);
        return new Adam(params, o);
    }
}
