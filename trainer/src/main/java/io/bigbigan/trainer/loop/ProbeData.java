package io.bigbigan.trainer.loop;

import io.bigbigan.trainer.data.DatasetSplits;

/**
 * The fixed subsets the periodic linear probe trains and tests on during a run (the first 10,000 training and
 * 2,000 test images, or fewer): small enough to probe every few thousand steps.
 */
record ProbeData(DatasetSplits splits) implements AutoCloseable {
    static final int TRAIN = 10_000, TEST = 2_000;

    static ProbeData of(DatasetSplits data) {
        var train = data.train().subset(0, Math.min(TRAIN, data.train().size()));
        try {
            return new ProbeData(new DatasetSplits(train, data.test().subset(0, Math.min(TEST, data.test().size()))));
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
