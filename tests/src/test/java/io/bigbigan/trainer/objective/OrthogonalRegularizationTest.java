package io.bigbigan.trainer.objective;

import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.bigbigan.BigGanGenerator;
import io.bigbigan.model.bigbigan.GeneratorConfig;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrthogonalRegularizationTest {
    /**
     * W = [[1, 2, 3], [4, 5, 6]]: W W^T = [[14, 32], [32, 77]], off-diagonal part [[0, 32], [32, 0]],
     * squared Frobenius norm 2 * 32^2 = 2048; with beta 0.5: 1024.
     * Gradient 4 beta (W W^T (.) (1 - I)) W = 2 * [[0, 32], [32, 0]] W = [[256, 320, 384], [64, 128, 192]].
     */
    @Test
    void handComputedValueAndGradientOn2x3() {
        Tensor w = Tensors.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3).requires_grad_(true);
        OrthogonalRegularization r = new OrthogonalRegularization(0.5, Map.of("w", w));
        Tensor p = r.penalty();
        assertEquals(1024.0, p.item_double(), 1e-3);
        p.backward();
        assertArrayEquals(new float[]{256, 320, 384, 64, 128, 192}, Tensors.toFloats(w.grad()), 1e-3f);
    }

    /** Closed form 4 beta (W W^T (.) (1 - I)) W on a random conv-shaped weight, and a central finite difference. */
    @Test
    void gradientMatchesClosedFormAndFiniteDifference() {
        Tensor w = org.bytedeco.pytorch.global.torch.randn(4, 3, 2, 2).to(org.bytedeco.pytorch.global.torch.ScalarType.Double)
                .requires_grad_(true);
        double beta = 0.3;
        OrthogonalRegularization r = new OrthogonalRegularization(beta, Map.of("w", w));
        r.penalty().backward();
        float[] grad = Tensors.toFloats(w.grad());
        float[] m = Tensors.toFloats(w.detach().reshape(4, 12));
        float[] expected = new float[48];
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 12; c++) {
                double g = 0;
                for (int j = 0; j < 4; j++) {
                    if (j == i) continue;
                    double dot = 0;
                    for (int k = 0; k < 12; k++) dot += m[i * 12 + k] * m[j * 12 + k];
                    g += dot * m[j * 12 + c];
                }
                expected[i * 12 + c] = (float) (4 * beta * g);
            }
        assertArrayEquals(expected, grad, 1e-4f);
        // finite difference on element 5
        Tensor flat = w.detach().clone().reshape(-1);
        double h = 1e-6;
        flat.index_put_(new org.bytedeco.pytorch.TensorIndexVector(new org.bytedeco.pytorch.TensorIndex(5)),
                new org.bytedeco.pytorch.Scalar(m[5] + h));
        double up = beta * OrthogonalRegularization.offDiagonalSquaredNorm(flat.reshape(4, 3, 2, 2)).item_double();
        flat.index_put_(new org.bytedeco.pytorch.TensorIndexVector(new org.bytedeco.pytorch.TensorIndex(5)),
                new org.bytedeco.pytorch.Scalar(m[5] - h));
        double down = beta * OrthogonalRegularization.offDiagonalSquaredNorm(flat.reshape(4, 3, 2, 2)).item_double();
        assertEquals(grad[5], (up - down) / (2 * h), 1e-4 * Math.max(1, Math.abs(grad[5])));
    }

    @Test
    void selectsSpectrallyNormalisedWeightsOfTheGenerator() {
        BigGanGenerator g = new BigGanGenerator(GeneratorConfig.bigbigan32(1), false);
        OrthogonalRegularization r = OrthogonalRegularization.forModule(g, OrthogonalRegularization.BIGGAN_BETA);
        assertTrue(r.weightNames().contains("linear.weight_orig"), r.weightNames().toString());
        assertTrue(r.weightNames().contains("output_conv.weight_orig"));
        assertFalse(r.weightNames().stream().anyMatch(n -> n.startsWith("shared") || n.endsWith("bias")),
                r.weightNames().toString());
        Tensor p = r.penalty();
        assertTrue(p.requires_grad() && p.item_double() > 0 && Double.isFinite(p.item_double()));
        assertThrows(IllegalArgumentException.class,
                () -> new OrthogonalRegularization(1, Map.of("b", Tensors.of(new float[]{1, 2}, 2))));
    }
}
