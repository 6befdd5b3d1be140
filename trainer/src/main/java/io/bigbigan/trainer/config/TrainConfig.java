package io.bigbigan.trainer.config;

/**
 * How the networks are optimised.
 *
 * @param batchSize      images per step
 * @param dStepsPerGStep discriminator updates per joint encoder/generator update
 * @param loss           adversarial loss
 * @param optim          optimiser settings
 * @param ema            moving average of G and E (absent in format-1 checkpoints: read as off)
 */
public record TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim, EmaConfig ema) {
    public TrainConfig {
        if (batchSize < 2) throw new IllegalArgumentException("batchSize must be at least 2 (batch norm)");
        if (dStepsPerGStep < 1) throw new IllegalArgumentException("dStepsPerGStep must be at least 1");
        if (loss == null || optim == null || ema == null)
            throw new IllegalArgumentException("loss, optim and ema are required");
    }

    /** Without EMA. */
    public TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim) {
        this(batchSize, dStepsPerGStep, loss, optim, EmaConfig.off());
    }

    public TrainConfig withBatchSize(int b) { return new TrainConfig(b, dStepsPerGStep, loss, optim, ema); }

    public TrainConfig withLoss(LossKind l) { return new TrainConfig(batchSize, dStepsPerGStep, l, optim, ema); }

    public TrainConfig withEma(EmaConfig e) { return new TrainConfig(batchSize, dStepsPerGStep, loss, optim, e); }
}
