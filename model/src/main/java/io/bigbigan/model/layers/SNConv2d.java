package io.bigbigan.model.layers;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A spectrally normalised 2-D convolution (square kernel, "same" padding for odd kernels): parameters
 * {@code weight_orig} [out, in, k, k] and {@code bias} [out]; buffers {@code weight_u} [out] and {@code weight_v}
 * [in*k*k]. Initialised like {@code nn.Conv2d}.
 */
public final class SNConv2d extends Module {
    private final Tensor weight, bias, u, v;
    private final long[] stride, padding, dilation = {1, 1};

    /** A k x k convolution with stride 1 and padding k/2. */
    public SNConv2d(long in, long out, int kernel) {
        this(in, out, kernel, 1, kernel / 2, true);
    }

    public SNConv2d(long in, long out, int kernel, int stride, int padding, boolean withBias) {
        Conv2dImpl init = new Conv2dImpl(new Conv2dOptions(in, out, new LongPointer(kernel, kernel)));
        // register_* return a reference into the module's item vector, which the next registration may reallocate:
        // keep owning handles (new Tensor(...) shares the same TensorImpl, so updates and gradients are the module's)
        weight = new Tensor(register_parameter("weight_orig", init.weight().detach().clone()));
        bias = withBias ? new Tensor(register_parameter("bias", init.bias().detach().clone())) : null;
        Tensor[] uv = SpectralNorm.initialVectors(out, in * kernel * kernel);
        u = new Tensor(register_buffer("weight_u", uv[0]));
        v = new Tensor(register_buffer("weight_v", uv[1]));
        SpectralNorm.powerIterate(weight, u, v, SpectralNorm.INIT_ITERATIONS);
        this.stride = new long[]{stride, stride};
        this.padding = new long[]{padding, padding};
        init.close();
    }

    /** x [B, in, H, W] -> [B, out, H', W'] with W / sigma(W) ({@link Convolutions#conv2d}). */
    public Tensor forward(Tensor x) {
        Tensor w = SpectralNorm.normalise(weight, u, v, is_training() ? 1 : 0);
        Tensor y = Convolutions.conv2d(x, w, bias, stride, padding, dilation);     // [B, out, H', W']
        FlopCounter.record(y, w.size(1) * w.size(2) * w.size(3), x, w);
        return y;
    }

    /** The raw (unnormalised) weight parameter [out, in, k, k]. */
    public Tensor weightOrig() { return weight; }

    /** The current sigma estimate. */
    public double sigma() { return SpectralNorm.sigma(weight, u, v); }
}
