package io.bigbigan.trainer.config;

import io.bigbigan.bindings.Modules;
import io.bigbigan.model.bigbigan.BigBigan;
import io.bigbigan.model.BigBiganConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PresetsTest {
    @Test
    void everyPresetResolvesAndRoundTripsThroughJson() {
        for (String name : Presets.names()) {
            RunConfig c = Presets.get(name);
            assertEquals(name, c.preset());
            assertEquals(c, RunConfig.fromJson(c.toJson()), name);
        }
        assertTrue(Presets.get("bigbigan-32").toJson().contains("\"kind\":\"bigbigan\""));
    }

    @Test
    void bigbigan32MatchesTheSpecification() {
        RunConfig c = Presets.get("bigbigan-32");
        var m = (BigBiganConfig) c.model();
        assertEquals(32, m.resolution());
        assertEquals(1, m.imageChannels());
        assertEquals(120, m.latentDim());
        assertEquals(4, m.generator().numBlocks() + 1, "z in 4 chunks");
        assertEquals(30, m.generator().chunkSize());
        assertEquals(2, c.train().dStepsPerGStep());
        assertEquals(LossKind.HINGE, c.train().loss());
        assertEquals(10 * c.train().optim().lrG(), c.train().optim().lrE(), 1e-12);
        assertEquals(0.0, c.train().optim().beta1());
        // per-network counts derived by hand in GeneratorTest, EncoderTest and DiscriminatorTest
        try (BigBigan model = new BigBigan(m)) {
            assertEquals(1_046_017, Modules.parameterCount(model.generator()));
            assertEquals(1_615_568, Modules.parameterCount(model.encoder()));
            assertEquals(1_707_651, Modules.parameterCount(model.discriminator()));
            assertEquals(4_369_236, Modules.parameterCount(model));
            assertTrue(Modules.state(model).containsKey("D.F.blocks.0.conv1.weight_u"));
            assertTrue(Modules.state(model).containsKey("E.backbone.stem.weight"));
        }
    }

    @Test
    void mismatchedPartsAreRejected() {
        var m = BigBiganConfig.bigbigan32(1);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new BigBiganConfig(m.generator(), BigBiganConfig.bigbigan32(3).encoder(), m.discriminator()));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
    }
}
