package io.bigbigan.model.layers;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConditionalBatchNormTest {

    /** Batch norm without affine in training mode (fresh running statistics). */
    private static Tensor plainBatchNorm(Tensor x) {
        long c = x.size(1);
        return torch.batch_norm(x, new TensorOptional(), new TensorOptional(), new TensorOptional(torch.zeros(c)),
                new TensorOptional(torch.ones(c)), true, 0.1, 1e-5, false);
    }

    @Test
    void shapeNamesAndParameterCount() {
        ConditionalBatchNorm cbn = new ConditionalBatchNorm(8, 6);
        try (StepScope s = StepScope.open()) {
            Tensor out = cbn.forward(torch.randn(2, 8, 4, 4), torch.randn(2, 6));
            assertArrayEquals(new long[]{2, 8, 4, 4}, Tensors.shape(out));
        }
        assertEquals(List.of("gain.weight_orig", "bias.weight_orig"), List.copyOf(Modules.parameters(cbn).keySet()));
        assertEquals(List.of("gain.weight_u", "gain.weight_v", "bias.weight_u", "bias.weight_v", "bn.running_mean",
                "bn.running_var", "bn.num_batches_tracked"), List.copyOf(Modules.buffers(cbn).keySet()));
        // gain [8, 6] + bias [8, 6], no bias vectors, BN without affine
        assertEquals(8 * 6 + 8 * 6, Modules.parameterCount(cbn));
    }

    @Test
    void zeroConditioningIsPlainBatchNorm() {
        // gain(0) = bias(0) = 0 (bias-free linear maps), so out = bn(x) * (1 + 0) + 0. (Zeroing the weights instead
        // is not possible: a spectrally normalised zero matrix has sigma = 0.)
        ConditionalBatchNorm cbn = new ConditionalBatchNorm(5, 7);
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.randn(3, 5, 4, 4).mul(new Scalar(2)).add(new Scalar(1));
            Tensor out = cbn.forward(x, torch.zeros(3, 7));
            assertTrue(torch.allclose(plainBatchNorm(x), out, 1e-5, 1e-5, false));
            float[] rm = Tensors.toFloats(Modules.buffers(cbn).get("bn.running_mean"));
            assertTrue(Math.abs(rm[0]) > 1e-3, "running statistics are kept");
        }
    }

    @Test
    void gainAndBiasFollowTheFormula() {
        ConditionalBatchNorm cbn = new ConditionalBatchNorm(4, 3);
        Map<String, Tensor> buf = Modules.buffers(cbn);
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.randn(2, 4, 3, 3);
            Tensor y = torch.randn(2, 3);
            Tensor out = cbn.forward(x, y);
            // the forward ran one power iteration; the updated vectors give the weights it used
            Tensor wg = SpectralNorm.normalise(cbn.gain().weightOrig(), buf.get("gain.weight_u"),
                    buf.get("gain.weight_v"), 0);
            Tensor wb = SpectralNorm.normalise(cbn.bias().weightOrig(), buf.get("bias.weight_u"),
                    buf.get("bias.weight_v"), 0);
            Tensor g = torch.linear(y, wg).add(new Scalar(1)).view(2, 4, 1, 1);
            Tensor b = torch.linear(y, wb).view(2, 4, 1, 1);
            Tensor expected = plainBatchNorm(x).mul(g).add(b);
            assertTrue(torch.allclose(expected, out, 1e-5, 1e-5, false));
            assertFalse(torch.allclose(plainBatchNorm(x), out, 1e-3, 1e-3, false), "conditioning has an effect");
        }
    }
}
