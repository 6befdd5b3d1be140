package io.bigbigan.model.layers;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A spectrally normalised linear layer: parameters {@code weight_orig} [out, in] and {@code bias} [out]; buffers
 * {@code weight_u} [out] and {@code weight_v} [in] (PyTorch's spectral_norm names). Initialised like
 * {@code nn.Linear}.
 */
public final class SNLinear extends Module {
    private final Tensor weight, bias, u, v;
    private final long in, out;

    public SNLinear(long in, long out) {
        this(in, out, true);
    }

    public SNLinear(long in, long out, boolean withBias) {
        this.in = in;
        this.out = out;
        LinearImpl init = new LinearImpl(in, out);                 // PyTorch's default (Kaiming-uniform) init
        // register_* return a reference into the module's item vector, which the next registration may reallocate:
        // keep owning handles (new Tensor(...) shares the same TensorImpl, so updates and gradients are the module's)
        weight = new Tensor(register_parameter("weight_orig", init.weight().detach().clone()));
        bias = withBias ? new Tensor(register_parameter("bias", init.bias().detach().clone())) : null;
        Tensor[] uv = SpectralNorm.initialVectors(out, in);
        u = new Tensor(register_buffer("weight_u", uv[0]));
        v = new Tensor(register_buffer("weight_v", uv[1]));
        SpectralNorm.powerIterate(weight, u, v, SpectralNorm.INIT_ITERATIONS);
        init.close();
    }

    /** x [B, in] -> [B, out] with W / sigma(W). */
    public Tensor forward(Tensor x) {
        Tensor w = SpectralNorm.normalise(weight, u, v, is_training() ? 1 : 0);
        Tensor y = bias == null ? torch.linear(x, w) : torch.linear(x, w, new TensorOptional(bias));   // [..., out]
        FlopCounter.record(y, w.size(1), x, w);
        return y;
    }

    /** The raw (unnormalised) weight parameter [out, in]. */
    public Tensor weightOrig() { return weight; }

    /** The current sigma estimate. */
    public double sigma() { return SpectralNorm.sigma(weight, u, v); }

    public long inFeatures() { return in; }

    public long outFeatures() { return out; }
}
