package io.bigbigan.trainer.objective;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.bigbigan.JointDiscriminator.Scores;
import io.bigbigan.trainer.config.Objective;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The objective ablations on hand-computed scores. Per head, with real/fake scores below:
 * <pre>
 *   head  real         fake         D hinge: relu(1 - real) + relu(1 + fake)   E/G: mean(real) - mean(fake)
 *   s_x   [2, .25]     [-2, .5]     [0, .75] -> .375 + [0, 1.5] -> .75 = 1.125   1.125 + .75 = 1.875
 *   s_z   [.5, -1]     [0, -3]      [.5, 2] -> 1.25 + [1, 0] -> .5    = 1.75    -.25 + 1.5  = 1.25
 *   s_xz  [1.5, 0]     [-.5, 2]     [0, 1] -> .5   + [.5, 3] -> 1.75 = 2.25    .75 - .75   = 0
 * </pre>
 */
class BigBiganObjectiveTest {
    private static Tensor t(float a, float b) { return Tensors.of(new float[]{a, b}, 2); }

    private static Scores real() { return new Scores(t(2f, 0.25f), t(0.5f, -1f), t(1.5f, 0f)); }

    private static Scores fake() { return new Scores(t(-2f, 0.5f), t(0f, -3f), t(-0.5f, 2f)); }

    private static void check(Objective o, double d, double eg) {
        try (StepScope s = StepScope.open()) {
            assertEquals(d, BigBiganObjective.discriminatorLoss(real(), fake(), o).item_double(), 1e-6, o + " D");
            assertEquals(eg, BigBiganObjective.encoderGeneratorLoss(real(), fake(), o).item_double(), 1e-6, o + " E/G");
        }
    }

    @Test
    void fullSumsAllThreeHeads() {
        check(Objective.FULL, 1.125 + 1.75 + 2.25, 1.875 + 1.25 + 0);
        try (StepScope s = StepScope.open()) {   // the two-argument forms are the full objective
            assertEquals(5.125, BigBiganObjective.discriminatorLoss(real(), fake()).item_double(), 1e-6);
            assertEquals(3.125, BigBiganObjective.encoderGeneratorLoss(real(), fake()).item_double(), 1e-6);
        }
    }

    @Test
    void jointOnlyIsTheOriginalBigan() { check(Objective.JOINT_ONLY, 2.25, 0); }

    @Test
    void xUnaryAddsSx() { check(Objective.X_UNARY, 2.25 + 1.125, 0 + 1.875); }

    @Test
    void zUnaryAddsSz() { check(Objective.Z_UNARY, 2.25 + 1.75, 0 + 1.25); }

    @Test
    void noEncoderUsesOnlySxAndNeedsNoLatentScores() {
        check(Objective.NO_ENCODER, 1.125, 1.875);
        try (StepScope s = StepScope.open()) {
            Scores r = new Scores(t(2f, 0.25f), null, null), f = new Scores(t(-2f, 0.5f), null, null);
            assertEquals(1.125, BigBiganObjective.discriminatorLoss(r, f, Objective.NO_ENCODER).item_double(), 1e-6);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> BigBiganObjective.discriminatorLoss(r, f, Objective.FULL));
            assertTrue(e.getMessage().contains("s_z"), e.getMessage());
        }
    }

    @Test
    void headMetricsPerScore() {
        try (StepScope s = StepScope.open()) {
            var m = BigBiganObjective.headMetrics(real(), fake());
            assertEquals(java.util.List.of("loss_d_sx", "acc_d_sx", "loss_d_sz", "acc_d_sz", "loss_d_sxz", "acc_d_sxz"),
                    java.util.List.copyOf(m.keySet()));
            assertEquals(1.125, m.get("loss_d_sx"), 1e-6);
            assertEquals(1.75, m.get("loss_d_sz"), 1e-6);
            assertEquals(2.25, m.get("loss_d_sxz"), 1e-6);
            assertEquals((1.0 + 0.5) / 2, m.get("acc_d_sx"), 1e-9);      // real > 0: 2/2; fake < 0: 1/2
            assertEquals((0.5 + 0.5) / 2, m.get("acc_d_sz"), 1e-9);      // 0.5 > 0 only; -3 < 0 only
            assertEquals((0.5 + 0.5) / 2, m.get("acc_d_sxz"), 1e-9);
        }
    }

    @Test
    void objectiveIdsParse() {
        for (Objective o : Objective.values()) assertEquals(o, Objective.parse(o.id()));
        assertEquals(Objective.X_UNARY, Objective.parse("X_UNARY"));
        assertThrows(IllegalArgumentException.class, () -> Objective.parse("s_x_only"));
    }
}
