package io.bigbigan.model.bigbigan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The architecture of BigBiGAN's generator, which is BigGAN's G (Donahue &amp; Simonyan 2019, Section 2 and
 * Appendix B; Brock et al. 2019, Appendix B, Table 4) in the "Single Label" setup: the shared class embedding sees
 * one dummy label for every image.
 *
 * @param ch                  base channel width; block widths are multiples of it
 * @param zDim                size of z; split into {@code blocks.size() + 1} equal chunks (hierarchical latent)
 * @param imageChannels       channels of the generated image (1 grayscale, 3 RGB)
 * @param bottomWidth         spatial size of the initial linear layer's output (4)
 * @param blocks              the residual blocks, in order
 * @param attentionResolution self-attention after the block with this output resolution; 0 for none
 * @param sharedEmbedDim      size of the shared class embedding concatenated to each chunk; 0 for none (the
 *                            conditional batch norms then see the chunk alone)
 * @param numClasses          rows of the shared embedding (1 for BigBiGAN's dummy label)
 */
public record GeneratorConfig(int ch, int zDim, int imageChannels, int bottomWidth, List<GBlockSpec> blocks,
                              int attentionResolution, int sharedEmbedDim, int numClasses) {

    /** BigGAN-PyTorch's {@code G_arch}: per-block input and output channel multipliers, by output resolution. */
    private record Arch(int[] in, int[] out) {}

    private static final Map<Integer, Arch> G_ARCH = Map.of(
            32, new Arch(new int[]{4, 4, 4}, new int[]{4, 4, 4}),
            64, new Arch(new int[]{16, 16, 8, 4}, new int[]{16, 8, 4, 2}),
            128, new Arch(new int[]{16, 16, 8, 4, 2}, new int[]{16, 8, 4, 2, 1}),
            256, new Arch(new int[]{16, 16, 8, 8, 4, 2}, new int[]{16, 8, 8, 4, 2, 1}));

    public GeneratorConfig {
        if (ch <= 0 || zDim <= 0 || imageChannels <= 0 || bottomWidth <= 0)
            throw new IllegalArgumentException("generator: ch, zDim, imageChannels and bottomWidth must be positive");
        if (blocks == null || blocks.isEmpty()) throw new IllegalArgumentException("generator: needs at least one block");
        blocks = List.copyOf(blocks);
        if (zDim % (blocks.size() + 1) != 0)
            throw new IllegalArgumentException("generator: zDim " + zDim + " must split into " + (blocks.size() + 1)
                    + " equal chunks (one for the initial linear layer and one per block)");
        int res = bottomWidth;
        for (int i = 0; i < blocks.size(); i++) {
            GBlockSpec b = blocks.get(i);
            if (b.inputResolution() != res)
                throw new IllegalArgumentException("generator: block " + i + " takes " + b.inputResolution()
                        + " px but the previous layer outputs " + res + " px");
            if (i > 0 && blocks.get(i - 1).out() != b.in())
                throw new IllegalArgumentException("generator: block " + i + " takes " + b.in()
                        + " channels but block " + (i - 1) + " outputs " + blocks.get(i - 1).out());
            res = b.resolution();
        }
        if (attentionResolution < 0) throw new IllegalArgumentException("generator: attentionResolution must be >= 0");
        if (attentionResolution > 0) {
            GBlockSpec at = blocks.stream().filter(b -> b.resolution() == attentionResolution).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("generator: no block outputs the attention "
                            + "resolution " + attentionResolution + " px"));
            if (at.out() % 8 != 0)
                throw new IllegalArgumentException("generator: self-attention at " + attentionResolution
                        + " px needs channels divisible by 8, got " + at.out());
        }
        if (sharedEmbedDim < 0) throw new IllegalArgumentException("generator: sharedEmbedDim must be >= 0");
        if (numClasses <= 0) throw new IllegalArgumentException("generator: numClasses must be positive");
    }

    /**
     * BigGAN's G for a square {@code resolution} (32, 64, 128 or 256) from the {@code G_arch} table: every block
     * upsamples 2x, from a 4x4 bottom to {@code resolution}.
     */
    public static GeneratorConfig biggan(int resolution, int ch, int zDim, int imageChannels,
                                         int attentionResolution, int sharedEmbedDim, int numClasses) {
        Arch a = G_ARCH.get(resolution);
        if (a == null)
            throw new IllegalArgumentException("generator: no BigGAN architecture for " + resolution
                    + " px; known: 32, 64, 128, 256");
        List<GBlockSpec> blocks = new ArrayList<>();
        int res = 4;
        for (int i = 0; i < a.in().length; i++) {
            res *= 2;
            blocks.add(new GBlockSpec(a.in()[i] * ch, a.out()[i] * ch, true, res));
        }
        return new GeneratorConfig(ch, zDim, imageChannels, 4, blocks, attentionResolution, sharedEmbedDim,
                numClasses);
    }

    /**
     * The {@code bigbigan-32} generator: 32 px, ch = 32 (three 128 -> 128 channel blocks, 4 -> 8 -> 16 -> 32 px),
     * z = 120 in 4 chunks of 30, batch norms conditioned on the 30-d chunk alone, no attention.
     */
    public static GeneratorConfig bigbigan32(int imageChannels) {
        return biggan(32, 32, 120, imageChannels, 0, 0, 1);
    }

    /**
     * The BigBiGAN paper's 128 px generator: BigGAN 128 with ch = 96, z = 120 in 6 chunks of 20, a 128-d shared
     * embedding of a single dummy label, self-attention at 64 px, RGB output.
     */
    public static GeneratorConfig paper128() {
        return biggan(128, 96, 120, 3, 64, 128, 1);
    }

    /** Number of residual blocks. */
    public int numBlocks() {
        return blocks.size();
    }

    /** Size of each of the {@code numBlocks() + 1} chunks of z. */
    public int chunkSize() {
        return zDim / (blocks.size() + 1);
    }

    /** Size of the vector conditioning each block's batch norms: shared embedding + chunk. */
    public int conditioningDim() {
        return sharedEmbedDim + chunkSize();
    }

    /** Output resolution (height = width). */
    public int resolution() {
        return blocks.getLast().resolution();
    }
}
