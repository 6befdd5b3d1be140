package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.config.PrecisionOption;
import io.bigbigan.api.Bundle;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.step.Weights;
import io.bigbigan.bindings.Precision;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code --checkpoint} option of the commands that read a trained model. {@code --model} is the same option
 * (every command that reads a model accepts both names; see {@link ModelOption}).
 */
final class CheckpointOption {
    @Option(names = {"--checkpoint", "--model"}, required = true, paramLabel = "<checkpoint>",
            description = "Checkpoint file, or a run/checkpoint folder (newest complete).")
    Path checkpoint;

    @Option(names = "--weights", defaultValue = "ema", description = {"Which G and E weights: ema (the moving",
            "averages, where the preset keeps them) or live (default: ${DEFAULT-VALUE})."})
    String weights;

    @Option(names = "--precision", defaultValue = "fp32", description = {"Precision of G's and E's forward passes:",
            "fp32, bf16 (autocast; results in fp32) or auto (bf16 on CUDA and on CPUs with native bf16)",
            "(default: ${DEFAULT-VALUE}, the exact figures)."})
    String precision;

    /**
     * The value of a {@code --weights} option ({@code ema} or {@code live}).
     *
     * @throws OptionException for any other value
     */
    static Weights weights(String value) {
        return switch (value) {
            case "ema" -> Weights.EMA;
            case "live" -> Weights.LIVE;
            default -> throw new OptionException("--weights must be ema or live, got '" + value + "'");
        };
    }

    /** Loads the checkpoint's model (weights only) on the CPU. */
    Checkpoints.Loaded load() {
        return load(io.bigbigan.trainer.step.ComputeDevice.cpu());
    }

    /** Loads the checkpoint's model (weights only) on {@code device}, running inference in {@code --precision}. */
    Checkpoints.Loaded load(org.bytedeco.pytorch.Device device) {
        Weights which = weights(weights);
        Precision p = PrecisionOption.resolveInference(precision, device.is_cuda());   // before the (slow) load: fail fast
        EmulatedBf16.warnIfEmulated(precision, p, device.is_cuda());
        if (Files.isRegularFile(checkpoint) && Bundle.detect(checkpoint) == Bundle.Kind.BUNDLE)
            throw new IllegalArgumentException(checkpoint + ": an inference bundle, not a training checkpoint; this "
                    + "command needs the checkpoint (file or run folder); bundles are read by inspect, encode and bench --encode");
        return Checkpoints.load(checkpoint, which, device).inPrecision(p);
    }
}
