package io.bigbigan.trainer.data.augment;

import java.util.SplittableRandom;

/**
 * The per-image random generators of the data pipeline. Image {@code i} of epoch {@code e} under seed {@code s} gets
 * {@code new SplittableRandom(hash(s, e, i))}, so its augmentation depends only on those three numbers, never on
 * which thread processes it or in which order. The epoch permutation uses a separate stream.
 */
public final class ImageRandom {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long PERMUTATION_SALT = 0x5DEECE66DL;

    private ImageRandom() {}

    /** The generator of image {@code index} in {@code epoch}. */
    public static SplittableRandom of(long seed, long epoch, long index) {
        return new SplittableRandom(hash(seed, epoch, index));
    }

    /** The generator of the shuffling permutation of {@code epoch}. */
    public static SplittableRandom forPermutation(long seed, long epoch) {
        return new SplittableRandom(hash(seed ^ PERMUTATION_SALT, epoch, -1));
    }

    /** A well-mixed 64-bit hash of (seed, epoch, index) (chained SplitMix64 finalisers). */
    public static long hash(long seed, long epoch, long index) {
        return mix(mix(mix(seed) + GOLDEN * (epoch + 1)) + GOLDEN * (index + 1));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
