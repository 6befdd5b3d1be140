package io.bigbigan.trainer.step;

import io.bigbigan.bindings.NonFiniteException;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import io.bigbigan.trainer.step.OptimiserUpdate.MicroBatches;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MicroBatchesTest {
    @Test
    void kMicroBatchesGiveTheGradientOfOneBatch() {
        torch.manual_seed(7);
        Module net = new Module();
        LinearImpl fc1 = net.register_module("fc1", new LinearImpl(5, 8));
        LinearImpl fc2 = net.register_module("fc2", new LinearImpl(8, 1));
        Function<Tensor, Tensor> loss = x -> torch.softplus(fc2.forward(torch.leaky_relu(fc1.forward(x),
                new org.bytedeco.pytorch.Scalar(0.2)))).mean();
        Tensor batch = torch.randn(6, 5);                                // B = 6

        net.zero_grad(true);
        Tensor full = loss.apply(batch);
        full.backward();
        float[] g1 = Tensors.toFloats(fc1.weight().grad()), g2 = Tensors.toFloats(fc2.bias().grad());

        for (int k : new int[]{2, 3}) {
            net.zero_grad(true);
            MicroBatches micro = MicroBatches.of(batch.size(0), k);
            assertEquals(6 / k, micro.size());
            Map<String, Double> values = new LinkedHashMap<>();
            for (int m = 0; m < micro.count(); m++) {
                Tensor l = loss.apply(micro.slice(batch, m));           // [B / k] rows
                values.put("loss_" + m, l.item_double());
                micro.scale(l).backward();
            }
            assertEquals(full.item_double(), micro.mean(values, "loss_", "loss", 1), 1e-6, "k = " + k);
            assertArrayEquals(g1, Tensors.toFloats(fc1.weight().grad()), 1e-6f, "k = " + k);
            assertArrayEquals(g2, Tensors.toFloats(fc2.bias().grad()), 1e-6f, "k = " + k);
        }
    }

    @Test
    void oneMicroBatchIsTheBatchItselfAndUnevenSplitsAreRefused() {
        Tensor batch = torch.randn(6, 5), loss = batch.mean();
        MicroBatches one = MicroBatches.of(6, 1);
        assertSame(batch, one.slice(batch, 0));
        assertSame(loss, one.scale(loss));
        var e = assertThrows(IllegalArgumentException.class, () -> MicroBatches.of(6, 4));
        assertEquals("batch 6 does not split into 4 equal micro-batches", e.getMessage());
        assertThrows(NonFiniteException.class,
                () -> MicroBatches.of(6, 2).mean(Map.of("loss_0", 1.0, "loss_1", Double.NaN), "loss_", "D loss", 3));
    }

    @Test
    void scalingDividesByK() {
        // div(k), not mul(1/k): for k = 3 the two differ in the last bit for some values; the step divides.
        Tensor loss = torch.randn(1000).to(torch.ScalarType.Float);
        Tensor scaled = MicroBatches.of(3, 3).scale(loss);
        assertTrue(torch.equal(scaled, loss.div(new org.bytedeco.pytorch.Scalar(3.0))));
    }
}
