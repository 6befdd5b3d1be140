package io.bigbigan.model.layers;

import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * BigGAN's conditional batch norm ({@code ccbn}; Brock et al. 2019, Section 3 and Appendix B; de Vries et al. 2017):
 * batch norm without its own affine parameters, followed by a per-sample gain and bias predicted linearly from a
 * conditioning vector y: {@code bn(x) * (1 + gain(y)) + bias(y)}, where gain and bias are spectrally normalised
 * linear maps without bias terms. The "1 +" makes a zero gain the identity scaling.
 *
 * <p>Names: {@code gain.weight_orig} [C, inputDim], {@code bias.weight_orig} [C, inputDim] (plus their
 * {@code weight_u}/{@code weight_v} buffers), {@code bn.running_mean}, {@code bn.running_var},
 * {@code bn.num_batches_tracked}.
 */
public final class ConditionalBatchNorm extends Module {
    private static final double MOMENTUM = 0.1, EPS = 1e-5;     // BigGAN-PyTorch's G defaults (BN_eps = 1e-5)

    private final SNLinear gain, bias;
    private final BatchNorm2dImpl bn;
    private final long channels, inputDim;

    /**
     * @param channels number of feature maps C of the normalised input
     * @param inputDim size of the conditioning vector y
     */
    public ConditionalBatchNorm(long channels, long inputDim) {
        if (channels <= 0 || inputDim <= 0)
            throw new IllegalArgumentException("conditional batch norm needs channels > 0 and inputDim > 0, got "
                    + channels + " and " + inputDim);
        this.channels = channels;
        this.inputDim = inputDim;
        gain = register_module("gain", new SNLinear(inputDim, channels, false));
        bias = register_module("bias", new SNLinear(inputDim, channels, false));
        BatchNormOptions o = new BatchNormOptions(channels);
        o.affine().put(false);
        o.momentum().put(MOMENTUM);
        o.eps().put(EPS);
        bn = register_module("bn", new BatchNorm2dImpl(o));
    }

    /** x [B, C, H, W], y [B, inputDim] -> [B, C, H, W]. */
    public Tensor forward(Tensor x, Tensor y) {
        long b = x.size(0);
        Tensor g = gain.forward(y).add(new Scalar(1.0)).view(b, channels, 1, 1);   // [B, C, 1, 1]
        Tensor s = bias.forward(y).view(b, channels, 1, 1);                        // [B, C, 1, 1]
        return BatchNorms.forward(bn, x).mul(g).add(s);                                        // [B, C, H, W]
    }

    /** The gain map y -> [B, C] (its weight is {@code gain.weight_orig}). */
    public SNLinear gain() { return gain; }

    /** The bias map y -> [B, C] (its weight is {@code bias.weight_orig}). */
    public SNLinear bias() { return bias; }

    public long channels() { return channels; }

    public long inputDim() { return inputDim; }
}
