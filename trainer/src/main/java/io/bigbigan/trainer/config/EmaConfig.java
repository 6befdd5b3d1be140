package io.bigbigan.trainer.config;

/**
 * Exponential moving average of G's and E's weights (BigGAN / BigBiGAN), used for all evaluation and sampling.
 *
 * @param enabled   whether to keep EMA copies
 * @param decay     EMA decay per step (0.9999 in the papers)
 * @param startStep steps before which the copies just track the live weights
 */
public record EmaConfig(boolean enabled, double decay, long startStep) {
    public EmaConfig {
        if (decay < 0 || decay >= 1) throw new IllegalArgumentException("ema decay must be in [0, 1)");
        if (startStep < 0) throw new IllegalArgumentException("ema startStep must be >= 0");
    }

    /** No EMA (the BiGAN MLP). */
    public static EmaConfig off() {
        return new EmaConfig(false, 0.9999, 0);
    }

    /** BigGAN's setting: decay 0.9999 from step {@code startStep}. */
    public static EmaConfig biggan(long startStep) {
        return new EmaConfig(true, 0.9999, startStep);
    }
}
