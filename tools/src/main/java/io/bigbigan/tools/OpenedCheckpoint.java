package io.bigbigan.tools;

import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.TrainedModel;

/**
 * The opening that the commands reading a training checkpoint share (evaluate, reconstruct, diagnose, interpolate and
 * score): the checkpoint of {@code --checkpoint} loaded onto {@code --device} with the {@code --weights} and
 * {@code --precision} asked for, and the data set it is read with: {@code --data}, or the one the checkpoint was
 * trained on.
 *
 * @param loaded      the checkpoint
 * @param dataSpec    the data set's name
 * @param dataOptions the {@code --data} options that open it
 */
record OpenedCheckpoint(Checkpoints.Loaded loaded, String dataSpec, DataOptions dataOptions) {
    /** Loads the checkpoint; call after {@link CommonOptions#apply()}. */
    static OpenedCheckpoint open(CheckpointOption checkpoint, DataOptions data, CommonOptions common) {
        Checkpoints.Loaded loaded = checkpoint.load(common.device());
        return new OpenedCheckpoint(loaded, data.spec(loaded), data);
    }

    /** The trained model, as evaluation reads it. */
    TrainedModel model() {
        return loaded.model();
    }

    /** Opens the data set (cut to {@code --train-limit} and {@code --test-limit}); the caller closes it. */
    DatasetSplits openData() {
        return dataOptions.open(dataSpec);
    }
}
