package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.ConditionalBatchNorm;
import io.bigbigan.model.layers.SNConv2d;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BigGAN's generator residual block ({@code GBlock}; Brock et al. 2019, Appendix B, Figure 15(b)):
 * <pre>
 *   h = conv2(relu(cbn2(conv1(up(relu(cbn1(x, y)))), y)))      3x3 convolutions, in -> out -> out
 *   return h + conv_sc(up(x))                                  1x1 shortcut when in != out or upsampling
 * </pre>
 * with nearest-neighbour 2x upsampling {@code up}, conditional batch norms and spectrally normalised convolutions.
 *
 * <p>Names: {@code cbn1.*}, {@code conv1.*}, {@code cbn2.*}, {@code conv2.*}, {@code conv_sc.*}.
 */
public final class GeneratorBlock extends Module {
    private final GBlockSpec spec;
    private final ConditionalBatchNorm cbn1, cbn2;
    private final SNConv2d conv1, conv2, convSc;

    /**
     * @param spec            channels, upsampling and resolution
     * @param conditioningDim size of the vector y conditioning both batch norms
     */
    public GeneratorBlock(GBlockSpec spec, int conditioningDim) {
        this.spec = spec;
        cbn1 = register_module("cbn1", new ConditionalBatchNorm(spec.in(), conditioningDim));
        conv1 = register_module("conv1", new SNConv2d(spec.in(), spec.out(), 3));
        cbn2 = register_module("cbn2", new ConditionalBatchNorm(spec.out(), conditioningDim));
        conv2 = register_module("conv2", new SNConv2d(spec.out(), spec.out(), 3));
        convSc = spec.learnableShortcut()
                ? register_module("conv_sc", new SNConv2d(spec.in(), spec.out(), 1, 1, 0, true)) : null;
    }

    /** x [B, in, H, W], y [B, conditioningDim] -> [B, out, 2H, 2W] (or [B, out, H, W] without upsampling). */
    public Tensor forward(Tensor x, Tensor y) {
        Tensor h = torch.relu(cbn1.forward(x, y));             // [B, in, H, W]
        h = upsample(h);                                       // [B, in, H', W']
        h = conv1.forward(h);                                  // [B, out, H', W']
        h = torch.relu(cbn2.forward(h, y));                    // [B, out, H', W']
        h = conv2.forward(h);                                  // [B, out, H', W']
        Tensor skip = upsample(x);                             // [B, in, H', W']
        if (convSc != null) skip = convSc.forward(skip);       // [B, out, H', W']
        return h.add(skip);                                    // [B, out, H', W']
    }

    /** The block's architecture. */
    public GBlockSpec spec() { return spec; }

    private Tensor upsample(Tensor x) {
        if (!spec.upsample()) return x;
        return torch.upsample_nearest2d(x, new long[]{2 * x.size(2), 2 * x.size(3)});
    }
}
