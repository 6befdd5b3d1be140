package io.bigbigan.trainer.checkpoint;

import io.bigbigan.trainer.data.DatasetSplits;

/**
 * What a run's training batches depend on besides the weights, as a checkpoint records it: the data set, the seed
 * (data order and augmentations), whether the images were augmented, how many images there were, and the number of
 * data-parallel ranks. A resumed run must have the same ({@link CheckpointMetadata#checkResumable}); {@code train}
 * takes what was not given from here. Null means "not recorded" (checkpoints written before it was): such a value is
 * neither checked nor taken.
 *
 * @param data        how the data set was named ({@code --data}), so that evaluation can reopen it
 * @param seed        the run's seed (weights, latents, data order and augmentations)
 * @param augment     whether the training images were augmented (not recorded: not augmented)
 * @param trainImages the number of training images (after any limit)
 * @param testImages  the number of test images (after any limit)
 * @param worldSize   the number of data-parallel ranks (not recorded: 1)
 */
public record RunSettings(String data, Long seed, boolean augment, Long trainImages, Long testImages, int worldSize) {
    /** Nothing recorded (e.g. a checkpoint written outside a training run). */
    public static final RunSettings NONE = new RunSettings(null, null, false, null, null, 1);

    public RunSettings {
        if (worldSize < 1) throw new IllegalArgumentException("world size must be at least 1, got " + worldSize);
    }

    /**
     * The settings of a run of {@code worldSize} ranks on {@code splits} (their sizes), named {@code data}, with
     * {@code seed} and {@code augment}: what its checkpoints record and what resuming it must match.
     */
    public static RunSettings of(String data, long seed, boolean augment, DatasetSplits splits, int worldSize) {
        return new RunSettings(data, seed, augment, (long) splits.train().size(), (long) splits.test().size(),
                worldSize);
    }

    /** Only the data set's name recorded. */
    public static RunSettings ofData(String data) {
        return new RunSettings(data, null, false, null, null, 1);
    }
}
