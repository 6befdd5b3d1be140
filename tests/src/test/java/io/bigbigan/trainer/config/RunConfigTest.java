package io.bigbigan.trainer.config;

import io.bigbigan.model.BiganMlpConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigTest {
    @Test
    void presetMatchesThePaper() {
        RunConfig c = Presets.get("bigan-mlp");
        var m = (io.bigbigan.model.BiganMlpConfig) c.model();
        assertEquals(784, m.imageDim());
        assertEquals(50, m.latentDim());
        assertEquals(1024, m.hidden());
        assertEquals(128, c.train().batchSize());
        assertEquals(1, c.train().dStepsPerGStep());
        assertEquals(2e-4, c.train().optim().lrD());
        assertEquals(0.5, c.train().optim().beta1());
        assertEquals(0.999, c.train().optim().beta2());
    }

    @Test
    void jsonRoundTrip() {
        RunConfig c = Presets.get("bigan-mlp").withTrain(Presets.get("bigan-mlp").train().withLoss(LossKind.HINGE));
        assertEquals(c, RunConfig.fromJson(c.toJson()));
        assertTrue(c.toJson().contains("\"loss\":\"hinge\""), c.toJson());
    }

    @Test
    void unknownAndMissingKeysAreErrors() {
        String json = Presets.get("bigan-mlp").toJson();
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> RunConfig.fromJson(json.replace("\"hidden\":", "\"hiddenn\":3,\"hidden\":")));
        assertTrue(unknown.getMessage().contains("hiddenn"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RunConfig.fromJson(json.replace("\"preset\":\"bigan-mlp\",", "")));
    }

    @Test
    void unknownPresetNamesTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Presets.get("bigbigan-9000"));
        assertTrue(e.getMessage().contains("bigbigan-9000") && e.getMessage().contains("bigan-mlp"), e.getMessage());
    }
}
