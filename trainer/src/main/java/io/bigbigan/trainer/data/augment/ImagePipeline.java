package io.bigbigan.trainer.data.augment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A composable list of {@link ImageTransform}s applied to one uint8 image: the bytes are first scaled to float
 * [0, 1], then each transform runs in order. Examples:
 * <pre>{@code
 * ImagePipeline mnist32 = ImagePipeline.of(new Pad(2, 0f), new ToSignedRange());              // 28 -> 32, [-1, 1]
 * ImagePipeline trainG  = ImagePipeline.of(new RandomResizedCrop(64), new RandomHorizontalFlip(), new ToSignedRange());
 * ImagePipeline trainE  = ImagePipeline.of(new RandomResizedCrop(128), new RandomHorizontalFlip(), new ToSignedRange());
 * ImagePipeline eval    = ImagePipeline.of(CenterCrop.resized(64, 1.0), new ToSignedRange());
 * }</pre>
 * {@code trainG} and {@code trainE} crop and flip each image identically (same draws from the same per-image
 * generator), at two resolutions. Immutable and thread-safe.
 */
public final class ImagePipeline {
    private final List<ImageTransform> transforms;

    private ImagePipeline(List<ImageTransform> transforms) {
        this.transforms = List.copyOf(transforms);
    }

    /** The pipeline of {@code transforms}, in order; none = just the [0, 1] scaling. */
    public static ImagePipeline of(ImageTransform... transforms) {
        return new ImagePipeline(List.of(transforms));
    }

    /** The pipeline of {@code transforms}, in order. */
    public static ImagePipeline of(List<ImageTransform> transforms) {
        return new ImagePipeline(transforms);
    }

    /** The transforms, in order. */
    public List<ImageTransform> transforms() {
        return transforms;
    }

    /** The shape of the result for an input of shape {@code in}. */
    public ImageShape outputShape(ImageShape in) {
        ImageShape s = in;
        for (ImageTransform t : transforms) s = t.outputShape(s);
        return s;
    }

    /**
     * Transforms the uint8 image {@code [C, H, W]} stored at byte {@code offset} of {@code pixels}.
     *
     * @return float {@code [C', H', W']} of {@link #outputShape}
     */
    public float[] apply(MemorySegment pixels, long offset, ImageShape in, SplittableRandom rng) {
        float[] x = new float[in.numel()];
        for (int i = 0; i < x.length; i++)
            x[i] = Byte.toUnsignedInt(pixels.get(ValueLayout.JAVA_BYTE, offset + i)) / 255f;
        return apply(x, in, rng);
    }

    /** Runs the transforms on a float image already in [0, 1]. */
    public float[] apply(float[] image, ImageShape in, SplittableRandom rng) {
        if (image.length != in.numel())
            throw new IllegalArgumentException("image has " + image.length + " values, shape " + in + " needs "
                    + in.numel());
        float[] x = image;
        ImageShape s = in;
        for (ImageTransform t : transforms) {
            x = t.apply(x, s, rng);
            s = t.outputShape(s);
        }
        return x;
    }

    @Override
    public String toString() {
        return "ImagePipeline" + transforms;
    }
}
