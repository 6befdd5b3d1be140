package io.bigbigan.trainer.config;

/**
 * How the networks are optimised.
 *
 * @param batchSize      images per step
 * @param dStepsPerGStep discriminator updates per joint encoder/generator update
 * @param loss           adversarial loss
 * @param optim          optimiser settings
 */
public record TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim) {
    public TrainConfig {
        if (batchSize < 2) throw new IllegalArgumentException("batchSize must be at least 2 (batch norm)");
        if (dStepsPerGStep < 1) throw new IllegalArgumentException("dStepsPerGStep must be at least 1");
        if (loss == null || optim == null) throw new IllegalArgumentException("loss and optim are required");
    }

    public TrainConfig withBatchSize(int b) { return new TrainConfig(b, dStepsPerGStep, loss, optim); }

    public TrainConfig withLoss(LossKind l) { return new TrainConfig(batchSize, dStepsPerGStep, l, optim); }
}
