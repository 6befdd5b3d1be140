package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Optimizers;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fused Adam: hand-computed steps, agreement with LibTorch's Adam, and its checkpoint formats. */
class FusedAdamTest {
    private static final double LR = 0.1, B1 = 0.5, B2 = 0.999, EPS = 1e-8;

    @Test
    void twoStepsMatchHandComputedValues() {
        Tensor p = Tensors.of(new float[]{1f, -2f}, 2).requires_grad_(true);
        FusedAdam opt = new FusedAdam(Map.of("w", p), LR, B1, B2, EPS);
        double[] w = {1, -2}, m = new double[2], v = new double[2];
        for (int t = 1; t <= 2; t++) {
            try (StepScope s = StepScope.open()) {
                opt.zero_grad();
                p.pow(Tensors.scalar(2)).mul(Tensors.scalar(t)).sum().backward();      // gradient 2 t p
                opt.step();
            }
            for (int i = 0; i < 2; i++) {
                double g = 2 * t * w[i];
                m[i] = B1 * m[i] + (1 - B1) * g;
                v[i] = B2 * v[i] + (1 - B2) * g * g;
                w[i] -= LR * (m[i] / (1 - Math.pow(B1, t))) / (Math.sqrt(v[i] / (1 - Math.pow(B2, t))) + EPS);
            }
            float[] got = Tensors.toFloats(p);
            assertEquals(w[0], got[0], 1e-5, "step " + t);
            assertEquals(w[1], got[1], 1e-5, "step " + t);
        }
        assertEquals(0.7947, Tensors.toFloats(p)[0], 1e-3);                   // swapped betas would give 0.811
        assertEquals(2, opt.stepCount(0));
    }

    @Test
    void matchesLibTorchAdamOverManySteps() {
        torch.manual_seed(3);
        Tensor[] ours = {torch.randn(64, 33), torch.randn(33), torch.randn(5, 3, 3, 3)};
        Tensor[] ref = copies(ours), start = copies(ours);
        FusedAdam fused = new FusedAdam(named(ours), 2e-3, 0.0, 0.999, 1e-8);
        Adam libtorch = Optimizers.adam(new TensorVector(ref), 2e-3, 0.0, 0.999, 1e-8);
        for (int t = 0; t < 20; t++) {
            try (StepScope s = StepScope.open()) {
                stepBoth(fused, ours, libtorch, ref, t);
            }
        }
        for (int i = 0; i < ours.length; i++) {
            double diff = ours[i].sub(ref[i]).abs().max().item_double();
            assertTrue(diff < 1e-6, "parameter " + i + " differs from LibTorch's Adam by " + diff);
            assertTrue(ours[i].sub(start[i]).abs().max().item_double() > 1e-3, "parameter " + i + " moved");
        }
    }

    @Test
    void continuesFromALibTorchAdamArchive(@TempDir Path dir) {
        torch.manual_seed(4);
        Tensor[] ours = {torch.randn(8, 4), torch.randn(4)};
        Tensor[] ref = copies(ours);
        Adam libtorch = Optimizers.adam(new TensorVector(ref), 1e-2, 0.5, 0.999, 1e-8);
        for (int t = 0; t < 3; t++) {
            try (StepScope s = StepScope.open()) {
                gradients(ref, t);
                libtorch.step();
            }
        }
        Path file = dir.resolve("optim.pt");
        OutputArchive out = new OutputArchive();
        libtorch.save(out);                                                   // the layout of 0.1.0 checkpoints
        out.save_to(file.toString());
        try (var g = new org.bytedeco.pytorch.NoGradGuard()) {
            for (int i = 0; i < ours.length; i++) ours[i].copy_(ref[i]);
        }

        FusedAdam fused = new FusedAdam(named(ours), 1e-2, 0.5, 0.999, 1e-8);
        InputArchive in = new InputArchive();
        in.load_from(file.toString());
        fused.load(in);
        assertEquals(3, fused.stepCount(0));
        for (int t = 3; t < 6; t++) {
            try (StepScope s = StepScope.open()) {
                stepBoth(fused, ours, libtorch, ref, t);
            }
        }
        for (int i = 0; i < ours.length; i++)
            assertTrue(ours[i].sub(ref[i]).abs().max().item_double() < 1e-6, "parameter " + i);
    }

    @Test
    void ownFormatRoundTripEqualsUninterrupted(@TempDir Path dir) {
        torch.manual_seed(5);
        Tensor[] a = {torch.randn(6, 5), torch.randn(5)};
        Tensor[] b = copies(a);
        FusedAdam straight = new FusedAdam(named(a), 1e-2, 0.0, 0.999, 1e-8);
        FusedAdam first = new FusedAdam(named(b), 1e-2, 0.0, 0.999, 1e-8);
        for (int t = 0; t < 4; t++) {
            try (StepScope s = StepScope.open()) {
                gradients(a, t);
                straight.step();
                gradients(b, t);
                first.step();
            }
        }
        Path file = dir.resolve("optim.pt");
        OutputArchive out = new OutputArchive();
        first.save(out);
        out.save_to(file.toString());
        FusedAdam resumed = new FusedAdam(named(b), 1e-2, 0.0, 0.999, 1e-8);    // fresh state, then loaded
        InputArchive in = new InputArchive();
        in.load_from(file.toString());
        resumed.load(in);
        for (int t = 4; t < 7; t++) {
            try (StepScope s = StepScope.open()) {
                gradients(a, t);
                straight.step();
                gradients(b, t);
                resumed.step();
            }
        }
        for (int i = 0; i < a.length; i++)
            assertArrayEquals(Tensors.toFloats(a[i]), Tensors.toFloats(b[i]), "parameter " + i + " (bit-identical)");

        Map<String, Tensor> renamed = new LinkedHashMap<>();
        renamed.put("other", b[0]);
        renamed.put("p1", b[1]);
        InputArchive again = new InputArchive();
        again.load_from(file.toString());
        var e = assertThrows(IllegalArgumentException.class,
                () -> new FusedAdam(renamed, 1e-2, 0.0, 0.999, 1e-8).load(again));
        assertTrue(e.getMessage().contains("'p0'") && e.getMessage().contains("'other'"), e.getMessage());
        InputArchive third = new InputArchive();
        third.load_from(file.toString());
        var count = assertThrows(IllegalArgumentException.class,
                () -> new FusedAdam(Map.of("p0", b[0]), 1e-2, 0.0, 0.999, 1e-8).load(third));
        assertTrue(count.getMessage().contains("holds 2 parameters, the network has 1"), count.getMessage());
    }

    @Test
    void parametersWithoutGradientAreLeftAlone() {
        Tensor used = Tensors.of(new float[]{1f, 2f}, 2).requires_grad_(true);
        Tensor unused = Tensors.of(new float[]{3f}, 1).requires_grad_(true);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("used", used);
        params.put("unused", unused);
        FusedAdam opt = new FusedAdam(params, 0.1, 0.9, 0.999, 1e-8);
        try (StepScope s = StepScope.open()) {
            opt.zero_grad();
            used.sum().backward();
            opt.step();
            opt.zero_grad();
        }
        assertEquals(1, opt.stepCount(0));
        assertEquals(0, opt.stepCount(1));
        assertEquals(3f, Tensors.toFloats(unused)[0]);
        assertEquals(0.9f, Tensors.toFloats(used)[0], 1e-6f);                 // first Adam step moves by lr
        assertTrue(!used.grad().defined(), "zero_grad sets gradients to none");
    }

    private static void stepBoth(FusedAdam fused, Tensor[] ours, Adam libtorch, Tensor[] ref, int t) {
        fused.zero_grad();
        gradients(ours, t);
        fused.step();
        libtorch.zero_grad();
        gradients(ref, t);
        libtorch.step();
    }

    /** A deterministic, step-dependent loss whose gradient differs per element. */
    private static void gradients(Tensor[] ps, int t) {
        for (Tensor p : ps) {
            if (p.grad().defined()) p.mutable_grad().reset();
            Tensor phase = torch.arange(new org.bytedeco.pytorch.Scalar(p.numel())).to(torch.ScalarType.Float)
                    .reshape(p.sizes()).mul(Tensors.scalar(0.37)).add(Tensors.scalar(t));
            p.mul(phase.sin()).sum().add(p.pow(Tensors.scalar(2)).sum().mul(Tensors.scalar(0.1))).backward();
        }
    }

    private static Tensor[] copies(Tensor[] ps) {
        Tensor[] out = new Tensor[ps.length];
        for (int i = 0; i < ps.length; i++) {
            ps[i].requires_grad_(true);
            out[i] = ps[i].detach().clone().requires_grad_(true);
        }
        return out;
    }

    private static Map<String, Tensor> named(Tensor[] ps) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < ps.length; i++) m.put("p" + i, ps[i]);
        return m;
    }
}
