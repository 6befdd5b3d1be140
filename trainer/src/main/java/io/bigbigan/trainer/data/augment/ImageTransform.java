package io.bigbigan.trainer.data.augment;

import java.util.SplittableRandom;

/**
 * One step of an {@link ImagePipeline}: maps a float image {@code [C, H, W]} (row-major, in a Java array) to another.
 * Implementations are stateless and thread-safe; their randomness comes only from the per-image generator passed to
 * {@link #apply}, so that a result depends only on (seed, epoch, image index).
 */
public interface ImageTransform {
    /** The shape this transform produces from an input of shape {@code in}. */
    ImageShape outputShape(ImageShape in);

    /**
     * Transforms one image.
     *
     * @param src image of shape {@code in}, not modified
     * @param in  shape of {@code src}
     * @param rng the image's own generator; a transform draws the same count of numbers for every image of a given
     *            shape, so that two pipelines of the same transform kinds (differing only in output sizes) make the
     *            same random choices
     * @return the transformed image of shape {@link #outputShape(ImageShape) outputShape(in)}, a new array
     */
    float[] apply(float[] src, ImageShape in, SplittableRandom rng);
}
