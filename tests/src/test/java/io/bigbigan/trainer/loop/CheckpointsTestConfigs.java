package io.bigbigan.trainer.loop;

import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.TrainConfig;

/** Tiny configurations shared by trainer tests. */
final class CheckpointsTestConfigs {
    private CheckpointsTestConfigs() {}

    static RunConfig tiny() {
        return new RunConfig("bigan-mlp", new BiganMlpConfig(784, 4, 8, 0.2),
                new TrainConfig(8, 1, LossKind.LOGISTIC, new OptimConfig(2e-4, 2e-4, 2e-4, 0.5, 0.999, 1e-8)));
    }
}
