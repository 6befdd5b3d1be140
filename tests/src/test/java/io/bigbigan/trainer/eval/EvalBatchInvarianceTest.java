package io.bigbigan.trainer.eval;

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
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.Trainers;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Evaluation figures do not depend on how many images are encoded per chunk ({@code --eval-batch}): LibTorch's CPU
 * matrix products round a row differently for different row counts (E mu by up to one float32 ulp between 8 and 64
 * rows), so {@link EncoderFeatures#extract} encodes in passes of a fixed size.
 */
class EvalBatchInvarianceTest {
    @TempDir
    static Path dir;

    /** A checkpoint of a narrow 32 px BigBiGAN (ch 8, z 24) as initialised, trained on 28 px synthetic data. */
    static Checkpoints.Loaded narrowCheckpoint() {
        var model = new BigBiganConfig(GeneratorConfig.biggan(32, 8, 24, 1, 0, 0, 1),
                EncoderConfig.resnetSmall(1, 8, 32, 32, 1, 24), DiscriminatorConfig.biggan(32, 8, 1, 0, 24, 32, 1, 32, 1));
        var c = new RunConfig("narrow", model, new TrainConfig(4, 2, LossKind.HINGE,
                new OptimConfig(2e-4, 5e-5, 5e-4, 0.0, 0.999, 1e-8), EmaConfig.off()));
        Path weights = Checkpoints.save(dir.resolve("run"), Trainers.create(c, Trainers.Setup.seed(3)),
                RunSettings.ofData("synthetic"));
        return Checkpoints.load(weights);
    }

    /** 100 train and 40 test images: neither a multiple of the chunk sizes below. */
    static DatasetSplits data() {
        return new DatasetSplits(SyntheticShapes.generate("train", 100, 1), SyntheticShapes.generate("test", 40, 2));
    }

    @Test
    void featuresAreBitIdenticalForAnyChunkSize() {
        var t = narrowCheckpoint().model();
        try (DatasetSplits splits = data(); StepScope s = StepScope.open()) {
            var a = EncoderFeatures.extract(t, splits.train(), 64);
            for (int batch : new int[]{1, 7, 8, 100, 128}) {
                var b = EncoderFeatures.extract(t, splits.train(), batch);
                assertEquals(a.spaces().keySet(), b.spaces().keySet());
                for (String name : a.spaces().keySet()) {
                    Tensor x = a.spaces().get(name), y = b.spaces().get(name);
                    assertTrue(torch.equal(x, y), name + " differs between chunks of 64 and " + batch + " by up to "
                            + x.sub(y).abs().max().item_double());
                }
                assertTrue(torch.equal(a.pixels(), b.pixels()));
            }
        }
    }

    @Test
    void theEvaluationTablesAreEqualAtTwoEvalBatchSizes() {
        var t = narrowCheckpoint().model();
        try (DatasetSplits splits = data()) {
            var at8 = EncoderEvaluation.evaluate(t, splits, 7,
                    EncoderEvaluation.Options.defaults().knnGrid(true).batch(8));
            var at64 = EncoderEvaluation.evaluate(t, splits, 7,
                    EncoderEvaluation.Options.defaults().knnGrid(true).batch(64));
            assertEquals(at64.table(), at8.table());
            assertEquals(at64.gridTable(), at8.gridTable());
            assertEquals(at64.data(), at8.data());
            assertTrue(at8.table().contains("E mu"), at8.table());
        }
    }
}
