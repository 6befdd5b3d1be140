package io.bigbigan.model.bigbigan;

import java.util.ArrayList;
import java.util.List;

/**
 * The BigBiGAN encoder E as data (Donahue &amp; Simonyan 2019, Section 3 "Encoder E" and Appendix: a ResNet-v2 or
 * RevNet backbone as in Kolesnikov et al. 2019, followed by an MLP head that parameterises the posterior over z).
 * {@link #stem()} and {@link #stages()} spell out every block, like BigGAN's {@code D_arch} dictionaries.
 *
 * @param kind            the backbone
 * @param widthMultiplier channel multiplier w of the ResNet-50 kinds (1, 2 or 4; must be 1 for {@code RESNET_SMALL})
 * @param resolution      the square input size E runs at; {@link StochasticEncoder} resizes other inputs to it
 * @param imageChannels   input channels (3 for RGB, 1 for grayscale)
 * @param smallChannels   base width ch of {@code RESNET_SMALL} (ignored, and 0 by convention, for the other kinds)
 * @param headWidth       width of the MLP head (paper: 4096)
 * @param headBlocks      residual MLP blocks in the head, two linear layers each (paper: 2, i.e. 4 layers)
 * @param zDim            latent size (paper: 120)
 * @param posterior       how the head turns features into z
 * @param depths          blocks per stage, 4 stages ([3, 4, 6, 3] for the 50-layer kinds, [1, 1, 1, 1] for the
 *                        small ResNet; smaller values make test-sized networks)
 */
public record EncoderConfig(Kind kind, int widthMultiplier, int resolution, int imageChannels, int smallChannels,
                            int headWidth, int headBlocks, int zDim, Posterior posterior, List<Integer> depths) {

    /** Backbone families. */
    public enum Kind {
        /** ResNet-v2-50: 7x7 stem, max-pool, pre-activation bottleneck blocks (Kolesnikov et al. 2019). */
        RESNET_V2_50,
        /** RevNet-50: like ResNet-v2-50, but blocks after the first of each stage are reversible. */
        REVNET_50,
        /** A small pre-activation ResNet of basic blocks for 32 px images (the {@code bigbigan-32} preset). */
        RESNET_SMALL
    }

    /** The posterior family of E(z | x). */
    public enum Posterior {
        /** z = mu + eps * softplus(sigma_hat), eps ~ N(0, I); the head outputs 2 * zDim values (the paper's E). */
        GAUSSIAN,
        /** z = mu; the head outputs zDim values. */
        DETERMINISTIC,
        /** z = tanh(linear(h)) in (-1, 1), matching a uniform prior; the head outputs zDim values. */
        UNIFORM
    }

    /** The three residual units of the backbones. */
    public enum BlockType {
        /** Pre-activation bottleneck: 1x1 (in -> mid), 3x3 (mid -> mid, stride), 1x1 (mid -> out). */
        BOTTLENECK,
        /** Pre-activation basic block: 3x3 (in -> out, stride), 3x3 (out -> out). */
        BASIC,
        /** Reversible block on out channels; F and G are bottlenecks on out/2 channels with width mid. */
        REVERSIBLE
    }

    /**
     * One residual unit. A shortcut projection (1x1 conv, stride) exists when {@code in != out || stride != 1}.
     *
     * @param mid the bottleneck width (BOTTLENECK), or the width of F and G (REVERSIBLE); equals out for BASIC
     */
    public record BlockSpec(BlockType type, int in, int mid, int out, int stride) {
        public BlockSpec {
            if (in <= 0 || mid <= 0 || out <= 0) throw new IllegalArgumentException("block: channels must be positive");
            if (stride != 1 && stride != 2) throw new IllegalArgumentException("block: stride must be 1 or 2, got " + stride);
            if (type == BlockType.REVERSIBLE && (in != out || stride != 1 || out % 2 != 0))
                throw new IllegalArgumentException("reversible block: needs in == out (even) and stride 1, got "
                        + in + " -> " + out + " stride " + stride);
        }

        /** True when the identity shortcut does not fit and a 1x1 projection is needed. */
        public boolean projects() {
            return type != BlockType.REVERSIBLE && (in != out || stride != 1);
        }
    }

    /**
     * The stem: a bias-free k x k convolution, then (ResNet-50 kinds) a 3x3 stride-2 max-pool with padding 1. The
     * stem has no BN-ReLU: in a pre-activation network the first block normalises its input.
     */
    public record StemSpec(int in, int out, int kernel, int stride, boolean maxPool) {}

    public EncoderConfig {
        if (kind == null || posterior == null || depths == null)
            throw new IllegalArgumentException("encoder: kind, posterior and depths are required");
        depths = List.copyOf(depths);
        if (depths.size() != 4 || depths.stream().anyMatch(d -> d < 1))
            throw new IllegalArgumentException("encoder: depths must be 4 positive stage sizes, got " + depths);
        if (kind == Kind.RESNET_SMALL) {
            if (widthMultiplier != 1) throw new IllegalArgumentException("encoder: RESNET_SMALL uses smallChannels, widthMultiplier must be 1");
            if (smallChannels <= 0) throw new IllegalArgumentException("encoder: RESNET_SMALL needs smallChannels > 0");
        } else if (widthMultiplier != 1 && widthMultiplier != 2 && widthMultiplier != 4) {
            throw new IllegalArgumentException("encoder: widthMultiplier must be 1, 2 or 4, got " + widthMultiplier);
        }
        if (resolution < totalStride(kind))
            throw new IllegalArgumentException("encoder: resolution " + resolution + " is below the backbone's total stride "
                    + totalStride(kind));
        if (imageChannels <= 0) throw new IllegalArgumentException("encoder: imageChannels must be positive");
        if (headWidth <= 0 || headBlocks < 0 || zDim <= 0)
            throw new IllegalArgumentException("encoder: headWidth and zDim must be positive, headBlocks >= 0");
    }

    /**
     * The {@code bigbigan-32} style encoder: small pre-activation ResNet (blocks ch->ch, ch->2ch, 2ch->4ch, 4ch->8ch),
     * residual MLP head, Gaussian posterior.
     */
    public static EncoderConfig resnetSmall(int imageChannels, int ch, int resolution, int headWidth, int headBlocks,
                                            int zDim) {
        return new EncoderConfig(Kind.RESNET_SMALL, 1, resolution, imageChannels, ch, headWidth, headBlocks, zDim,
                Posterior.GAUSSIAN, List.of(1, 1, 1, 1));
    }

    /** ResNet-v2-50 x width on RGB images with the paper's head (4096 wide, 2 residual blocks, Gaussian). */
    public static EncoderConfig resnet50(int width, int resolution, int zDim) {
        return new EncoderConfig(Kind.RESNET_V2_50, width, resolution, 3, 0, 4096, 2, zDim, Posterior.GAUSSIAN,
                List.of(3, 4, 6, 3));
    }

    /** RevNet-50 x width on RGB images with the paper's head (4096 wide, 2 residual blocks, Gaussian). */
    public static EncoderConfig revnet50(int width, int resolution, int zDim) {
        return new EncoderConfig(Kind.REVNET_50, width, resolution, 3, 0, 4096, 2, zDim, Posterior.GAUSSIAN,
                List.of(3, 4, 6, 3));
    }

    /** This configuration with another posterior. */
    public EncoderConfig withPosterior(Posterior p) {
        return new EncoderConfig(kind, widthMultiplier, resolution, imageChannels, smallChannels, headWidth, headBlocks,
                zDim, p, depths);
    }

    /** This configuration with other stage depths (e.g. [1, 1, 1, 1] or [1, 2, 1, 1] for test-sized networks). */
    public EncoderConfig withDepths(int... d) {
        List<Integer> list = new ArrayList<>();
        for (int v : d) list.add(v);
        return new EncoderConfig(kind, widthMultiplier, resolution, imageChannels, smallChannels, headWidth, headBlocks,
                zDim, posterior, list);
    }

    /** This configuration with another head (width, residual blocks). */
    public EncoderConfig withHead(int width, int blocks) {
        return new EncoderConfig(kind, widthMultiplier, resolution, imageChannels, smallChannels, width, blocks, zDim,
                posterior, depths);
    }

    /** The stem of the backbone. */
    public StemSpec stem() {
        return kind == Kind.RESNET_SMALL
                ? new StemSpec(imageChannels, smallChannels, 3, 1, false)
                : new StemSpec(imageChannels, 64 * widthMultiplier, 7, 2, true);
    }

    /**
     * Every residual unit, stage by stage. ResNet-50 kinds: bottleneck widths 64w, 128w, 256w, 512w, outputs 4x
     * those, stride 2 in the first block of stages 2-4; for REVNET_50 the blocks after the first of each stage are
     * reversible, with F and G of bottleneck width (out / 2) / 4 on out / 2 channels (as in Kolesnikov et al.'s
     * {@code bottleneck_rev}). RESNET_SMALL: basic blocks to ch, 2ch, 4ch, 8ch, stride 1 then 2, 2, 2.
     */
    public List<List<BlockSpec>> stages() {
        List<List<BlockSpec>> out = new ArrayList<>();
        int in = stem().out();
        for (int s = 0; s < 4; s++) {
            List<BlockSpec> stage = new ArrayList<>();
            int stride = s == 0 ? 1 : 2;
            if (kind == Kind.RESNET_SMALL) {
                int c = smallChannels << s;                                 // ch, 2ch, 4ch, 8ch
                for (int b = 0; b < depths.get(s); b++)
                    stage.add(new BlockSpec(BlockType.BASIC, b == 0 ? in : c, c, c, b == 0 ? stride : 1));
                in = c;
            } else {
                int mid = 64 * widthMultiplier << s, c = 4 * mid;          // 64w..512w, outputs 256w..2048w
                stage.add(new BlockSpec(BlockType.BOTTLENECK, in, mid, c, stride));
                for (int b = 1; b < depths.get(s); b++)
                    stage.add(kind == Kind.REVNET_50
                            ? new BlockSpec(BlockType.REVERSIBLE, c, c / 8, c, 1)
                            : new BlockSpec(BlockType.BOTTLENECK, c, mid, c, 1));
                in = c;
            }
            out.add(List.copyOf(stage));
        }
        return List.copyOf(out);
    }

    /** Size of the pooled features: 2048w for the ResNet-50 kinds, 8ch for RESNET_SMALL. */
    public int featureDim() {
        List<List<BlockSpec>> st = stages();
        List<BlockSpec> last = st.get(st.size() - 1);
        return last.get(last.size() - 1).out();
    }

    /** Values the head's last linear layer produces: 2 * zDim (mu, sigma_hat) when Gaussian, else zDim. */
    public int headOutputs() {
        return posterior == Posterior.GAUSSIAN ? 2 * zDim : zDim;
    }

    private static int totalStride(Kind k) {
        return k == Kind.RESNET_SMALL ? 8 : 32;
    }
}
