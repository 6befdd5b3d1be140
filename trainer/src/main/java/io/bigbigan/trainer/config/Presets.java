package io.bigbigan.trainer.config;

import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.BiganMlpConfig;

import java.util.List;

/** Named configurations. Each is documented, with its parameter counts, in docs/presets.md (and by {@code bigbigan presets}). */
public final class Presets {
    private Presets() {}

    /** The preset names, for help texts and errors. */
    public static List<String> names() {
        return List.of("bigan-mlp", "bigbigan-32", "bigbigan-32-narrow", "bigbigan-32-rgb", "bigbigan-64", "bigbigan-128",
                "bigbigan-128-e256", "bigbigan-revnet4x");
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
            case "bigbigan-32" -> bigbigan(name, BigBiganConfig.bigbigan32(1), 128, 2_000);
            // A CPU deviation from the paper: bigbigan-32 with G, F and E at half width (docs/presets.md).
            case "bigbigan-32-narrow" -> bigbigan(name, BigBiganConfig.bigbigan32(1, 16), 128, 2_000);
            case "bigbigan-32-rgb" -> bigbigan(name, BigBiganConfig.bigbigan32(3), 128, 2_000);
            case "bigbigan-64" -> bigbigan(name, BigBiganConfig.bigbigan64(), 256, 10_000);
            case "bigbigan-128" -> bigbigan(name, BigBiganConfig.bigbigan128(128), 2048, 20_000);
            case "bigbigan-128-e256" -> bigbigan(name, BigBiganConfig.bigbigan128(256), 2048, 20_000);
            case "bigbigan-revnet4x" -> bigbigan(name, BigBiganConfig.revnet4x(), 2048, 20_000);
            default -> throw new OptionException("unknown preset '" + name + "' (known: "
                    + String.join(", ", names()) + ")");
        };
    }

    /**
     * BigBiGAN optimisation (Donahue &amp; Simonyan 2019, Section 3, following BigGAN): hinge losses, two D steps per
     * E/G step, Adam betas (0, 0.999); learning rates D 2e-4, G 5e-5 and E 10x G; EMA of G and E (0.9999) from
     * {@code emaStart} (before it the copies track the live weights: a 0.9999 average of the first steps would
     * mostly remember the initialisation; BigGAN starts at 20k).
     */
    private static RunConfig bigbigan(String name, BigBiganConfig model, int batch, long emaStart) {
        return new RunConfig(name, model, new TrainConfig(batch, 2, LossKind.HINGE,
                new OptimConfig(2e-4, 5e-5, 5e-4, 0.0, 0.999, 1e-8), EmaConfig.biggan(emaStart)));
    }
}
