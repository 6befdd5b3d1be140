package io.bigbigan.api;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.bigbigan.DiscriminatorConfig;
import io.bigbigan.model.bigbigan.EncoderConfig;
import io.bigbigan.model.bigbigan.GeneratorConfig;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.checkpoint.RunSettings;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.TrainConfig;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.step.Trainers;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** Small trained models and their checkpoints and bundles for the API tests. */
final class ApiTestModels {
    private ApiTestModels() {}

    /** A narrow 32 px BigBiGAN (ch 8, z 24) with EMA from step 0 (decay 0.5, so EMA and live weights differ). */
    static RunConfig narrowBigBigan() {
        var model = new BigBiganConfig(GeneratorConfig.biggan(32, 8, 24, 1, 0, 0, 1),
                EncoderConfig.resnetSmall(1, 8, 32, 32, 1, 24), DiscriminatorConfig.biggan(32, 8, 1, 0, 24, 32, 1, 32, 1));
        return new RunConfig("narrow", model, new TrainConfig(4, 2, LossKind.HINGE,
                new OptimConfig(2e-4, 5e-5, 5e-4, 0.0, 0.999, 1e-8), new EmaConfig(true, 0.5, 0)));
    }

    /** A trainer after {@code steps} steps on random data. */
    static StepTrainer trained(RunConfig c, int steps) {
        StepTrainer t = Trainers.create(c, Trainers.Setup.seed(3));
        Tensor data = Trainers.randomImages(c, c.train().batchSize(), torch.createCPUGenerator(2));
        for (int i = 0; i < steps; i++) {
            try (StepScope s = StepScope.open()) {
                t.step(() -> data);
            }
        }
        return t;
    }

    /** Saves a checkpoint of {@code t} (data "synthetic": 28 px images) in {@code dir}; returns its weights file. */
    static Path checkpoint(StepTrainer t, Path dir) {
        return Checkpoints.save(dir, t, RunSettings.ofData("synthetic"));
    }

    /** A test resource as a path. */
    static Path resource(String name) {
        try {
            return Path.of(ApiTestModels.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
