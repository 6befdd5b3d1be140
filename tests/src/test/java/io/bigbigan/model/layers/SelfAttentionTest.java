package io.bigbigan.model.layers;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelfAttentionTest {

    @Test
    void freshBlockIsTheIdentity() {
        SelfAttention att = new SelfAttention(16);
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.randn(2, 16, 8, 8);
            Tensor out = att.forward(x);
            assertArrayEquals(new long[]{2, 16, 8, 8}, Tensors.shape(out));
            assertTrue(torch.equal(x, out), "gamma = 0 -> x + 0 * o(...) = x");
        }
    }

    @Test
    void parameterCount() {
        // theta 16x2, phi 16x2, g 16x8, o 8x16 (1x1, no bias), gamma 1
        assertEquals(16 * 2 + 16 * 2 + 16 * 8 + 8 * 16 + 1, Modules.parameterCount(new SelfAttention(16)));
        assertTrue(Modules.parameters(new SelfAttention(16)).containsKey("theta.weight_orig"));
        assertThrows(IllegalArgumentException.class, () -> new SelfAttention(12));
    }
}
