package io.bigbigan.trainer.step;

import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Builds the step trainer for a configuration's model kind (the one switch over the kinds outside the model). */
public final class Trainers {
    private Trainers() {}

    /** A freshly initialised trainer for {@code config}. */
    public static StepTrainer create(RunConfig config, long seed, PhaseTimes times) {
        return create(config, seed, times, ComputeDevice.cpu());
    }

    /** A freshly initialised trainer for {@code config} on {@code device} (same initial weights on every device). */
    public static StepTrainer create(RunConfig config, long seed, PhaseTimes times, Device device) {
        ComputeDevice.configure(device);
        return switch (config.model()) {
            case BiganMlpConfig m -> new BiganTrainer(config, seed, times, device);
            case BigBiganConfig b -> new BigBiganTrainer(config, seed, times, device);
        };
    }

    /** {@code t} in the element type the model computes in: float64 under {@link Precision#FP64}, else unchanged. */
    static Tensor inModelType(Tensor t, Precision p) {
        return p == Precision.FP64 ? t.to(torch.ScalarType.Double) : t;
    }

    /** Converts a freshly built module to float64 under {@link Precision#FP64} (before optimisers and EMA copies). */
    static void toModelType(Module m, Precision p) {
        if (p == Precision.FP64) m.to(torch.ScalarType.Double, false);
    }

    /** Random real-data stand-ins of the shape and range the model reads: n images (flattened for the MLP). */
    public static Tensor randomImages(RunConfig config, long n, Generator gen) {
        return config.model().modelKind().randomInputs(n, gen);
    }
}
