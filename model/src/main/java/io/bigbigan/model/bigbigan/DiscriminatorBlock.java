package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.SNConv2d;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BigGAN's residual discriminator block (Brock et al. 2019, Appendix B, Figure 15(c); BigGAN-PyTorch
 * {@code layers.DBlock}), used by F in BigBiGAN (Donahue & Simonyan 2019, Section 2).
 *
 * <pre>
 * residual: [ReLU if preactivation] -> conv1 3x3 (in -> out) -> ReLU -> conv2 3x3 (out -> out) -> [avgpool 2x2]
 * shortcut: identity, or (when in != out or downsampling)
 *           preactivation: conv_sc 1x1 -> [avgpool];  otherwise: [avgpool] -> conv_sc 1x1
 * output  : residual + shortcut
 * </pre>
 * All convolutions are spectrally normalised; parameters {@code conv1.*}, {@code conv2.*}, {@code conv_sc.*}.
 */
public final class DiscriminatorBlock extends Module {
    private final DBlockSpec spec;
    private final SNConv2d conv1, conv2, convSc;

    public DiscriminatorBlock(DBlockSpec spec) {
        this.spec = spec;
        conv1 = register_module("conv1", new SNConv2d(spec.in(), spec.out(), 3));
        conv2 = register_module("conv2", new SNConv2d(spec.out(), spec.out(), 3));
        convSc = spec.learnableShortcut() ? register_module("conv_sc", new SNConv2d(spec.in(), spec.out(), 1)) : null;
    }

    /** x [B, in, R, R] -> [B, out, R', R'] with R' = R/2 when downsampling, else R. */
    public Tensor forward(Tensor x) {
        Tensor h = spec.preactivation() ? torch.relu(x) : x;                    // [B, in, R, R]
        h = conv1.forward(h);                                                   // [B, out, R, R]
        h = conv2.forward(torch.relu(h));                                       // [B, out, R, R]
        if (spec.downsample()) h = torch.avg_pool2d(h, 2);                      // [B, out, R/2, R/2]
        return h.add(shortcut(x));                                              // [B, out, R', R']
    }

    private Tensor shortcut(Tensor x) {
        if (convSc == null) return x;                                           // [B, in == out, R, R]
        if (spec.preactivation()) {
            Tensor s = convSc.forward(x);                                       // [B, out, R, R]
            return spec.downsample() ? torch.avg_pool2d(s, 2) : s;              // [B, out, R', R']
        }
        Tensor s = spec.downsample() ? torch.avg_pool2d(x, 2) : x;              // [B, in, R', R']
        return convSc.forward(s);                                               // [B, out, R', R']
    }

    public DBlockSpec spec() { return spec; }
}
