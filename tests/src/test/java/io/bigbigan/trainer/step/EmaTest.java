package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.bigbigan.BigGanGenerator;
import io.bigbigan.model.bigbigan.GeneratorConfig;
import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmaTest {
    /** fc: Linear(2, 2); bn: BatchNorm1d(2). */
    private static Module tiny() {
        Module m = new Module();
        m.register_module("fc", new LinearImpl(2, 2));
        m.register_module("bn", new BatchNorm1dImpl(new org.bytedeco.pytorch.BatchNormOptions(2)));
        return m;
    }

    private static void fill(Module m, double v) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor p : Modules.parameters(m).values()) p.fill_(new Scalar(v));
        }
    }

    private static float weight(Module m) {
        return Tensors.toFloats(Modules.parameters(m).get("fc.weight"))[0];
    }

    @Test
    void tracksBeforeStartStepThenAveragesByHand() {
        Module live = tiny(), copy = tiny();
        fill(live, 1);
        Ema ema = new Ema(live, copy, 0.5, 2);
        assertEquals(1f, weight(copy), "initialised to the live weights");
        fill(live, 3);
        ema.update(1);                                   // step 1 < start 2: copy
        assertEquals(3f, weight(copy));
        assertEquals(java.util.List.of("fc.weight", "fc.bias", "bn.weight", "bn.bias"), ema.parameterNames());
        float[] expected = {4f, 5.5f, 3.25f};            // 3 + .5(5-3); 4 + .5(7-4); 5.5 + .5(1-5.5)
        double[] liveValues = {5, 7, 1};
        for (int i = 0; i < 3; i++) {
            fill(live, liveValues[i]);
            ema.update(2 + i);
            for (Tensor p : Modules.parameters(copy).values())
                for (float v : Tensors.toFloats(p)) assertEquals(expected[i], v, 1e-6, "update " + (i + 1));
        }
        assertEquals(1f, weight(live), "live weights untouched");
    }

    @Test
    void buffersAreCopiedFromTheLiveModule() {
        Module live = tiny(), copy = tiny();
        Ema ema = new Ema(live, copy, 0.9, 0);
        live.train(true);
        try (StepScope s = StepScope.open()) {
            torch.batch_norm(torch.randn(8, 2), new org.bytedeco.pytorch.TensorOptional(),
                    new org.bytedeco.pytorch.TensorOptional(),
                    new org.bytedeco.pytorch.TensorOptional(Modules.buffers(live).get("bn.running_mean")),
                    new org.bytedeco.pytorch.TensorOptional(Modules.buffers(live).get("bn.running_var")),
                    true, 0.5, 1e-5, false);                       // moves the live running statistics
            ema.update(10);
        }
        Map<String, Tensor> lb = Modules.buffers(live), eb = Modules.buffers(copy);
        assertFalse(java.util.Arrays.equals(new float[]{0, 0}, Tensors.toFloats(lb.get("bn.running_mean"))));
        for (String k : new String[]{"bn.running_mean", "bn.running_var"})
            assertArrayEquals(Tensors.toFloats(lb.get(k)), Tensors.toFloats(eb.get(k)), k);
        assertEquals(java.util.List.of("bn.running_mean", "bn.running_var", "bn.num_batches_tracked"), ema.bufferNames());
    }

    @Test
    void rejectsDifferentArchitecturesAndBadDecay() {
        Module a = tiny();
        Module b = new Module();
        b.register_module("fc", new LinearImpl(2, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> new Ema(a, b, 0.9, 0));
        assertTrue(e.getMessage().contains("fc.weight") && e.getMessage().contains("missing in EMA copy: bn.weight"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Ema(a, tiny(), 1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Ema(a, a, 0.5, 0));
    }

    @Test
    void cachedTensorsStayValidAcrossScopedUpdates() {
        Module live = tiny(), copy = tiny();
        fill(live, 0);
        Ema ema = new Ema(live, copy, 0.5, 0);
        long ptr = Modules.parameters(copy).get("fc.weight").data_ptr().address();
        fill(live, 1);
        for (int i = 0; i < 200; i++)
            try (StepScope s = StepScope.open()) {
                ema.update(i);
            }
        assertEquals(1f, weight(copy), 1e-6, "converged to the live value");
        assertEquals(ptr, Modules.parameters(copy).get("fc.weight").data_ptr().address(), "updated in place");
    }

    @Test
    void emaGeneratorSamplesInEvalModeAndStandingStatistics() {
        GeneratorConfig cfg = GeneratorConfig.bigbigan32(1);
        BigGanGenerator g = new BigGanGenerator(cfg), gEma = new BigGanGenerator(cfg, false);
        Ema ema = new Ema(g, gEma);
        var gen = torch.createCPUGenerator(5);
        try (StepScope s = StepScope.open()) {
            g.train(true);
            g.forward(torch.randn(new long[]{2, cfg.zDim()}, new GeneratorOptional(gen),
                    new TensorOptions(torch.ScalarType.Float)));                          // live BN stats move
            try (NoGradGuard ng = new NoGradGuard()) {
                for (Tensor p : Modules.parameters(g).values()) p.add_(new Scalar(1e-3));
            }
            ema.update(1);
            gEma.eval();
            Tensor x;
            try (NoGradGuard ng = new NoGradGuard()) {
                x = gEma.forward(torch.randn(new long[]{2, cfg.zDim()}, new GeneratorOptional(gen),
                        new TensorOptions(torch.ScalarType.Float)));
            }
            assertArrayEquals(new long[]{2, 1, 32, 32}, Tensors.shape(x));
            for (float v : Tensors.toFloats(x)) assertTrue(Float.isFinite(v) && Math.abs(v) <= 1);
            String rv = ema.bufferNames().stream().filter(n -> n.endsWith("output_bn.running_var")).findFirst().orElseThrow();
            float[] before = Tensors.toFloats(Modules.buffers(gEma).get(rv));
            assertArrayEquals(Tensors.toFloats(Modules.buffers(g).get(rv)), before, "copied from live");
            int n = ema.recomputeBatchNormStatistics(2, m -> gEma.forward(torch.randn(new long[]{2, cfg.zDim()},
                    new GeneratorOptional(gen), new TensorOptions(torch.ScalarType.Float))));
            assertTrue(n >= 2, "batch norms found: " + n);
            assertFalse(java.util.Arrays.equals(before, Tensors.toFloats(Modules.buffers(gEma).get(rv))));
            assertFalse(gEma.is_training(), "left in eval mode");
            String tracked = rv.replace("running_var", "num_batches_tracked");
            assertEquals(2, Tensors.toLongs(Modules.buffers(gEma).get(tracked))[0], "cumulative over 2 passes");
        }
    }
}
