package io.bigbigan.trainer.config;

import io.bigbigan.model.mlp.BiganMlpConfig;

import java.util.List;

/** Named configurations. */
public final class Presets {
    private Presets() {}

    /** The preset names, for help texts and errors. */
    public static List<String> names() {
        return List.of("bigan-mlp");
    }

    /**
     * Looks a preset up by name.
     *
     * @throws IllegalArgumentException naming the preset and the known ones
     */
    public static RunConfig get(String name) {
        return switch (name) {
            // BiGAN paper, permutation-invariant MNIST setup: batch 128, Adam 2e-4 (0.5, 0.999), 1 D step per E/G step.
            case "bigan-mlp" -> new RunConfig("bigan-mlp", BiganMlpConfig.paper(),
                    new TrainConfig(128, 1, LossKind.LOGISTIC, new OptimConfig(2e-4, 2e-4, 2e-4, 0.5, 0.999, 1e-8)));
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: "
                    + String.join(", ", names()) + ")");
        };
    }
}
