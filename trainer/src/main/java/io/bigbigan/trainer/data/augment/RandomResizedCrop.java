package io.bigbigan.trainer.data.augment;

import java.util.SplittableRandom;

/**
 * ResNet-style random resized crop (torchvision's {@code RandomResizedCrop} algorithm): up to 10 tries to pick a box
 * whose area is a uniform fraction in {@code scale} of the image and whose aspect ratio w/h is log-uniform in
 * {@code ratio}, placed uniformly; if none fits, the largest centred box with a ratio clamped to {@code ratio}. The
 * box is resampled bilinearly to {@code size x size}. Channels are unchanged.
 *
 * <p>The box depends only on the input shape and the generator, never on {@code size}: pipelines that differ only
 * in their output sizes crop the same region of an image.
 */
public final class RandomResizedCrop implements ImageTransform {
    /** torchvision's default area fraction range. */
    public static final double[] DEFAULT_SCALE = {0.08, 1.0};
    /** torchvision's default aspect-ratio range (3/4, 4/3). */
    public static final double[] DEFAULT_RATIO = {3.0 / 4.0, 4.0 / 3.0};
    private static final int ATTEMPTS = 10;

    private final int size;
    private final double scaleMin, scaleMax, logRatioMin, logRatioMax, ratioMin, ratioMax;

    /** A crop to {@code size x size} with torchvision's default scale (0.08, 1) and ratio (3/4, 4/3). */
    public RandomResizedCrop(int size) {
        this(size, DEFAULT_SCALE[0], DEFAULT_SCALE[1], DEFAULT_RATIO[0], DEFAULT_RATIO[1]);
    }

    /** A crop to {@code size x size}, area fraction in [scaleMin, scaleMax], ratio w/h in [ratioMin, ratioMax]. */
    public RandomResizedCrop(int size, double scaleMin, double scaleMax, double ratioMin, double ratioMax) {
        if (size <= 0) throw new IllegalArgumentException("crop size must be positive, got " + size);
        if (!(0 < scaleMin && scaleMin <= scaleMax && scaleMax <= 1))
            throw new IllegalArgumentException("scale range must satisfy 0 < min <= max <= 1, got [" + scaleMin + ", "
                    + scaleMax + "]");
        if (!(0 < ratioMin && ratioMin <= ratioMax))
            throw new IllegalArgumentException("ratio range must satisfy 0 < min <= max, got [" + ratioMin + ", "
                    + ratioMax + "]");
        this.size = size;
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
        this.logRatioMin = Math.log(ratioMin);
        this.logRatioMax = Math.log(ratioMax);
    }

    /**
     * The crop box {@code {x, y, w, h}} (integer pixels) for an image of {@code height x width}; draws the same
     * count of random numbers as {@link #apply} does.
     */
    public int[] box(int height, int width, SplittableRandom rng) {
        double area = (double) height * width;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double target = area * uniform(rng, scaleMin, scaleMax);
            double aspect = Math.exp(uniform(rng, logRatioMin, logRatioMax));
            int w = (int) Math.round(Math.sqrt(target * aspect));
            int h = (int) Math.round(Math.sqrt(target / aspect));
            // Both positions are drawn on every attempt so the stream's use does not depend on the outcome's shape.
            double u = rng.nextDouble(), v = rng.nextDouble();
            if (0 < w && w <= width && 0 < h && h <= height) {
                int y = (int) Math.floor(v * (height - h + 1));
                int x = (int) Math.floor(u * (width - w + 1));
                skip(rng, ATTEMPTS - 1 - attempt);
                return new int[]{x, y, w, h};
            }
        }
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < ratioMin) {
            w = width;
            h = (int) Math.round(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = height;
            w = (int) Math.round(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        return new int[]{(width - w) / 2, (height - h) / 2, w, h};
    }

    @Override
    public ImageShape outputShape(ImageShape in) {
        return new ImageShape(in.channels(), size, size);
    }

    @Override
    public float[] apply(float[] src, ImageShape in, SplittableRandom rng) {
        int[] b = box(in.height(), in.width(), rng);
        return Bilinear.resample(src, in, b[0], b[1], b[2], b[3], size, size, false);
    }

    /** Keeps the count of draws fixed (4 per attempt), whichever attempt succeeds. */
    private static void skip(SplittableRandom rng, int attempts) {
        for (int i = 0; i < 4 * attempts; i++) rng.nextDouble();
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }

    @Override
    public String toString() {
        return "RandomResizedCrop(" + size + ", scale=[" + scaleMin + ", " + scaleMax + "], ratio=[" + ratioMin + ", "
                + ratioMax + "])";
    }
}
