package io.bigbigan.trainer.eval;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * A fixed pseudo-random subset of a split's rows, for figures measured on part of it (reconstruction grids and
 * errors, the random-pair baseline, real images for FD/IS). The first rows of a split are no sample: on data sorted
 * by class they are a single class. The subset is in permutation order (not sorted), so neighbouring rows of it are
 * random pairs.
 */
public final class RandomSubset {
    /** The seed of reconstruction subsets: fixed, so every step of a run and {@code evaluate} use the same images. */
    public static final long RECONSTRUCTION_SEED = 20_170_424L;

    private RandomSubset() {}

    /** The first {@code rows} (at most {@code size}) of a permutation of {@code 0..size-1} seeded by {@code seed}: int64 [rows]. */
    public static Tensor indices(long size, long rows, long seed) {
        if (size < 1) throw new IllegalArgumentException("cannot draw rows from an empty split");
        Generator g = torch.createCPUGenerator(seed);
        return torch.randperm(size, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Long))
                .narrow(0, 0, Math.min(rows, size));
    }
}
