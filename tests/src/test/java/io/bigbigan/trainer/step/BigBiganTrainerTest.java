package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One full BigBiGAN step (two D updates, one E/G update) on bigbigan-32 at a tiny batch. */
class BigBiganTrainerTest {
    @Test
    void stepUpdatesEveryNetworkWithHingeLosses() {
        RunConfig config = Presets.get("bigbigan-32");
        config = config.withTrain(config.train().withBatchSize(4));
        PhaseTimes times = new PhaseTimes(true);
        BigBiganTrainer trainer = new BigBiganTrainer(config, Trainers.Setup.seed(3).times(times));
        Map<String, float[]> before = snapshot(trainer);
        Tensor data = Trainers.randomImages(config, 8, torch.createCPUGenerator(1));    // [8, 1, 32, 32]
        assertEquals(4, data.dim());
        int[] calls = {0};
        StepTrainer.StepMetrics m;
        try (StepScope s = StepScope.open()) {
            m = trainer.step(() -> data.narrow(0, 4L * (calls[0]++ % 2), 4));
        }
        assertEquals(2, calls[0], "one fresh real batch per D update (dStepsPerGStep = 2)");
        assertEquals(1, m.step());
        // three hinge terms, each >= 0 (scores of a fresh D are O(10): F sums over space)
        assertTrue(m.lossD() > 0 && Double.isFinite(m.lossD()), "D loss " + m.lossD());
        assertTrue(Double.isFinite(m.lossEG()), "E/G loss " + m.lossEG());
        Map<String, float[]> after = snapshot(trainer);
        for (String net : new String[]{"G.", "E.", "D."})
            assertTrue(before.keySet().stream().filter(k -> k.startsWith(net))
                    .anyMatch(k -> !java.util.Arrays.equals(before.get(k), after.get(k))), net + " parameters changed");
        for (Tensor p : Modules.parameters(trainer.model().discriminator()).values())
            assertTrue(p.requires_grad(), "D trainable again after the E/G step");
        var phases = times.msPerStep(1);
        assertTrue(phases.containsKey("D step: backward") && phases.containsKey("E/G step: Adam"), phases.toString());
        assertFalse(phases.values().stream().anyMatch(v -> v < 0));
    }

    @Test
    void emaCopiesAreCheckpointedAndUsedForSampling(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        RunConfig config = Presets.get("bigbigan-32");
        config = config.withTrain(config.train().withBatchSize(2)
                .withEma(new io.bigbigan.trainer.config.EmaConfig(true, 0.5, 0)));
        BigBiganTrainer trainer = new BigBiganTrainer(config, 3);
        Tensor data = Trainers.randomImages(config, 2, torch.createCPUGenerator(1));
        try (StepScope s = StepScope.open()) {
            trainer.step(() -> data);
        }
        var state = trainer.state();
        assertTrue(state.containsKey("G_ema.linear.weight_orig") && state.containsKey("E_ema.head.out.weight"));
        // decay 0.5 after one step: ema = (init + live) / 2, so it differs from the live weights
        assertFalse(java.util.Arrays.equals(Tensors.toFloats(state.get("G.linear.weight_orig")),
                Tensors.toFloats(state.get("G_ema.linear.weight_orig"))));
        var file = io.bigbigan.trainer.checkpoint.Checkpoints.save(dir, trainer, io.bigbigan.trainer.checkpoint.RunSettings.NONE);
        var loaded = io.bigbigan.trainer.checkpoint.Checkpoints.load(file);
        var live = io.bigbigan.trainer.checkpoint.Checkpoints.load(file, io.bigbigan.trainer.step.Weights.LIVE, io.bigbigan.trainer.step.ComputeDevice.cpu()).trainer().state();
        assertFalse(live.containsKey("G_ema.linear.weight_orig"), "--weights live drops the EMA copies");
        assertTrue(java.util.Arrays.equals(Tensors.toFloats(state.get("G.linear.weight_orig")),
                Tensors.toFloats(live.get("G.linear.weight_orig"))));
        try (StepScope s = StepScope.open()) {
            Tensor z = trainer.inference().sampleLatent(2, torch.createCPUGenerator(9));
            assertTrue(torch.equal(trainer.inference().generate(z), loaded.model().generate(z)), "EMA G restored");
            Tensor x = trainer.prepare(data.add(new org.bytedeco.pytorch.Scalar(1)).div(new org.bytedeco.pytorch.Scalar(2)));
            assertTrue(torch.equal(trainer.inference().encode(x), loaded.model().encode(x)), "EMA E restored");
            // the trainer's live view reads G and E as a checkpoint loaded with --weights live does, not the EMA copies
            var liveView = trainer.inference(io.bigbigan.bindings.Precision.FP32, io.bigbigan.trainer.step.Weights.LIVE);
            var liveLoaded = io.bigbigan.trainer.checkpoint.Checkpoints.load(file, io.bigbigan.trainer.step.Weights.LIVE,
                    io.bigbigan.trainer.step.ComputeDevice.cpu()).model();
            assertTrue(torch.equal(liveView.generate(z), liveLoaded.generate(z)), "live G");
            assertTrue(torch.equal(liveView.encode(x), liveLoaded.encode(x)), "live E");
            assertFalse(torch.equal(liveView.generate(z), trainer.inference().generate(z)), "live G is not the EMA G");
            assertFalse(torch.equal(liveView.encode(x), trainer.inference().encode(x)), "live E is not the EMA E");
        }
    }

    @Test
    void orthogonalRegularisationChangesOnlyTheGeneratorUpdate() {
        RunConfig base = Presets.get("bigbigan-32");
        base = base.withTrain(base.train().withBatchSize(2));
        RunConfig reg = base.withTrain(base.train().withOrthoReg(1e-2));
        assertEquals(reg, RunConfig.fromJson(reg.toJson()));
        Map<String, float[]> plain = afterOneStep(base), withReg = afterOneStep(reg);
        assertTrue(java.util.Arrays.equals(plain.get("E.head.out.weight"), withReg.get("E.head.out.weight")),
                "E's update does not see the penalty");
        assertTrue(java.util.Arrays.equals(plain.get("D.J.score.weight_orig"), withReg.get("D.J.score.weight_orig")));
        assertFalse(java.util.Arrays.equals(plain.get("G.blocks.0.conv1.weight_orig"),
                withReg.get("G.blocks.0.conv1.weight_orig")), "G's update includes the penalty");
    }

    private static Map<String, float[]> afterOneStep(RunConfig config) {
        BigBiganTrainer t = new BigBiganTrainer(config, 3);
        Tensor data = Trainers.randomImages(config, 2, torch.createCPUGenerator(1));
        try (StepScope s = StepScope.open()) {
            t.step(() -> data);
        }
        return snapshot(t);
    }

    private static Map<String, float[]> snapshot(BigBiganTrainer t) {
        Map<String, float[]> out = new HashMap<>();
        Modules.parameters(t.model()).forEach((k, v) -> out.put(k, Tensors.toFloats(v)));
        return out;
    }
}
