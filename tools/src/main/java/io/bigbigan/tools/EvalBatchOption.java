package io.bigbigan.tools;

import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.eval.EncoderFeatures;
import picocli.CommandLine.Option;

/** {@code --eval-batch}: how many images the networks see per forward pass outside training. */
final class EvalBatchOption {
    @Option(names = "--eval-batch", paramLabel = "N", description = {"Images per forward pass in reconstruction, sampling",
            "and image grids, per chunk in evaluation (encoded in fixed passes of 16 at 32 px, so the figures do",
            "not depend on N): peak memory grows with it, not with the number of images (default: 64 at",
            "32 px, scaled by (32/resolution)^2; 256 for bigan-mlp)."})
    Integer evalBatch;

    /** The given value, else 0 (the model's default, chosen by the trainer). */
    int orAuto() {
        if (evalBatch != null && evalBatch < 1)
            throw new IllegalArgumentException("--eval-batch must be at least 1, got " + evalBatch);
        return evalBatch == null ? 0 : evalBatch;
    }

    /** The given value, else {@link EncoderFeatures#defaultBatch} of {@code config}. */
    int get(RunConfig config) {
        int b = orAuto();
        return b > 0 ? b : EncoderFeatures.defaultBatch(config);
    }
}
