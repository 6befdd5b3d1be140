package io.bigbigan.trainer.loop;

import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.ImageDataset;

/**
 * The fixed subsets the periodic probe trains and validates on during a run, both taken from the training split so
 * that the test split never chooses a checkpoint: the probe fits on the first images (at most 10,000) and is scored
 * on the last ones (at most 2,000, and at most a sixth of the split), which it never fits on. Labels are read only
 * here; the adversarial training itself sees every training image without labels.
 *
 * <p>Small enough to probe every few thousand steps.
 */
record ProbeData(DatasetSplits splits) implements AutoCloseable {
    static final int TRAIN = 10_000, VALIDATION = 2_000;

    static ProbeData of(DatasetSplits data) {
        ImageDataset all = data.train();
        int validation = Math.max(1, Math.min(VALIDATION, all.size() / 6));
        int fit = Math.min(TRAIN, all.size() - validation);
        if (fit < 1)
            throw new IllegalArgumentException(all.name() + ": " + all.size()
                    + " training images are too few for the periodic probe (--eval-every needs at least 2)");
        var train = all.subset(0, fit);
        try {
            return new ProbeData(new DatasetSplits(train, all.subset(all.size() - validation, validation)));
        } catch (RuntimeException e) {
            train.close();
            throw e;
        }
    }

    @Override
    public void close() {
        splits.close();
    }
}
