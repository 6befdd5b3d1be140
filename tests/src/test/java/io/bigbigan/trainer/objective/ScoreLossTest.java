package io.bigbigan.trainer.objective;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.config.LossKind;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Loss values on hand-computed inputs. */
class ScoreLossTest {
    private static double softplus(double v) { return Math.log1p(Math.exp(v)); }

    @Test
    void logisticLosses() {
        try (StepScope s = StepScope.open()) {
            Tensor real = Tensors.of(new float[]{2f, -1f}, 2), fake = Tensors.of(new float[]{0.5f, -3f}, 2);
            double d = (softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2;
            double eg = (softplus(2) + softplus(-1)) / 2 + (softplus(-0.5) + softplus(3)) / 2;
            assertEquals(d, ScoreLoss.discriminatorLoss(real, fake, LossKind.LOGISTIC).item_double(), 1e-6);
            assertEquals(eg, ScoreLoss.encoderGeneratorLoss(real, fake, LossKind.LOGISTIC).item_double(), 1e-6);
            // at s = 0 everywhere, D's log-loss is 2 log 2
            Tensor zero = Tensors.zeros(4);
            assertEquals(2 * Math.log(2), ScoreLoss.discriminatorLoss(zero, zero, LossKind.LOGISTIC).item_double(), 1e-6);
        }
    }

    @Test
    void hingeLosses() {
        try (StepScope s = StepScope.open()) {
            Tensor real = Tensors.of(new float[]{2f, 0.25f}, 2), fake = Tensors.of(new float[]{-2f, 0.5f}, 2);
            // relu(1 - [2, .25]) = [0, .75] -> .375 ; relu(1 + [-2, .5]) = [0, 1.5] -> .75
            assertEquals(1.125, ScoreLoss.discriminatorLoss(real, fake, LossKind.HINGE).item_double(), 1e-6);
            // mean(real) - mean(fake) = 1.125 - (-0.75)
            assertEquals(1.875, ScoreLoss.encoderGeneratorLoss(real, fake, LossKind.HINGE).item_double(), 1e-6);
        }
    }

    @Test
    void accuracyCountsCorrectSides() {
        try (StepScope s = StepScope.open()) {
            Tensor real = Tensors.of(new float[]{1f, 1f, -1f, 2f}, 4), fake = Tensors.of(new float[]{-1f, 1f, 1f, 1f}, 4);
            assertEquals((0.75 + 0.25) / 2, ScoreLoss.discriminatorAccuracy(real, fake), 1e-9);
        }
    }

    @Test
    void lossNamesParse() {
        assertEquals(LossKind.HINGE, LossKind.parse("hinge"));
        assertEquals(LossKind.LOGISTIC, LossKind.parse("log"));
        assertThrows(IllegalArgumentException.class, () -> LossKind.parse("wasserstein"));
    }
}
