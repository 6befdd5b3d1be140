package io.bigbigan.trainer.config;

import io.bigbigan.model.BigBiganConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigOverridesTest {
    private static final RunConfig BASE = Presets.get("bigbigan-32");

    @Test
    void settingsChangeOnlyTheirValues() {
        RunConfig c = ConfigOverrides.apply(BASE, List.of("train.optim.lrE=1e-4", "train.dStepsPerGStep=1",
                "train.ema.startStep=0", "model.encoder.resolution=16", "train.objective=joint_only",
                "train.ema.enabled=false"));
        assertEquals(1e-4, c.train().optim().lrE());
        assertEquals(1, c.train().dStepsPerGStep());
        assertEquals(0, c.train().ema().startStep());
        assertEquals(false, c.train().ema().enabled());
        assertEquals(Objective.JOINT_ONLY, c.train().objective());
        assertEquals(16, ((BigBiganConfig) c.model()).encoder().resolution());
        // everything else as the preset
        assertEquals(BASE.train().optim().lrG(), c.train().optim().lrG());
        assertEquals(BASE.train().batchSize(), c.train().batchSize());
        assertEquals(((BigBiganConfig) BASE.model()).generator(), ((BigBiganConfig) c.model()).generator());
        assertEquals(2e-4, ConfigOverrides.apply(BASE, List.of("train.optim.lrD=0.0002")).train().optim().lrD());
        assertEquals(64, ((BigBiganConfig) ConfigOverrides.apply(BASE, List.of("model.discriminator.fBlocks.0.out=64",
                "model.discriminator.fBlocks.1.in=64")).model()).discriminator().fBlocks().get(1).in());
        assertSame(BASE, ConfigOverrides.apply(BASE, List.of()));
        assertSame(BASE, ConfigOverrides.apply(BASE, null));
    }

    @Test
    void badSettingsAreErrorsThatNameThem() {
        assertMessage("train.optim.lrX=1", "no key 'lrX' in train.optim (known: lrD, lrG, lrE, beta1, beta2, eps)");
        assertMessage("trian.batchSize=3", "no key 'trian' in the configuration (known: preset, model, train)");
        assertMessage("train.optim=1", "train.optim is a group of settings; set one of its keys (lrD, lrG, lrE");
        assertMessage("train.batchSize=big", "train.batchSize=big: expected an integer (now 128)");
        assertMessage("train.batchSize=2.5", "expected an integer");
        assertMessage("train.optim.lrE=fast", "expected a number");
        assertMessage("train.ema.enabled=1", "expected true or false");
        assertMessage("train.optim.lrE", "expected PATH=VALUE");
        assertMessage("train.optim.lrE=-1", "learning rates must be positive");
        assertMessage("model.discriminator.fBlocks.9.out=3", "no key '9' in model.discriminator.fBlocks (known: 0, 1, 2, 3)");
        assertMessage("train.objective=most", "train.objective=most");
    }

    private static void assertMessage(String setting, String expected) {
        var e = assertThrows(OptionException.class, () -> ConfigOverrides.apply(BASE, List.of(setting)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("--set "), e.getMessage());
    }
}
