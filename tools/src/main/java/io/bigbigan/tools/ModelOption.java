package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.config.PrecisionOption;
import io.bigbigan.api.BigBiganModel;
import io.bigbigan.api.Bundle;
import io.bigbigan.api.Device;
import io.bigbigan.api.Precision;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The {@code --model} option of the commands that use the library API: a bundle, or a checkpoint converted in memory.
 * {@code --checkpoint} is the same option (every command that reads a model accepts both names; see
 * {@link CheckpointOption}).
 */
final class ModelOption {
    @Option(names = {"--model", "--checkpoint"}, required = true, paramLabel = "<model>", description = {"Inference bundle (bigbigan convert), or a checkpoint file /",
            "run folder (converted in memory)."})
    Path model;

    @Option(names = "--weights", defaultValue = "ema", description = "From a checkpoint: ema or live weights (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--precision", defaultValue = "fp32", description = {"Precision of E's and G's forward passes:",
            "fp32, bf16 (autocast; results in fp32) or auto (bf16 on CUDA and on CPUs with native bf16)",
            "(default: ${DEFAULT-VALUE}, the exact figures)."})
    String precision;

    /** Opens the model with the given threading choice. */
    BigBiganModel open(boolean serialize) {
        var which = CheckpointOption.weights(weights);
        boolean cuda = device.trim().toLowerCase(java.util.Locale.ROOT).startsWith("cuda");
        EmulatedBf16.warnIfEmulated(precision, PrecisionOption.resolveInference(precision, cuda), cuda);
        BigBiganModel.Options options = BigBiganModel.Options.DEFAULT.withDevice(parse("--device", device, Device::parse))
                .withPrecision(parse("--precision", precision, Precision::parse)).withSerializedCalls(serialize);
        if (Bundle.detect(model) != Bundle.Kind.CHECKPOINT) return BigBiganModel.open(model, options);
        try (Bundle.Contents c = CheckpointBundles.fromCheckpoint(model, which, 0)) {
            return BigBiganModel.of(model, c, options);
        }
    }

    private static <T> T parse(String option, String value, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new OptionException(option + ": " + e.getMessage(), e);
        }
    }
}
