package io.bigbigan.model.layers;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
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

    /**
     * Output channels below which a convolution whose input needs a gradient runs with its weight and bias padded
     * by zero filters up to this many, the extra outputs dropped. LibTorch 2.10's CPU (oneDNN) backward for the
     * input of a convolution with few output channels (1, 3, 4 and 8 measured, fp32 in the standard layout, bf16
     * in both) reads memory it did not write: with the allocator reusing freed memory (the launcher's malloc
     * settings) the input gradient is sometimes NaN or ~1e33 garbage. G's output convolution (1 or 3 channels) is
     * such a layer. 16 filters take the correct path; the cost is that layer's FLOPs times 16 / out.
     */
    public static final long MIN_BACKWARD_FILTERS = 16;

    /** x [B, in, H, W] -> [B, out, H', W'] with W / sigma(W). */
    public Tensor forward(Tensor x) {
        Tensor w = SpectralNorm.normalise(weight, u, v, is_training() ? 1 : 0);
        long out = w.size(0);
        Tensor wk = w, bk = bias;
        long pad = x.requires_grad() && out < MIN_BACKWARD_FILTERS ? MIN_BACKWARD_FILTERS - out : 0;
        if (pad > 0) {
            wk = torch.constant_pad_nd(w, new long[]{0, 0, 0, 0, 0, 0, 0, pad});          // [16, in, k, k]
            if (bias != null) bk = torch.constant_pad_nd(bias, new long[]{0, pad});      // [16]
        }
        Tensor y = torch.conv2d(x, wk, bk == null ? new TensorOptional() : new TensorOptional(bk), stride, padding,
                dilation, 1);                                                   // [B, out (+pad), H', W']
        if (pad > 0) y = y.narrow(1, 0, out);                                   // [B, out, H', W']
        FlopCounter.record(y, w.size(1) * w.size(2) * w.size(3), x, w);
        return y;
    }

    /** The raw (unnormalised) weight parameter [out, in, k, k]. */
    public Tensor weightOrig() { return weight; }

    /** The current sigma estimate. */
    public double sigma() { return SpectralNorm.sigma(weight, u, v); }
}
