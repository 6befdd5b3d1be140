package io.bigbigan.trainer.loop;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.TrainConfig;
import io.bigbigan.trainer.data.BatchLoader;
import io.bigbigan.trainer.data.DataException;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.Datasets;
import io.bigbigan.trainer.data.OnBadImage;
import io.bigbigan.trainer.data.StagedBatch;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.trainer.step.BiganTrainer;
import io.bigbigan.trainer.step.FusedAdam;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.step.Weights;
import io.bigbigan.trainer.eval.TrainedModel;
import io.bigbigan.bindings.Precision;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training loop's batches come from the background loader, from the resume position; folder data sets. */
class TrainingFeedTest {
    /** tiny() with two D updates per step, so the loader position is steps x 2. */
    static RunConfig twoDSteps() {
        return new RunConfig("bigan-mlp", new BiganMlpConfig(784, 4, 8, 0.2),
                new TrainConfig(8, 2, LossKind.LOGISTIC, new OptimConfig(2e-4, 2e-4, 2e-4, 0.5, 0.999, 1e-8)));
    }

    /** Delegates to a real trainer, recording every real batch handed to {@link #step}. */
    static final class Recording implements StepTrainer {
        final StepTrainer t;
        final List<float[]> batches = new ArrayList<>();

        Recording(StepTrainer t) { this.t = t; }

        @Override public StepMetrics step(Supplier<Tensor> b) {
            return t.step(() -> {
                Tensor x = b.get();
                batches.add(Tensors.toFloats(x));
                return x;
            });
        }
        @Override public Module model() { return t.model(); }
        @Override public RunConfig config() { return t.config(); }
        @Override public long stepCount() { return t.stepCount(); }
        @Override public void setStepCount(long step) { t.setStepCount(step); }
        @Override public Tensor sampleLatent(long n) { return t.sampleLatent(n); }
        @Override public Tensor prepare(Tensor images) { return t.prepare(images); }
        @Override public TrainedModel inference(Precision p, Weights w) { return t.inference(p, w); }
        @Override public Map<String, Tensor> state() { return t.state(); }
        @Override public void loadState(Map<String, Tensor> state) { t.loadState(state); }
        @Override public Map<String, FusedAdam> optimizers() { return t.optimizers(); }
        @Override public Map<String, Generator> generators() { return t.generators(); }
    }

    /** The batches of an un-skipped training loader, prepared, from position {@code from} on ({@code count} of them). */
    static List<float[]> loaderTail(StepTrainer t, DatasetSplits data, long seed, long from, int count, boolean augment) {
        List<float[]> out = new ArrayList<>();
        try (BatchLoader l = TrainingRun.trainingLoader(data.train(), t.config().train().batchSize(), seed, 0, augment)) {
            for (long k = 0; k < from + count; k++)
                try (StepScope s = StepScope.open()) {
                    StagedBatch b = l.next();
                    if (k >= from) out.add(Tensors.toFloats(t.prepare(b.images(0))));
                }
        }
        return out;
    }

    @Test
    void theLoopTakesTheLoadersSequenceFromTheResumePosition(@TempDir Path dir) {
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 100, 1),
                SyntheticShapes.generate("test", 20, 2))) {
            for (boolean augment : new boolean[]{false, true}) {
                Recording rec = new Recording(new BiganTrainer(twoDSteps(), 5));
                rec.setStepCount(4);    // as if resumed after 4 steps: the loop starts at batch 4 x 2 = 8 (epoch 0 has 12)
                var r = TrainingRun.loop(rec, data, TrainingRun.Options.of(dir.resolve("r" + augment), 9).seed(3).logEvery(1).augment(augment));
                assertEquals(9, r.last().step());
                assertEquals(10, rec.batches.size());
                List<float[]> want = loaderTail(rec, data, 3, 8, 10, augment);
                for (int i = 0; i < want.size(); i++)
                    assertArrayEquals(want.get(i), rec.batches.get(i), "batch " + (8 + i) + " augment " + augment);
            }
        }
    }

    /** A tiny image folder: 2 classes x 6 PNGs of 20x20 plus one corrupt file. */
    static Path folder(Path root) throws Exception {
        for (String cls : new String[]{"circles", "squares"}) {
            Files.createDirectories(root.resolve(cls));
            for (int i = 0; i < 6; i++) {
                BufferedImage img = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 20; y++)
                    for (int x = 0; x < 20; x++)
                        img.setRGB(x, y, ((x * 12 + i * 7) & 0xff) << 16 | ((y * 12) & 0xff) << 8 | (cls.length() * 20));
                ImageIO.write(img, "png", root.resolve(cls).resolve("img" + i + ".png").toFile());
            }
        }
        Files.write(root.resolve("squares").resolve("broken.png"), new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        return root;
    }

    @Test
    void folderSpecTrainsEndToEndSkippingOrFailingOnACorruptFile(@TempDir Path dir) throws Exception {
        Path root = folder(dir.resolve("imgs"));
        String spec = "folder:" + root;
        var e = assertThrows(DataException.class, () -> Datasets.open(spec,
                new Datasets.FolderSettings(28, 1, OnBadImage.FAIL, line -> {})));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        List<String> report = new ArrayList<>();
        try (DatasetSplits data = Datasets.open(spec, new Datasets.FolderSettings(28, 1, OnBadImage.SKIP, report::add))) {
            assertEquals(1, report.size(), report.toString());
            assertTrue(report.get(0).contains("skipped 1 ") && report.get(0).contains("broken.png"), report.get(0));
            assertEquals(11, data.train().size());   // 12 readable: position 9 is held out for testing
            assertEquals(1, data.test().size());
            assertEquals(List.of("circles", "squares"), data.train().classNames());
            assertEquals(28, data.train().height());
            assertEquals(1, data.train().channels());
            var r = TrainingRun.run(CheckpointsTestConfigs.tiny(), data, TrainingRun.Options.of(dir.resolve("run"), 3).logEvery(1).dataSpec(spec).augment(true));
            assertEquals(3, r.last().step());
            assertNotNull(r.checkpoint());
            assertTrue(Files.readString(dir.resolve("run/metrics.jsonl")).contains("\"epoch\":"));
        }
        assertThrows(DataException.class, () -> Datasets.open("folder:" + dir.resolve("missing")));
        assertThrows(IllegalArgumentException.class, () -> new Datasets.FolderSettings(28, 2, OnBadImage.SKIP, l -> {}));
    }
}
