package io.bigbigan.model.bigbigan;

/**
 * One residual block of the discriminator's image ConvNet F, one column of BigGAN's {@code D_arch} table
 * (Brock et al. 2019, Appendix B, Table 5; BigGAN-PyTorch {@code D_arch}).
 *
 * @param in            input channels
 * @param out           output channels
 * @param downsample    whether the block ends with a 2x2 average pool (halving the spatial size)
 * @param preactivation whether the residual branch starts with a ReLU (false only for the first block, which sees
 *                      raw pixels)
 * @param resolution    spatial size of the block's output (input size / 2 when {@code downsample})
 */
public record DBlockSpec(int in, int out, boolean downsample, boolean preactivation, int resolution) {
    public DBlockSpec {
        if (in <= 0 || out <= 0)
            throw new IllegalArgumentException("DBlock: channels must be positive, got in=" + in + " out=" + out);
        if (resolution <= 0) throw new IllegalArgumentException("DBlock: resolution must be positive, got " + resolution);
    }

    /** The block's input spatial size. */
    public int inputResolution() {
        return downsample ? 2 * resolution : resolution;
    }

    /** Whether the shortcut needs a learnable 1x1 convolution (channel change or downsampling), as in BigGAN. */
    public boolean learnableShortcut() {
        return in != out || downsample;
    }
}
