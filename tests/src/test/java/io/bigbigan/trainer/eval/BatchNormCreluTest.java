package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class BatchNormCreluTest {
    @Test
    void normalisesWithTrainStatisticsAndSplitsSigns() {
        try (StepScope s = StepScope.open()) {
            // train feature 0: {1, 3} (mean 2, population var 1); feature 1: {10, 10} (var 0)
            var train = Tensors.of(new float[]{1, 10, 3, 10}, 2, 2);
            var test = Tensors.of(new float[]{4, 12}, 1, 2);
            var r = BatchNormCrelu.apply(train, test);
            double inv = 1 / Math.sqrt(1 + 1e-5), inv0 = 1 / Math.sqrt(1e-5);
            // [relu(x0), relu(x1), relu(-x0), relu(-x1)]
            assertArrayEquals(new float[]{0, 0, (float) inv, 0, (float) inv, 0, 0, 0}, Tensors.toFloats(r.train()), 1e-5f);
            assertArrayEquals(new float[]{(float) (2 * inv), (float) (2 * inv0), 0, 0}, Tensors.toFloats(r.test()), 1e-2f);
        }
    }
}
