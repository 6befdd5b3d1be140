package io.bigbigan.trainer.data.augment;

/**
 * The shape {@code [C, H, W]} of one image.
 *
 * @param channels C
 * @param height   H
 * @param width    W
 */
public record ImageShape(int channels, int height, int width) {
    /** Validates that every side is positive. */
    public ImageShape {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new IllegalArgumentException("bad image shape [" + channels + ", " + height + ", " + width + "]");
    }

    /** Number of values C * H * W. */
    public int numel() {
        return channels * height * width;
    }

    @Override
    public String toString() {
        return "[" + channels + ", " + height + ", " + width + "]";
    }
}
