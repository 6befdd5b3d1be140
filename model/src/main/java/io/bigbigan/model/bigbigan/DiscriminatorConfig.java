package io.bigbigan.model.bigbigan;

import java.util.ArrayList;
import java.util.List;

/**
 * The BigBiGAN joint discriminator D = (F, H, J) as data (Donahue & Simonyan 2019, Section 2 and Figure 1).
 * F is BigGAN's discriminator ConvNet on x; H an MLP on z; J an MLP on [F(x), H(z)]; each has a linear score head.
 *
 * @param imageChannels       channels of x (1 or 3)
 * @param resolution          spatial size of x (square)
 * @param ch                  BigGAN's channel multiplier (the block widths are multiples of it)
 * @param fBlocks             the blocks of F, in order (BigGAN's {@code D_arch} columns)
 * @param attentionResolution self-attention after the first F block whose output has this spatial size; 0 = none
 * @param zDim                size of z
 * @param hWidth              width of H (its output H(z) is [B, hWidth])
 * @param hBlocks             residual blocks of H (two linear layers each)
 * @param jWidth              width of J
 * @param jBlocks             residual blocks of J
 */
public record DiscriminatorConfig(int imageChannels, int resolution, int ch, List<DBlockSpec> fBlocks,
                                  int attentionResolution, int zDim, int hWidth, int hBlocks, int jWidth,
                                  int jBlocks) {
    public DiscriminatorConfig {
        if (imageChannels <= 0) throw new IllegalArgumentException("D: imageChannels must be positive, got " + imageChannels);
        if (resolution <= 0) throw new IllegalArgumentException("D: resolution must be positive, got " + resolution);
        if (ch <= 0) throw new IllegalArgumentException("D: ch must be positive, got " + ch);
        if (fBlocks == null || fBlocks.isEmpty()) throw new IllegalArgumentException("D: F needs at least one block");
        fBlocks = List.copyOf(fBlocks);
        int c = imageChannels, r = resolution;
        for (int i = 0; i < fBlocks.size(); i++) {
            DBlockSpec b = fBlocks.get(i);
            if (b.in() != c)
                throw new IllegalArgumentException("D: F block " + i + " takes " + b.in() + " channels but receives " + c);
            if (b.inputResolution() != r)
                throw new IllegalArgumentException("D: F block " + i + " expects " + b.inputResolution()
                        + " px input but receives " + r + " px");
            c = b.out();
            r = b.resolution();
        }
        if (attentionResolution < 0) throw new IllegalArgumentException("D: attentionResolution must be >= 0");
        if (attentionResolution > 0 && attentionBlock(fBlocks, attentionResolution) < 0)
            throw new IllegalArgumentException("D: no F block outputs " + attentionResolution + " px for self-attention");
        if (zDim <= 0 || hWidth <= 0 || jWidth <= 0)
            throw new IllegalArgumentException("D: zDim, hWidth and jWidth must be positive");
        if (hBlocks < 0 || jBlocks < 0) throw new IllegalArgumentException("D: hBlocks and jBlocks must be >= 0");
    }

    /**
     * BigGAN's discriminator architecture for {@code resolution} (32, 64, 128 or 256), widths in multiples of
     * {@code ch}; the first block has no pre-activation, the last keeps the spatial size.
     */
    public static DiscriminatorConfig biggan(int resolution, int ch, int imageChannels, int attentionResolution,
                                             int zDim, int hWidth, int hBlocks, int jWidth, int jBlocks) {
        int[] out;
        boolean[] down;
        switch (resolution) {
            case 32 -> { out = new int[]{4, 4, 4, 4}; down = new boolean[]{true, true, false, false}; }
            case 64 -> { out = new int[]{1, 2, 4, 8, 16}; down = new boolean[]{true, true, true, true, false}; }
            case 128 -> { out = new int[]{1, 2, 4, 8, 16, 16}; down = new boolean[]{true, true, true, true, true, false}; }
            case 256 -> { out = new int[]{1, 2, 4, 8, 8, 16, 16}; down = new boolean[]{true, true, true, true, true, true, false}; }
            default -> throw new IllegalArgumentException("D: no BigGAN architecture for " + resolution + " px (32, 64, 128, 256)");
        }
        List<DBlockSpec> blocks = new ArrayList<>();
        int in = imageChannels, r = resolution;
        for (int i = 0; i < out.length; i++) {
            if (down[i]) r /= 2;
            blocks.add(new DBlockSpec(in, out[i] * ch, down[i], i > 0, r));
            in = out[i] * ch;
        }
        return new DiscriminatorConfig(imageChannels, resolution, ch, blocks, attentionResolution, zDim, hWidth,
                hBlocks, jWidth, jBlocks);
    }

    /** {@code bigbigan-32}: BigGAN's 32 px D (ch 32, 4ch wide, no attention), z 120, H and J 256 wide with 2 blocks. */
    public static DiscriminatorConfig bigbigan32(int imageChannels) {
        return biggan(32, 32, imageChannels, 0, 120, 256, 2, 256, 2);
    }

    /** The paper's 128 px D: ch 96, attention at 64 px, z 120, H and J 2048 wide with 4 residual blocks each. */
    public static DiscriminatorConfig paper128() {
        return biggan(128, 96, 3, 64, 120, 2048, 4, 2048, 4);
    }

    /** Channels of F(x), the output of the last block. */
    public int fFeatures() {
        return fBlocks.getLast().out();
    }

    /** Index of the F block followed by self-attention, or -1 for none. */
    public int attentionBlock() {
        return attentionResolution == 0 ? -1 : attentionBlock(fBlocks, attentionResolution);
    }

    private static int attentionBlock(List<DBlockSpec> blocks, int res) {
        for (int i = 0; i < blocks.size(); i++) if (blocks.get(i).resolution() == res) return i;
        return -1;
    }
}
