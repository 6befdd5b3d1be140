package io.bigbigan.model.layers;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Every 2-D convolution of the models runs through here, around two faults of LibTorch 2.10's CPU (oneDNN) kernels
 * that read memory they did not write, so that with the allocator reusing freed memory (the launcher's malloc
 * settings) results are sometimes NaN or ~1e33 garbage:
 * <ul>
 *   <li>the backward for the input of a convolution with few output channels (1, 3, 4 and 8 measured; fp32 in the
 *   standard layout, bf16 in both layouts). A convolution with fewer than {@link #MIN_BACKWARD_FILTERS} filters whose
 *   input needs a gradient runs with its weight (and bias) padded by zero filters up to that many, and the extra
 *   outputs are dropped (G's output convolution and narrow encoders are such layers; the cost is that layer's FLOPs
 *   times 16 / out);</li>
 *   <li>the bf16 forward of a 1x1 convolution of a single input channel (differing outputs in 99 of 100 identical
 *   passes, sometimes non-finite; 2 and more channels, 3x3 kernels and fp32 measured correct). Such a convolution
 *   (D's shortcut on grayscale images) runs on the input with a zero second channel and a zero weight slice.</li>
 * </ul>
 * Both keep the values: the padded filters' outputs are dropped, and the zero channel adds exact zeros.
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
        if (isPointwiseOnOneChannel(weight)) {
            x = torch.constant_pad_nd(x, new long[]{0, 0, 0, 0, 0, 1});                 // [B, 2, H, W], channel 1 zero
            weight = torch.constant_pad_nd(weight, new long[]{0, 0, 0, 0, 0, 1});       // [out, 2, 1, 1]
        }
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

    /** Whether {@code weight} [out, in, k, k] is a 1x1 kernel on a single input channel. */
    private static boolean isPointwiseOnOneChannel(Tensor weight) {
        return weight.size(1) == 1 && weight.size(2) == 1 && weight.size(3) == 1;
    }

    /** {@code conv.forward(x)} under the same rules (a module with explicit padding and one group). */
    public static Tensor forward(Conv2dImpl conv, Tensor x) {
        var o = conv.options();
        boolean padFilters = x.requires_grad() && conv.weight().size(0) < MIN_BACKWARD_FILTERS;
        if (!(padFilters || isPointwiseOnOneChannel(conv.weight())) || o.groups().get() != 1)
            return conv.forward(x);
        LongPointer p = o.padding().get0();
        Tensor bias = conv.bias();
        return conv2d(x, conv.weight(), bias != null && bias.defined() ? bias : null,
                new long[]{o.stride().get(0), o.stride().get(1)}, new long[]{p.get(0), p.get(1)},
                new long[]{o.dilation().get(0), o.dilation().get(1)});
    }
}
