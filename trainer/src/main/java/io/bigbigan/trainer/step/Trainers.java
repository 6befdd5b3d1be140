package io.bigbigan.trainer.step;

import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.trainer.config.MemoryFormat;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;

/** Builds the step trainer for a configuration's model kind (the one switch over the kinds outside the model). */
public final class Trainers {
    private Trainers() {}

    /**
     * How a trainer is built, by name: {@code Setup.seed(3).device(d).memoryFormat(MemoryFormat.CHANNELS_LAST)}.
     *
     * @param seed         seeds the initial weights (drawn on the CPU, so every device starts from the same ones),
     *                     the latent and posterior-noise streams
     * @param times        accumulates the wall-clock time of each phase of the step ({@link PhaseTimes#off()}: none)
     * @param device       where the model, its EMA copies, the optimiser states and the random streams live
     * @param memoryFormat the layout of 4-D weights and images
     */
    public record Setup(long seed, PhaseTimes times, Device device, MemoryFormat memoryFormat) {
        public Setup {
            java.util.Objects.requireNonNull(times, "times");
            java.util.Objects.requireNonNull(device, "device");
            java.util.Objects.requireNonNull(memoryFormat, "memoryFormat");
        }

        /** On the CPU, contiguous, untimed. */
        public static Setup seed(long seed) {
            return new Setup(seed, PhaseTimes.off(), ComputeDevice.cpu(), MemoryFormat.CONTIGUOUS);
        }

        public Setup times(PhaseTimes v) { return new Setup(seed, v, device, memoryFormat); }
        public Setup device(Device v) { return new Setup(seed, times, v, memoryFormat); }
        public Setup memoryFormat(MemoryFormat v) { return new Setup(seed, times, device, v); }
    }

    /** A freshly initialised trainer for {@code config}, built as {@code setup} says. */
    public static StepTrainer create(RunConfig config, Setup setup) {
        ComputeDevice.configure(setup.device());
        return switch (config.model()) {
            case BiganMlpConfig m -> new BiganTrainer(config, setup);
            case BigBiganConfig b -> new BigBiganTrainer(config, setup);
        };
    }

    /** Random real-data stand-ins of the shape and range the model reads: n images (flattened for the MLP). */
    public static Tensor randomImages(RunConfig config, long n, Generator gen) {
        return config.model().modelKind().randomInputs(n, gen);
    }
}
