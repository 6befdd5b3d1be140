package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GradientAccumulationTest {
    @Test
    void twoMicroBatchesGiveTheGradientOfOneBatch() {
        torch.manual_seed(7);
        Module net = new Module();
        LinearImpl fc1 = net.register_module("fc1", new LinearImpl(5, 8));
        LinearImpl fc2 = net.register_module("fc2", new LinearImpl(8, 1));
        Function<Tensor, Tensor> loss = x -> torch.softplus(fc2.forward(torch.leaky_relu(fc1.forward(x),
                new org.bytedeco.pytorch.Scalar(0.2)))).mean();
        Tensor batch = torch.randn(6, 5);                                // 2b = 6

        net.zero_grad(true);
        Tensor full = loss.apply(batch);
        full.backward();
        float[] g1 = Tensors.toFloats(fc1.weight().grad()), g2 = Tensors.toFloats(fc2.bias().grad());

        net.zero_grad(true);
        double mean = GradientAccumulation.backward(batch, 2, loss);
        assertEquals(full.item_double(), mean, 1e-6);
        assertArrayEquals(g1, Tensors.toFloats(fc1.weight().grad()), 1e-6f);
        assertArrayEquals(g2, Tensors.toFloats(fc2.bias().grad()), 1e-6f);

        assertThrows(IllegalArgumentException.class, () -> GradientAccumulation.backward(batch, 4, loss));
    }
}
