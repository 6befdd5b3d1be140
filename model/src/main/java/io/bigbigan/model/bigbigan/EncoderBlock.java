package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.FlopCounter;
import io.bigbigan.model.bigbigan.EncoderConfig.BlockSpec;
import io.bigbigan.model.bigbigan.EncoderConfig.BlockType;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A pre-activation (ResNet-v2) residual unit of the BigBiGAN encoder backbone (Donahue &amp; Simonyan 2019, Section 3;
 * He et al. 2016 "Identity Mappings in Deep Residual Networks"; layout of Kolesnikov et al. 2019's
 * {@code bottleneck_v2}). Both kinds share {@code a = relu(bn1(x))} and add a shortcut: the identity {@code x}, or a
 * bias-free 1x1 projection of {@code a} with the block's stride when the shape changes.
 * <ul>
 *   <li>BOTTLENECK: {@code h = conv1x1(a); h = conv3x3(relu(bn2(h)), stride); h = conv1x1(relu(bn3(h)))}
 *       (the stride sits on the 3x3 conv, as in Kolesnikov et al.).</li>
 *   <li>BASIC: {@code h = conv3x3(a, stride); h = conv3x3(relu(bn2(h)))}.</li>
 * </ul>
 * Parameters: {@code bn1.*, conv1.weight, bn2.*, conv2.weight, [bn3.*, conv3.weight,] [shortcut.weight]}; all convs
 * are bias-free (a BN follows each), BNs have affine parameters and running statistics (PyTorch defaults: momentum
 * 0.1, eps 1e-5). No spectral norm: the paper uses none in E.
 */
public final class EncoderBlock extends Module implements ResNetEncoder.Unit {
    private final BlockSpec spec;
    private final BatchNorm2dImpl bn1, bn2, bn3;
    private final Conv2dImpl conv1, conv2, conv3, shortcut;

    /** Builds a BOTTLENECK or BASIC unit. */
    public EncoderBlock(BlockSpec spec) {
        if (spec.type() == BlockType.REVERSIBLE)
            throw new IllegalArgumentException("EncoderBlock: REVERSIBLE units are RevNetBlocks");
        this.spec = spec;
        bn1 = register_module("bn1", batchNorm(spec.in()));
        if (spec.type() == BlockType.BOTTLENECK) {
            conv1 = register_module("conv1", conv(spec.in(), spec.mid(), 1, 1));
            bn2 = register_module("bn2", batchNorm(spec.mid()));
            conv2 = register_module("conv2", conv(spec.mid(), spec.mid(), 3, spec.stride()));
            bn3 = register_module("bn3", batchNorm(spec.mid()));
            conv3 = register_module("conv3", conv(spec.mid(), spec.out(), 1, 1));
        } else {
            conv1 = register_module("conv1", conv(spec.in(), spec.out(), 3, spec.stride()));
            bn2 = register_module("bn2", batchNorm(spec.out()));
            conv2 = register_module("conv2", conv(spec.out(), spec.out(), 3, 1));
            bn3 = null;
            conv3 = null;
        }
        shortcut = spec.projects() ? register_module("shortcut", conv(spec.in(), spec.out(), 1, spec.stride())) : null;
    }

    /** x [B, in, H, W] -> [B, out, H / stride, W / stride]: residual branch plus shortcut. */
    @Override
    public Tensor forward(Tensor x) {
        Tensor a = torch.relu(BatchNorms.forward(bn1, x));                        // [B, in, H, W]
        Tensor h = branch(a);                                         // [B, out, H/s, W/s]
        return h.add(shortcut == null ? x : FlopCounter.forward(shortcut, a));     // [B, out, H/s, W/s]
    }

    /**
     * The residual function alone, without the shortcut: {@code branch(relu(bn1(x)))}. This is F or G inside a
     * {@link RevNetBlock}.
     */
    public Tensor residual(Tensor x) {
        return branch(torch.relu(BatchNorms.forward(bn1, x)));                    // [B, out, H/s, W/s]
    }

    /** The unit's layout. */
    public BlockSpec spec() {
        return spec;
    }

    private Tensor branch(Tensor a) {
        Tensor h = FlopCounter.forward(conv1, a);                                  // [B, mid, H, W] (BASIC: [B, out, H/s, W/s])
        h = FlopCounter.forward(conv2, torch.relu(BatchNorms.forward(bn2, h)));                // [B, mid, H/s, W/s] (BASIC: [B, out, H/s, W/s])
        if (conv3 != null) h = FlopCounter.forward(conv3, torch.relu(BatchNorms.forward(bn3, h))); // [B, out, H/s, W/s]
        return h;
    }

    /** A bias-free k x k convolution with padding k / 2. */
    static Conv2dImpl conv(int in, int out, int k, int stride) {
        Conv2dOptions o = new Conv2dOptions(in, out, new LongPointer(k, k));
        o.stride().put(0, stride).put(1, stride);
        o.padding().put(new LongPointer(k / 2, k / 2));
        o.bias().put(false);
        return new Conv2dImpl(o);
    }

    /** Batch norm with affine parameters and running statistics. */
    static BatchNorm2dImpl batchNorm(int c) {
        BatchNormOptions o = new BatchNormOptions(c);
        o.affine().put(true);
        o.track_running_stats().put(true);
        o.momentum().put(0.1);
        o.eps().put(1e-5);
        return new BatchNorm2dImpl(o);
    }
}
