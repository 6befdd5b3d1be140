package io.bigbigan.trainer.eval.anomaly;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The raw-pixel baselines on points whose answers are known. */
class PixelBaselinesTest {
    @Test
    void kthNearestDistance() {
        try (StepScope s = StepScope.open()) {
            var ref = Tensors.of(new float[]{0, 0, 3, 0, 0, 4}, 3, 2);                       // (0,0) (3,0) (0,4)
            var q = Tensors.of(new float[]{0, 0, 3, 4, 6, 0}, 3, 2);
            double[] d1 = PixelBaselines.kthNearestDistance(ref, q, 1);
            assertEquals(0, d1[0], 1e-3);
            assertEquals(3, d1[1], 1e-5);                                                   // (3,4) to (0,4)
            assertEquals(3, d1[2], 1e-5);
            double[] d2 = PixelBaselines.kthNearestDistance(ref, q, 2);
            assertEquals(3, d2[0], 1e-5);
            assertEquals(4, d2[1], 1e-5);
            assertEquals(6, d2[2], 1e-5);
        }
    }

    @Test
    void pcaErrorIsTheDistanceToTheFittedLine() {
        try (StepScope s = StepScope.open()) {
            // points on the line y = x (plus a tiny spread across it), mean (2, 2)
            var ref = Tensors.of(new float[]{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 2.01f, 1.99f}, 6, 2);
            var q = Tensors.of(new float[]{5, 5, 2, 4}, 2, 2);
            var pca = PixelBaselines.pca(ref, q, 0.9);
            assertEquals(1, pca.components());
            assertEquals(0, pca.errors()[0], 1e-2);
            assertEquals(Math.sqrt(2), pca.errors()[1], 1e-2);                              // (2,4): 2/sqrt(2) off y = x
        }
    }
}
