package io.bigbigan.trainer.run;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.bigbigan.BigBiganConfig;
import io.bigbigan.model.bigbigan.DiscriminatorConfig;
import io.bigbigan.model.bigbigan.EncoderConfig;
import io.bigbigan.model.bigbigan.GeneratorConfig;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.Precision;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.TrainConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A short BigBiGAN run with bf16 autocast forward passes stays within tolerance of the same run in fp32. */
class MixedPrecisionTrainingTest {
    /** A narrow 32 px BigBiGAN (ch 8, z 24) so that slow CPU bf16 kernels keep the test short. */
    static RunConfig narrow(Precision p) {
        var model = new BigBiganConfig(GeneratorConfig.biggan(32, 8, 24, 1, 0, 0, 1),
                EncoderConfig.resnetSmall(1, 8, 32, 32, 1, 24), DiscriminatorConfig.biggan(32, 8, 1, 0, 24, 32, 1, 32, 1));
        return new RunConfig("narrow", model, new TrainConfig(4, 2, LossKind.HINGE,
                new OptimConfig(2e-4, 5e-5, 5e-4, 0.0, 0.999, 1e-8), EmaConfig.off()).withPrecision(p));
    }

    static double[] run(Precision p) {
        return run(narrow(p));
    }

    static double[] run(RunConfig c) {
        BigBiganTrainer t = new BigBiganTrainer(c, 11);
        Tensor data = Trainers.randomImages(c, 8, torch.createCPUGenerator(2));
        int[] i = {0};
        double[] losses = new double[4];
        for (int s = 0; s < 2; s++) {
            try (StepScope scope = StepScope.open()) {
                var m = t.step(() -> data.narrow(0, 4L * (i[0]++ % 2), 4));
                losses[2 * s] = m.lossD();
                losses[2 * s + 1] = m.lossEG();
            }
        }
        return losses;
    }

    @Test
    void bf16LossesTrackFp32() {
        double[] fp32 = run(Precision.FP32), bf16 = run(Precision.BF16);
        System.out.println("losses (D, E/G) x 2 steps: fp32 " + java.util.Arrays.toString(fp32) + ", bf16 "
                + java.util.Arrays.toString(bf16));
        for (int k = 0; k < fp32.length; k++) {
            double scale = Math.max(Math.abs(fp32[k]), 1.0);
            assertTrue(Math.abs(fp32[k] - bf16[k]) / scale < 0.1,
                    "loss " + k + ": fp32 " + fp32[k] + " vs bf16 " + bf16[k]);
        }
        assertEquals(narrow(Precision.BF16), RunConfig.fromJson(narrow(Precision.BF16).toJson()));
    }

    /** Two micro-batches of 2 per update: same data, same losses up to batch-norm statistics of the halves. */
    @Test
    void gradientAccumulationRunsAndTracksTheFullBatch() {
        RunConfig one = narrow(Precision.FP32), two = one.withTrain(one.train().withAccumulation(2));
        double[] a = run(one), b = run(two);
        System.out.println("losses (D, E/G) x 2 steps: batch 4 " + java.util.Arrays.toString(a) + ", 2 x 2 "
                + java.util.Arrays.toString(b));
        for (int k = 0; k < a.length; k++) {
            assertTrue(Double.isFinite(b[k]));
            assertTrue(Math.abs(a[k] - b[k]) / Math.max(Math.abs(a[k]), 1.0) < 0.25, "loss " + k + ": " + a[k] + " vs " + b[k]);
        }
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> one.train().withAccumulation(3));
        assertTrue(e.getMessage().contains("divide batchSize 4"), e.getMessage());
    }
}
