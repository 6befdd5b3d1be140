package io.bigbigan.trainer.step;

/**
 * Which G and E a model is read with: the exponential moving averages that sampling and evaluation use (BigGAN,
 * BigBiGAN Section 3), or the live weights the optimiser trains. The two differ once the average starts: at decay
 * 0.9999 an EMA copy {@code n} steps past its start still holds {@code 0.9999^n} of the start-step weights (69% after
 * 3,700 steps), so in a run shorter than ~10^4 steps past the start, EMA G and EMA E are mostly older networks than
 * the pair that training keeps inverting each other.
 */
public enum Weights {
    /** The EMA copies where the preset keeps them (what sampling and evaluation use), else the trained ones. */
    EMA,
    /** The live (trained) G and E, e.g. to compare them with the EMA or to evaluate before the EMA start step. */
    LIVE
}
