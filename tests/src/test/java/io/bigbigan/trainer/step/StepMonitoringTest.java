package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.config.Objective;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Step diagnostics ({@link StepTrainer.StepMetrics#extra()}, {@link StepTrainer#logStatistics()}) and objective switches. */
class StepMonitoringTest {
    private static RunConfig bigbigan(Objective o) {
        RunConfig c = Presets.get("bigbigan-32");
        return c.withTrain(c.train().withBatchSize(2).withObjective(o));
    }

    private static StepTrainer.StepMetrics oneStep(StepTrainer trainer, Tensor data) {
        try (StepScope s = StepScope.open()) {
            return trainer.step(() -> data);
        }
    }

    @Test
    void bigbiganStepReportsFiniteDiagnostics() {
        RunConfig config = bigbigan(Objective.FULL);
        BigBiganTrainer trainer = new BigBiganTrainer(config, 3);
        Tensor data = Trainers.randomImages(config, 2, torch.createCPUGenerator(1));
        var m = oneStep(trainer, data);
        assertTrue(Double.isFinite(m.lossD()) && Double.isFinite(m.lossEG()) && Double.isFinite(m.accD()));
        for (String k : List.of("loss_d_sx", "acc_d_sx", "loss_d_sz", "acc_d_sz", "loss_d_sxz", "acc_d_sxz",
                "grad_norm_d", "grad_norm_g", "grad_norm_e", "e_sigma_mean", "e_sigma_min")) {
            assertTrue(m.extra().containsKey(k), k + " in " + m.extra());
            assertTrue(Double.isFinite(m.extra().get(k)), k + " = " + m.extra().get(k));
        }
        assertEquals(m.lossD(), m.extra().get("loss_d_sx") + m.extra().get("loss_d_sz") + m.extra().get("loss_d_sxz"), 1e-4);
        assertEquals(m.accD(), m.extra().get("acc_d_sxz"), 1e-12);
        for (String net : List.of("d", "g", "e")) assertTrue(m.extra().get("grad_norm_" + net) > 0, net);
        assertTrue(m.extra().get("e_sigma_mean") > 0 && m.extra().get("e_sigma_min") <= m.extra().get("e_sigma_mean"));
        Map<String, Double> sn;
        try (StepScope s = StepScope.open()) {
            sn = trainer.logStatistics();
        }
        assertEquals(List.of("sn_sigma_mean_d", "sn_sigma_max_d", "sn_sigma_mean_g", "sn_sigma_max_g"), List.copyOf(sn.keySet()));
        for (var e : sn.entrySet()) assertTrue(Double.isFinite(e.getValue()) && e.getValue() > 0, e.toString());
        assertTrue(sn.get("sn_sigma_max_d") >= sn.get("sn_sigma_mean_d"));
    }

    @Test
    void noEncoderLeavesTheEncoderUntouched() {
        RunConfig config = bigbigan(Objective.NO_ENCODER);
        BigBiganTrainer trainer = new BigBiganTrainer(config, 3);
        Map<String, float[]> before = snapshot(trainer.model().encoder());
        Map<String, float[]> gBefore = snapshot(trainer.model().generator());
        Tensor data = Trainers.randomImages(config, 2, torch.createCPUGenerator(1));
        var m = oneStep(trainer, data);
        Map<String, float[]> after = snapshot(trainer.model().encoder());
        for (var k : before.keySet()) assertTrue(Arrays.equals(before.get(k), after.get(k)), "E." + k + " unchanged");
        Map<String, float[]> gAfter = snapshot(trainer.model().generator());
        assertTrue(gBefore.keySet().stream().anyMatch(k -> !Arrays.equals(gBefore.get(k), gAfter.get(k))), "G trained");
        assertEquals(m.lossD(), m.extra().get("loss_d_sx"), 1e-5);
        assertEquals(m.accD(), m.extra().get("acc_d_sx"), 1e-12);
        assertFalse(m.extra().containsKey("loss_d_sxz") || m.extra().containsKey("grad_norm_e")
                || m.extra().containsKey("e_sigma_mean"), m.extra().toString());
        assertTrue(Double.isFinite(m.lossEG()) && Double.isFinite(m.extra().get("grad_norm_g")));
    }

    @Test
    void jointOnlyStepUsesOnlyTheJointScore() {
        RunConfig config = bigbigan(Objective.JOINT_ONLY);
        BigBiganTrainer trainer = new BigBiganTrainer(config, 3);
        var m = oneStep(trainer, Trainers.randomImages(config, 2, torch.createCPUGenerator(1)));
        assertEquals(m.lossD(), m.extra().get("loss_d_sxz"), 1e-5);
    }

    @Test
    void mlpStepStillReportsItsFourValues() {
        RunConfig config = Presets.get("bigan-mlp");
        config = config.withTrain(config.train().withBatchSize(4));
        BiganTrainer trainer = new BiganTrainer(config, 3);
        Tensor data = Trainers.randomImages(config, 4, torch.createCPUGenerator(1));
        var m = oneStep(trainer, data);
        assertEquals(1, m.step());
        assertTrue(Double.isFinite(m.lossD()) && Double.isFinite(m.lossEG()) && m.accD() >= 0 && m.accD() <= 1);
        assertEquals(m.lossD(), m.extra().get("loss_d_sxz"), 1e-12);
        for (String k : List.of("grad_norm_d", "grad_norm_g", "grad_norm_e"))
            assertTrue(Double.isFinite(m.extra().get(k)), k);
        assertEquals(new StepTrainer.StepMetrics(1, 0.5, 0.25, 1).extra(), Map.of());
        assertThrows(IllegalArgumentException.class,
                () -> new BiganTrainer(Presets.get("bigan-mlp").withTrain(Presets.get("bigan-mlp").train()
                        .withObjective(Objective.NO_ENCODER)), 3));
    }

    private static Map<String, float[]> snapshot(org.bytedeco.pytorch.Module net) {
        Map<String, float[]> out = new HashMap<>();
        Modules.parameters(net).forEach((k, v) -> out.put(k, Tensors.toFloats(v)));
        return out;
    }
}
