package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Autocast;
import io.bigbigan.bindings.Precision;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.function.Supplier;

/** Runs inference on a module being trained: evaluation mode, no gradients, training mode restored afterwards. */
final class Inference {
    private Inference() {}

    static <T> T inEvalMode(Module model, Supplier<T> body) {
        return inEvalMode(model, Precision.FP32, null, body);
    }

    /** As {@link #inEvalMode(Module, Supplier)}, under bf16 autocast on {@code device} when {@code precision} is bf16. */
    static <T> T inEvalMode(Module model, Precision precision, Device device, Supplier<T> body) {
        boolean wasTraining = model.is_training();
        model.eval();
        try (NoGradGuard g = new NoGradGuard(); Autocast a = Autocast.forward(precision, device)) {
            return body.get();
        } finally {
            model.train(wasTraining);
        }
    }

    /** {@code t} in float32 (a no-op when it already is): results leave inference in fp32 whatever ran inside. */
    static Tensor fp32(Tensor t) {
        return t.scalar_type() == torch.ScalarType.Float ? t : t.to(torch.ScalarType.Float);
    }
}
