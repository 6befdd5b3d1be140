package io.bigbigan.trainer.step;

import io.bigbigan.bindings.NonFiniteException;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import io.bigbigan.trainer.step.OptimiserUpdate.HostScalars;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The step's values reach the host in one transfer per optimiser update (on a GPU each transfer is a
 * synchronisation), and those values are exactly what per-value reads give.
 */
class HostTransfersTest {
    @Test
    void oneTransferPerOptimiserUpdate() {
        RunConfig config = Presets.get("bigbigan-32");
        config = config.withTrain(config.train().withBatchSize(2));
        StepTrainer trainer = Trainers.create(config, Trainers.Setup.seed(4));
        Tensor data = Trainers.randomImages(config, 2, torch.createCPUGenerator(5));
        try (StepScope s = StepScope.open()) {
            long before = HostScalars.transfers();
            var m = trainer.step(() -> data);
            assertEquals(config.train().dStepsPerGStep() + 1, HostScalars.transfers() - before);
            assertTrue(m.extra().keySet().containsAll(java.util.List.of("grad_norm_d", "loss_d_sx", "acc_d_sxz",
                    "e_sigma_mean", "e_sigma_min", "grad_norm_e", "grad_norm_g")), m.extra().toString());
        }
        var mlp = Trainers.create(Presets.get("bigan-mlp"), Trainers.Setup.seed(4));
        Tensor flat = Trainers.randomImages(mlp.config(), 8, torch.createCPUGenerator(5));
        try (StepScope s = StepScope.open()) {
            long before = HostScalars.transfers();
            mlp.step(() -> flat);
            assertEquals(2, HostScalars.transfers() - before);
        }
    }

    @Test
    void fetchedValuesEqualItemReads() {
        try (StepScope s = StepScope.open()) {
            Tensor a = torch.randn(7).sum(), b = torch.rand(3).mean();
            HostScalars host = new HostScalars();
            host.add("a", a);
            host.add("mean", v -> (v[0] + v[1]) / 2, a, b);
            host.add("none", v -> 0.0);
            var v = host.fetch();
            assertEquals(a.item_double(), v.get("a"), 0.0);
            assertEquals((a.item_float() + (double) b.item_float()) / 2, v.get("mean"), 0.0);
            assertEquals(0.0, v.get("none"), 0.0);
            assertTrue(host.fetch().isEmpty(), "fetch clears");
        }
    }

    @Test
    void theGuardStillNamesTheLoss() {
        var e = assertThrows(NonFiniteException.class, () -> OptimiserUpdate.requireFinite("D loss", Double.NaN, 7));
        assertEquals("D loss is NaN at step 7; stopped before the optimiser step", e.getMessage());
    }

    @Test
    void theGradientGuardFindsOneNonFiniteElementAndTheNormSumsAllTensors() {
        org.bytedeco.pytorch.LinearImpl net = new org.bytedeco.pytorch.LinearImpl(3, 2);
        try (StepScope s = StepScope.open()) {
            HostScalars none = new HostScalars();
            none.add("one", torch.ones(new long[]{}));
            none.addGradientCheck("norm", "bad", net);
            assertEquals(java.util.Map.of("one", 1.0, "norm", 0.0), none.fetch(), "no gradients yet: norm 0, no flag");
            net.forward(torch.ones(4, 3)).sum().backward();           // weight grad: 4 everywhere, bias grad: 4
            HostScalars host = new HostScalars();
            host.addGradientCheck("norm", "bad", net);
            var v = host.fetch();
            assertEquals(0.0, v.get("bad"));
            // ||grad||^2 = 6 * 16 + 2 * 16
            assertEquals(Math.sqrt(128.0), v.get("norm"), 1e-5);
            assertEquals(128.0, TrainingMonitors.gradientSquaredSum(net).item_double(), 1e-4);
            Tensor w = net.weight().grad();
            var at12 = new org.bytedeco.pytorch.TensorIndexVector(
                    new org.bytedeco.pytorch.TensorIndex(1), new org.bytedeco.pytorch.TensorIndex(2));
            w.index_put_(at12, new org.bytedeco.pytorch.Scalar(1e20));   // huge but finite: its square is not a float
            host.addGradientCheck("norm", "bad", net);
            double flag = host.fetch().get("bad");                     // may be set: the norm can overflow float32
            OptimiserUpdate.requireFiniteGradients("D", flag, 3, net);          // ... but every element is finite: no stop
            w.index_put_(at12, new org.bytedeco.pytorch.Scalar(Double.POSITIVE_INFINITY));
            host.addGradientCheck("norm", "bad", net);
            double inf = host.fetch().get("bad");
            assertEquals(1.0, inf, "one Inf among the weight gradients");
            var e = assertThrows(NonFiniteException.class, () -> OptimiserUpdate.requireFiniteGradients("D", inf, 3, net));
            assertEquals("a gradient of D is NaN or Inf at step 3; stopped before the optimiser step", e.getMessage());
            w.index_put_(at12, new org.bytedeco.pytorch.Scalar(Double.NaN));
            host.addGradientCheck("norm", "bad", net);
            double nan = host.fetch().get("bad");
            assertEquals(1.0, nan, "one NaN among the weight gradients");
            assertThrows(NonFiniteException.class, () -> OptimiserUpdate.requireFiniteGradients("G", nan, 3, net));
        }
    }
}
