package io.bigbigan.trainer.data.augment;

import java.util.SplittableRandom;

/** Mirrors an image left-right with probability {@code p}; always draws exactly one number from the generator. */
public final class RandomHorizontalFlip implements ImageTransform {
    private final double p;

    /** Flips half the images. */
    public RandomHorizontalFlip() {
        this(0.5);
    }

    /** Flips with probability {@code p} in [0, 1]. */
    public RandomHorizontalFlip(double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("flip probability must be in [0, 1], got " + p);
        this.p = p;
    }

    @Override
    public ImageShape outputShape(ImageShape in) {
        return in;
    }

    @Override
    public float[] apply(float[] src, ImageShape in, SplittableRandom rng) {
        boolean flip = rng.nextDouble() < p;
        float[] out = src.clone();
        if (!flip) return out;
        int w = in.width();
        for (int row = 0; row < in.channels() * in.height(); row++) {
            int base = row * w;
            for (int x = 0; x < w; x++) out[base + x] = src[base + w - 1 - x];
        }
        return out;
    }

    @Override
    public String toString() {
        return "RandomHorizontalFlip(" + p + ")";
    }
}
