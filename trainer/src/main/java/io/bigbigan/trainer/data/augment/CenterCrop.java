package io.bigbigan.trainer.data.augment;

import java.util.SplittableRandom;

/**
 * Deterministic evaluation crop: the centred square whose side is {@code fraction} of the shorter image side,
 * resampled bilinearly to {@code size x size} (fraction 1 = the largest centred square, as torchvision's
 * {@code Resize(size) + CenterCrop(size)}; 0.875 = ResNet's 224/256). {@link #exact(int)} cuts a {@code size x size}
 * window without resampling, so its values are exactly the source pixels. Draws no random numbers.
 */
public final class CenterCrop implements ImageTransform {
    private final int size;
    private final double fraction; // NaN: exact window of side `size`

    private CenterCrop(int size, double fraction) {
        if (size <= 0) throw new IllegalArgumentException("crop size must be positive, got " + size);
        this.size = size;
        this.fraction = fraction;
    }

    /** The centred {@code size x size} window, copied without resampling (image sides must be at least size). */
    public static CenterCrop exact(int size) {
        return new CenterCrop(size, Double.NaN);
    }

    /** The centred square of side {@code fraction * min(H, W)}, resized to {@code size x size}. */
    public static CenterCrop resized(int size, double fraction) {
        if (!(fraction > 0 && fraction <= 1))
            throw new IllegalArgumentException("centre-crop fraction must be in (0, 1], got " + fraction);
        return new CenterCrop(size, fraction);
    }

    @Override
    public ImageShape outputShape(ImageShape in) {
        if (Double.isNaN(fraction) && (in.height() < size || in.width() < size))
            throw new IllegalArgumentException("centre crop of " + size + "x" + size + " does not fit an image of "
                    + in);
        return new ImageShape(in.channels(), size, size);
    }

    @Override
    public float[] apply(float[] src, ImageShape in, SplittableRandom rng) {
        outputShape(in);
        int side = Double.isNaN(fraction) ? size
                : Math.max(1, (int) Math.round(fraction * Math.min(in.height(), in.width())));
        int x = (in.width() - side) / 2, y = (in.height() - side) / 2;
        return Bilinear.resample(src, in, x, y, side, side, size, size, false);
    }

    @Override
    public String toString() {
        return Double.isNaN(fraction) ? "CenterCrop.exact(" + size + ")" : "CenterCrop(" + size + ", " + fraction + ")";
    }
}
