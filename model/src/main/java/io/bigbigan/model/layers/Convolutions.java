package io.bigbigan.model.layers;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Every 2-D convolution of the models runs through here. A convolution with fewer than {@link #MIN_BACKWARD_FILTERS}
 * filters whose input needs a gradient runs with its weight (and bias) padded by zero filters up to that many, and
 * the extra outputs are dropped: LibTorch 2.10's CPU (oneDNN) backward for the input of a convolution with few output
 * channels (1, 3, 4 and 8 measured; fp32 in the standard layout, bf16 in both layouts) reads memory it did not write,
 * so that with the allocator reusing freed memory (the launcher's malloc settings) the input gradient is sometimes
 * NaN or ~1e33 garbage. G's output convolution (1 or 3 channels) and narrow encoders are such layers. With 16 filters
 * the kernel computes correct gradients; the cost is that layer's FLOPs times 16 / out. Forward values are unchanged.
 */
public final class Convolutions {
    /** Filters below which a convolution whose input needs a gradient runs on zero-padded filters. */
    public static final long MIN_BACKWARD_FILTERS = 16;

    private Convolutions() {}

    /**
     * {@code torch.conv2d} (groups 1, zero padding).
     *
     * @param x      [B, in, H, W]
     * @param weight [out, in, k, k]
     * @param bias   [out], or null
     * @return [B, out, H', W']
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation) {
        long out = weight.size(0);
        long pad = x.requires_grad() && out < MIN_BACKWARD_FILTERS ? MIN_BACKWARD_FILTERS - out : 0;
        Tensor w = weight, b = bias;
        if (pad > 0) {
            w = torch.constant_pad_nd(weight, new long[]{0, 0, 0, 0, 0, 0, 0, pad});        // [16, in, k, k]
            if (bias != null) b = torch.constant_pad_nd(bias, new long[]{0, pad});         // [16]
        }
        Tensor y = torch.conv2d(x, w, b == null ? new TensorOptional() : new TensorOptional(b), stride, padding,
                dilation, 1);                                                               // [B, out (+pad), H', W']
        return pad > 0 ? y.narrow(1, 0, out) : y;                                           // [B, out, H', W']
    }

    /** {@code conv.forward(x)} under the same rule (a module with explicit padding and one group). */
    public static Tensor forward(Conv2dImpl conv, Tensor x) {
        var o = conv.options();
        if (!x.requires_grad() || conv.weight().size(0) >= MIN_BACKWARD_FILTERS || o.groups().get() != 1)
            return conv.forward(x);
        LongPointer p = o.padding().get0();
        Tensor bias = conv.bias();
        return conv2d(x, conv.weight(), bias != null && bias.defined() ? bias : null,
                new long[]{o.stride().get(0), o.stride().get(1)}, new long[]{p.get(0), p.get(1)},
                new long[]{o.dilation().get(0), o.dilation().get(1)});
    }
}
