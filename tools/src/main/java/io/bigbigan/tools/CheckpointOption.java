package io.bigbigan.tools;

import io.bigbigan.trainer.checkpoint.Checkpoints;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --checkpoint} option of the commands that read a trained model. */
final class CheckpointOption {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint file, or a run/checkpoint folder (newest complete).")
    Path checkpoint;

    /** Loads the checkpoint's model (weights only). */
    Checkpoints.Loaded load() {
        return Checkpoints.load(checkpoint);
    }
}
