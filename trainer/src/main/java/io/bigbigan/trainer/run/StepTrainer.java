package io.bigbigan.trainer.run;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import java.util.function.Supplier;

/** One adversarial training step at a time (D updates, then one joint E/G update). */
public interface StepTrainer {
    /** What one step measured (Java values, safe to keep after the step's scope closes). */
    record StepMetrics(long step, double lossD, double lossEG, double accD) {}

    /** Runs one step; {@code batches} supplies one real batch per D update. Run inside a StepScope. */
    StepMetrics step(Supplier<Tensor> batches);

    /** The module holding G, E and D (named G.*, E.*, D.*). */
    Module model();
}
