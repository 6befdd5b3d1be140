package io.bigbigan.trainer.data.augment;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Pads every side by {@code pixels} with a constant background value (in the pipeline's [0, 1] units), e.g.
 * {@code new Pad(2, 0)} turns 28x28 (Fashion-)MNIST into the 32x32 the models expect. Draws no random numbers.
 */
public final class Pad implements ImageTransform {
    private final int pixels;
    private final float value;

    /** Pads {@code pixels} (>= 0) on each side with {@code value}. */
    public Pad(int pixels, float value) {
        if (pixels < 0) throw new IllegalArgumentException("padding must be >= 0, got " + pixels);
        this.pixels = pixels;
        this.value = value;
    }

    @Override
    public ImageShape outputShape(ImageShape in) {
        return new ImageShape(in.channels(), in.height() + 2 * pixels, in.width() + 2 * pixels);
    }

    @Override
    public float[] apply(float[] src, ImageShape in, SplittableRandom rng) {
        ImageShape o = outputShape(in);
        float[] out = new float[o.numel()];
        Arrays.fill(out, value);
        for (int c = 0; c < in.channels(); c++)
            for (int y = 0; y < in.height(); y++)
                System.arraycopy(src, (c * in.height() + y) * in.width(), out,
                        (c * o.height() + y + pixels) * o.width() + pixels, in.width());
        return out;
    }

    @Override
    public String toString() {
        return "Pad(" + pixels + ", " + value + ")";
    }
}
