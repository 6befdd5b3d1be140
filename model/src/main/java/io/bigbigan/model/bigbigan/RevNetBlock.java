package io.bigbigan.model.bigbigan;

import io.bigbigan.model.bigbigan.EncoderConfig.BlockSpec;
import io.bigbigan.model.bigbigan.EncoderConfig.BlockType;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * A reversible residual block of the RevNet-50 encoder backbone (Donahue &amp; Simonyan 2019, Section 3, RevNet
 * option; Gomez et al. 2017 "The Reversible Residual Network"; Kolesnikov et al. 2019). With {@code x = [x1, x2]}
 * split along channels:
 * <pre>
 *   y1 = x1 + F(x2)        x2 = y2 - G(y1)
 *   y2 = x2 + G(y1)        x1 = y1 - F(x2)     (inverse)
 * </pre>
 * F and G are pre-activation bottleneck residual functions (bn1-relu-conv1x1, bn2-relu-conv3x3, bn3-relu-conv1x1,
 * no shortcut) on C/2 channels with bottleneck width {@code spec.mid()}; parameters {@code f.*} and {@code g.*}.
 *
 * <p>We keep the architecture and its exact invertibility ({@link #inverse}) but not the memory saving: autograd
 * still stores every activation, since there is no custom backward that recomputes them from the outputs.
 *
 * <p>Stage layout (see {@link EncoderConfig#stages()}): the first unit of each stage is an ordinary projecting
 * {@link EncoderBlock}, the rest are RevNetBlocks. Kolesnikov et al.'s reference {@code revnet} differs in two
 * details we do not copy: its units apply one residual function and swap halves ({@code [x2, x1 + F(x2)]}), and
 * stages are joined by average pooling plus zero-padding of channels instead of a projecting block.
 */
public final class RevNetBlock extends Module implements ResNetEncoder.Unit {
    private final EncoderBlock f, g;
    private final int half;

    /** Builds the block from a REVERSIBLE spec (in == out = C, stride 1). */
    public RevNetBlock(BlockSpec spec) {
        if (spec.type() != BlockType.REVERSIBLE) throw new IllegalArgumentException("RevNetBlock needs a REVERSIBLE spec");
        half = spec.out() / 2;
        BlockSpec fg = new BlockSpec(BlockType.BOTTLENECK, half, spec.mid(), half, 1);
        f = register_module("f", new EncoderBlock(fg));
        g = register_module("g", new EncoderBlock(fg));
    }

    /** x [B, C, H, W] -> y [B, C, H, W]. */
    @Override
    public Tensor forward(Tensor x) {
        Tensor x1 = x.narrow(1, 0, half), x2 = x.narrow(1, half, half);   // [B, C/2, H, W] each
        Tensor y1 = x1.add(f.residual(x2));                                 // [B, C/2, H, W]
        Tensor y2 = x2.add(g.residual(y1));                                 // [B, C/2, H, W]
        return torch.cat(new TensorVector(y1, y2), 1);                      // [B, C, H, W]
    }

    /**
     * Reconstructs the input from the output, y [B, C, H, W] -> x [B, C, H, W]. Exact up to float rounding when the
     * batch-norm layers normalise the same way as in the forward pass (eval mode, or the same batch in train mode;
     * in train mode this also updates running statistics a second time).
     */
    public Tensor inverse(Tensor y) {
        Tensor y1 = y.narrow(1, 0, half), y2 = y.narrow(1, half, half);   // [B, C/2, H, W] each
        Tensor x2 = y2.sub(g.residual(y1));                                 // [B, C/2, H, W]
        Tensor x1 = y1.sub(f.residual(x2));                                 // [B, C/2, H, W]
        return torch.cat(new TensorVector(x1, x2), 1);                      // [B, C, H, W]
    }
}
