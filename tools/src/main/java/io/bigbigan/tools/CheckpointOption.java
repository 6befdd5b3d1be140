package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --checkpoint} option of the commands that read a trained model. */
final class CheckpointOption {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint file, or a run/checkpoint folder (newest complete).")
    Path checkpoint;

    @Option(names = "--weights", defaultValue = "ema", description = {"Which G and E weights: ema (the moving",
            "averages, where the preset keeps them) or live (default: ${DEFAULT-VALUE})."})
    String weights;

    /** Loads the checkpoint's model (weights only) on the CPU. */
    Checkpoints.Loaded load() {
        return load(io.bigbigan.trainer.run.ComputeDevice.cpu());
    }

    /** Loads the checkpoint's model (weights only) on {@code device}. */
    Checkpoints.Loaded load(org.bytedeco.pytorch.Device device) {
        return switch (weights) {
            case "ema" -> Checkpoints.load(checkpoint, false, device);
            case "live" -> Checkpoints.load(checkpoint, true, device);
            default -> throw new OptionException("--weights must be ema or live, got '" + weights + "'");
        };
    }
}
