package io.bigbigan.trainer.eval.generation;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InceptionScoreTest {
    @Test
    void confidentAndVariedPredictionsScoreTheClassCount() {
        try (StepScope s = StepScope.open()) {
            float[] p = new float[20 * 2];
            for (int i = 0; i < 20; i++) p[2 * i + (i % 2)] = 1;           // alternating one-hot rows
            var score = InceptionScore.of(Tensors.of(p, 20, 2));
            assertEquals(2.0, score.mean(), 1e-9);
            assertEquals(0.0, score.std(), 1e-9);
            assertEquals(20, score.samples());
        }
    }

    @Test
    void uniformPredictionsScoreOne() {
        try (StepScope s = StepScope.open()) {
            float[] p = new float[30 * 3];
            java.util.Arrays.fill(p, 1f / 3);
            assertEquals(1.0, InceptionScore.of(Tensors.of(p, 30, 3)).mean(), 1e-6);
        }
    }

    @Test
    void mixedMatrixMatchesAHandComputation() {
        // two splits of two rows: split 0 = {(0.5, 0.5), (1, 0)}, split 1 = {(0.25, 0.75), (0.25, 0.75)}
        // split 0: p(y) = (0.75, 0.25); KL row 1 = 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25), row 2 = ln(1/0.75)
        double kl0 = (0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(2.0) + Math.log(1 / 0.75)) / 2;
        double is0 = Math.exp(kl0);     // 1.2408...
        double is1 = 1.0;               // identical rows: p(y|x) = p(y)
        try (StepScope s = StepScope.open()) {
            var score = InceptionScore.of(Tensors.of(new float[]{0.5f, 0.5f, 1, 0, 0.25f, 0.75f, 0.25f, 0.75f}, 4, 2), 2);
            assertEquals((is0 + is1) / 2, score.mean(), 1e-6);
            assertEquals(Math.abs(is0 - is1) / 2, score.std(), 1e-6);
            assertEquals(1.2408, is0, 1e-4);
        }
    }

    @Test
    void tooFewSamplesAreRejected() {
        try (StepScope s = StepScope.open()) {
            assertThrows(IllegalArgumentException.class, () -> InceptionScore.of(Tensors.of(new float[]{1, 0}, 1, 2)));
        }
    }
}
