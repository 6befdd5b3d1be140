package io.bigbigan.model.bigbigan;

/**
 * One residual block of BigGAN's generator (one column of BigGAN-PyTorch's {@code G_arch}).
 *
 * @param in         input channels
 * @param out        output channels
 * @param upsample   whether the block doubles the spatial size (nearest neighbour)
 * @param resolution output resolution (height = width) of the block
 */
public record GBlockSpec(int in, int out, boolean upsample, int resolution) {
    public GBlockSpec {
        if (in <= 0 || out <= 0)
            throw new IllegalArgumentException("GBlock: channels must be positive, got in=" + in + " out=" + out);
        if (resolution <= 0) throw new IllegalArgumentException("GBlock: resolution must be positive, got " + resolution);
        if (upsample && resolution % 2 != 0)
            throw new IllegalArgumentException("GBlock: an upsampling block has an even output resolution, got "
                    + resolution);
    }

    /** The resolution of the block's input. */
    public int inputResolution() {
        return upsample ? resolution / 2 : resolution;
    }

    /** Whether the shortcut needs a learnable 1x1 convolution (BigGAN: in != out or upsample). */
    public boolean learnableShortcut() {
        return in != out || upsample;
    }
}
