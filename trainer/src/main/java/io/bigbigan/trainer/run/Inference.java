package io.bigbigan.trainer.run;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;

import java.util.function.Supplier;

/** Runs inference on a module being trained: evaluation mode, no gradients, training mode restored afterwards. */
final class Inference {
    private Inference() {}

    static <T> T inEvalMode(Module model, Supplier<T> body) {
        boolean wasTraining = model.is_training();
        model.eval();
        try (NoGradGuard g = new NoGradGuard()) {
            return body.get();
        } finally {
            model.train(wasTraining);
        }
    }
}
