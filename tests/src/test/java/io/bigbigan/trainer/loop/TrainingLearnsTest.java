package io.bigbigan.trainer.loop;

import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.TrainConfig;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A short BiGAN run on synthetic shapes must show learning. */
class TrainingLearnsTest {
    static RunConfig small() {
        return new RunConfig("test-mlp", new BiganMlpConfig(784, 50, 256, 0.2),
                new TrainConfig(64, 1, LossKind.LOGISTIC, new OptimConfig(2e-4, 2e-4, 2e-4, 0.5, 0.999, 1e-8)));
    }

    @Test
    void discriminatorLeavesChanceAndEncoderKeepsInformation(@TempDir Path dir) throws Exception {
        List<Double> acc = new ArrayList<>();
        TrainingRun.Result r;
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 3000, 1),
                SyntheticShapes.generate("test", 500, 2))) {
            r = TrainingRun.run(small(), data, TrainingRun.Options.of(dir, 800).seed(3).logEvery(20).listener((m, ips) -> acc.add(m.accD())));
        }
        assertEquals(800, r.last().step());
        assertEquals(40, acc.size());
        double maxAcc = acc.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertTrue(maxAcc > 0.75, "discriminator accuracy should leave chance (0.5): max " + maxAcc + " in " + acc);
        var rec = r.reconstruction();
        assertTrue(rec.recon() < rec.randomPair(), "recon " + rec + " should beat random pairs");
        assertTrue(rec.recon() < rec.mismatched(), "recon " + rec + " should beat mismatched reconstructions");
        for (String f : new String[]{"metrics.jsonl", "images/samples-00000800.png",
                "images/reconstructions-00000800.png", "checkpoints/step-00000800.safetensors",
                "checkpoints/step-00000800.optim.pt"})
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        assertEquals(41, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
    }
}
