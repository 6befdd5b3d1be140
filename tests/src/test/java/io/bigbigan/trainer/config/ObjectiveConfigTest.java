package io.bigbigan.trainer.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code train.objective} key: round trip, default for configurations written before it existed. */
class ObjectiveConfigTest {
    @Test
    void roundTripKeepsTheObjective() {
        RunConfig c = Presets.get("bigbigan-32");
        for (Objective o : Objective.values()) {
            RunConfig withO = c.withTrain(c.train().withObjective(o));
            assertTrue(withO.toJson().contains("\"objective\":\"" + o.id() + "\""), withO.toJson());
            assertEquals(withO, RunConfig.fromJson(withO.toJson()));
            assertEquals(withO, RunConfig.fromJson(withO.toJson(), 2));
        }
    }

    @Test
    void existingConstructorsAndWithersKeepTheObjective() {
        var optim = new OptimConfig(2e-4, 2e-4, 2e-4, 0.5, 0.999, 1e-8);
        assertEquals(Objective.FULL, new TrainConfig(8, 1, LossKind.HINGE, optim).objective());
        assertEquals(Objective.FULL, new TrainConfig(8, 1, LossKind.HINGE, optim, EmaConfig.off()).objective());
        assertEquals(Objective.FULL, Presets.get("bigbigan-32").train().objective());
        TrainConfig t = new TrainConfig(8, 1, LossKind.HINGE, optim).withObjective(Objective.Z_UNARY);
        assertEquals(Objective.Z_UNARY, t.withBatchSize(4).withLoss(LossKind.LOGISTIC).withEma(EmaConfig.off()).objective());
        assertThrows(IllegalArgumentException.class, () -> t.withObjective(null));
    }

    @Test
    void configWithoutTheKeyLoadsAsFull() {
        RunConfig c = Presets.get("bigbigan-32").withTrain(Presets.get("bigbigan-32").train().withObjective(Objective.FULL));
        String old = c.toJson().replace(",\"objective\":\"full\"", "");
        assertTrue(!old.contains("objective"), old);
        for (int version : new int[]{2, 3}) assertEquals(c, RunConfig.fromJson(old, version));
        // format 1 (BiGAN MLP, no EMA and no objective)
        RunConfig mlp = Presets.get("bigan-mlp");
        String v1 = mlp.toJson().replace(",\"objective\":\"full\"", "").replaceAll(",\"ema\":\\{[^}]*\\}", "");
        assertTrue(!v1.contains("objective") && !v1.contains("ema"), v1);
        assertEquals(mlp, RunConfig.fromJson(v1, 1));
        // the strict parser still names the missing key
        assertThrows(IllegalArgumentException.class, () -> RunConfig.fromJson(old));
        var e = assertThrows(IllegalArgumentException.class,
                () -> RunConfig.fromJson(c.toJson().replace("\"objective\":\"full\"", "\"objective\":\"both\""), 2));
        assertTrue(e.getMessage().contains("both"), e.getMessage());
    }
}
