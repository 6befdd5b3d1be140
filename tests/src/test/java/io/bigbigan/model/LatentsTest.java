package io.bigbigan.model;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LatentsTest {
    @Test
    void truncatedNormalStaysInsideAndKeepsItsSpread() {
        try (StepScope s = StepScope.open()) {
            Tensor z = Latents.truncatedNormal(4000, 32, 0.5, torch.createCPUGenerator(3));
            assertArrayEquals(new long[]{4000, 32}, z.sizes().vec().get());
            assertTrue(z.abs().max().item_double() <= 0.5);
            // Var of N(0,1) truncated to [-a, a]: 1 - 2 a phi(a) / (2 Phi(a) - 1); a = 0.5 -> 0.0793
            double a = 0.5, phi = Math.exp(-a * a / 2) / Math.sqrt(2 * Math.PI), mass = 0.382924922548026;
            double expected = 1 - 2 * a * phi / mass;
            assertEquals(expected, z.var().item_double(), 0.003);
            assertEquals(0, z.mean().item_double(), 0.003);
        }
    }

    @Test
    void noTruncationIsThePlainPriorAndSeedsRepeat() {
        try (StepScope s = StepScope.open()) {
            Tensor a = Latents.truncatedNormal(10, 4, 0, torch.createCPUGenerator(9));
            Tensor b = torch.randn(new long[]{10, 4}, new org.bytedeco.pytorch.GeneratorOptional(torch.createCPUGenerator(9)),
                    new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float));
            assertTrue(torch.equal(a, b));
            Tensor c = Latents.truncatedNormal(10, 4, 1.0, torch.createCPUGenerator(9));
            Tensor d = Latents.truncatedNormal(10, 4, 1.0, torch.createCPUGenerator(9));
            assertTrue(torch.equal(c, d));
            Tensor u = Latents.truncatedUniform(1000, 8, 0.25, torch.createCPUGenerator(1));
            assertTrue(u.abs().max().item_double() <= 0.25);
            assertTrue(u.abs().max().item_double() > 0.24);
        }
    }

    @Test
    void rejectsTinyOrNaNThresholds() {
        assertThrows(IllegalArgumentException.class, () -> Latents.truncatedNormal(2, 2, 0.01, torch.createCPUGenerator(1)));
        assertThrows(IllegalArgumentException.class, () -> Latents.truncatedNormal(2, 2, Double.NaN, torch.createCPUGenerator(1)));
    }
}
