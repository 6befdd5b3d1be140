package io.bigbigan.trainer.config;

import io.bigbigan.bindings.Precision;

/**
 * How the networks are optimised.
 *
 * @param batchSize      images per step
 * @param dStepsPerGStep discriminator updates per joint encoder/generator update
 * @param loss           adversarial loss
 * @param optim          optimiser settings
 * @param ema            moving average of G and E (absent in format-1 checkpoints: read as off)
 * @param objective      which discriminator scores the BigBiGAN losses use (JSON key {@code objective}; absent in
 *                       older configurations: read as {@link Objective#FULL})
 * @param orthoReg       BigGAN's orthogonal regularisation strength beta on G's weights (0: off; BigGAN 1e-4;
 *                       absent in older configurations: read as 0)
 * @param precision      forward-pass precision (absent in older configurations: read as fp32)
 * @param accumulation   micro-batches per update: each batch is split into this many equal parts whose gradients
 *                       are accumulated before the optimiser step, for effective batches larger than memory allows
 *                       (batch norm sees micro-batch statistics; absent in older configurations: read as 1)
 */
public record TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim, EmaConfig ema,
                          Objective objective, double orthoReg, Precision precision, int accumulation) {
    public TrainConfig {
        if (batchSize < 2) throw new IllegalArgumentException("batchSize must be at least 2 (batch norm)");
        if (dStepsPerGStep < 1) throw new IllegalArgumentException("dStepsPerGStep must be at least 1");
        if (loss == null || optim == null || ema == null || objective == null)
            throw new IllegalArgumentException("loss, optim, ema and objective are required");
        if (!(orthoReg >= 0)) throw new IllegalArgumentException("orthoReg must be >= 0");
        if (precision == null) throw new IllegalArgumentException("precision is required");
        if (accumulation < 1 || batchSize % accumulation != 0)
            throw new IllegalArgumentException("accumulation must be >= 1 and divide batchSize " + batchSize
                    + " (got " + accumulation + ")");
    }

    /** Without gradient accumulation. */
    public TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim, EmaConfig ema,
                       Objective objective, double orthoReg, Precision precision) {
        this(batchSize, dStepsPerGStep, loss, optim, ema, objective, orthoReg, precision, 1);
    }

    /** In fp32. */
    public TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim, EmaConfig ema,
                       Objective objective, double orthoReg) {
        this(batchSize, dStepsPerGStep, loss, optim, ema, objective, orthoReg, Precision.FP32);
    }

    /** Without orthogonal regularisation. */
    public TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim, EmaConfig ema,
                       Objective objective) {
        this(batchSize, dStepsPerGStep, loss, optim, ema, objective, 0);
    }

    /** With the full objective. */
    public TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim, EmaConfig ema) {
        this(batchSize, dStepsPerGStep, loss, optim, ema, Objective.FULL, 0);
    }

    /** Without EMA, with the full objective. */
    public TrainConfig(int batchSize, int dStepsPerGStep, LossKind loss, OptimConfig optim) {
        this(batchSize, dStepsPerGStep, loss, optim, EmaConfig.off(), Objective.FULL, 0);
    }

    public TrainConfig withBatchSize(int b) { return new TrainConfig(b, dStepsPerGStep, loss, optim, ema, objective, orthoReg, precision, accumulation); }

    public TrainConfig withLoss(LossKind l) { return new TrainConfig(batchSize, dStepsPerGStep, l, optim, ema, objective, orthoReg, precision, accumulation); }

    public TrainConfig withEma(EmaConfig e) { return new TrainConfig(batchSize, dStepsPerGStep, loss, optim, e, objective, orthoReg, precision, accumulation); }

    public TrainConfig withObjective(Objective o) { return new TrainConfig(batchSize, dStepsPerGStep, loss, optim, ema, o, orthoReg, precision, accumulation); }

    public TrainConfig withOrthoReg(double beta) { return new TrainConfig(batchSize, dStepsPerGStep, loss, optim, ema, objective, beta, precision, accumulation); }

    public TrainConfig withPrecision(Precision p) { return new TrainConfig(batchSize, dStepsPerGStep, loss, optim, ema, objective, orthoReg, p, accumulation); }

    public TrainConfig withAccumulation(int k) { return new TrainConfig(batchSize, dStepsPerGStep, loss, optim, ema, objective, orthoReg, precision, k); }
}
