package io.bigbigan.bindings;

import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Adam against a hand-written reference: guards the reversed-betas binding quirk. */
class OptimizersTest {
    @Test
    void twoAdamStepsMatchHandComputedValues() {
        double lr = 0.1, b1 = 0.5, b2 = 0.999, eps = 1e-8;
        Tensor p = Tensors.of(new float[]{1f, -2f}, 2).requires_grad_(true);
        Adam opt = Optimizers.adam(new TensorVector(p), lr, b1, b2, eps);
        double[] w = {1, -2}, m = new double[2], v = new double[2];
        for (int t = 1; t <= 2; t++) {
            try (StepScope s = StepScope.open()) {
                // loss = sum(c * p^2) with c = t: gradient 2 t p
                opt.zero_grad();
                p.pow(Tensors.scalar(2)).mul(Tensors.scalar(t)).sum().backward();
                opt.step();
            }
            for (int i = 0; i < 2; i++) {
                double g = 2 * t * w[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                w[i] -= lr * mh / (Math.sqrt(vh) + eps);
            }
            float[] got = Tensors.toFloats(p);
            assertEquals(w[0], got[0], 1e-5, "step " + t);
            assertEquals(w[1], got[1], 1e-5, "step " + t);
        }
        // swapped betas (0.999, 0.5) would give 0.811 for w[0] after step 2 instead of 0.7947
        assertEquals(0.7947, Tensors.toFloats(p)[0], 1e-3);
    }
}
