package io.bigbigan.trainer.run;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.model.mlp.BiganMlpConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.io.ImageGrid;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training job: steps over the training split, logging metrics ({@code metrics.jsonl}), writing sample and
 * reconstruction grids ({@code images/}) and checkpoints ({@code checkpoints/}) into the output folder.
 */
public final class TrainingRun {
    private TrainingRun() {}

    /**
     * @param steps           training steps (each: D updates then one E/G update)
     * @param seed            seeds weights, latents and data order
     * @param outDir          output folder
     * @param logEvery        steps between metric records
     * @param imageEvery      steps between image grids (0: only at the end)
     * @param checkpointEvery steps between checkpoints (0: only at the end)
     * @param dataSpec        how the dataset was named (recorded in checkpoints so evaluation can reopen it)
     */
    public record Options(long steps, long seed, Path outDir, int logEvery, int imageEvery, int checkpointEvery,
                          String dataSpec) {
        public Options {
            if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1");
            if (logEvery < 1) throw new IllegalArgumentException("log interval must be at least 1");
        }
    }

    /** Receives progress; called on the training thread. */
    public interface Listener {
        void onStep(StepTrainer.StepMetrics metrics, double imagesPerSecond);

        default void onMessage(String message) {}
    }

    /** The end of a run. */
    public record Result(BiganTrainer trainer, Path checkpoint, StepTrainer.StepMetrics last,
                         EncoderFeatures.Reconstruction reconstruction, double msPerStep) {}

    /** Trains from scratch. */
    public static Result run(RunConfig config, DatasetSplits data, Options opt, Listener listener) {
        if (!(config.model() instanceof BiganMlpConfig mlp))
            throw new IllegalArgumentException("preset " + config.preset() + ": end-to-end training (data, "
                    + "checkpoints, evaluation) is wired for bigan-mlp so far; 'bench --preset " + config.preset()
                    + "' runs its training step");
        ImageDataset train = data.train();
        int imageDim = train.channels() * train.height() * train.width();
        if (imageDim != mlp.imageDim())
            throw new IllegalArgumentException("dataset '" + train.name() + "' has " + imageDim
                    + "-pixel images but preset " + config.preset() + " expects " + mlp.imageDim());
        BiganTrainer trainer = new BiganTrainer(config, opt.seed());
        EpochSampler sampler = new EpochSampler(train.size(), config.train().batchSize(), opt.seed());
        Tensor fixedZ = StepScope.keep(trainer.sampleLatent(100));     // same latents for every sample grid
        Path checkpoints = opt.outDir().resolve("checkpoints");
        Path images = opt.outDir().resolve("images");
        StepTrainer.StepMetrics last = null;
        Path lastCheckpoint = null;
        long t0 = System.nanoTime(), windowStart = t0, windowSteps = 0;
        try (MetricsLog log = new MetricsLog(opt.outDir().resolve("metrics.jsonl"))) {
            for (long s = 1; s <= opt.steps(); s++) {
                try (StepScope scope = StepScope.open()) {
                    last = trainer.step(() -> train.batch(sampler.next()).flatten(1, -1));
                }
                windowSteps++;
                boolean end = s == opt.steps();
                if (s % opt.logEvery() == 0 || end) {
                    long now = System.nanoTime();
                    double ips = windowSteps * (double) config.train().batchSize() * config.train().dStepsPerGStep()
                            / ((now - windowStart) / 1e9);
                    windowStart = now;
                    windowSteps = 0;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("step", last.step());
                    rec.put("epoch", sampler.epoch());
                    rec.put("loss_d", last.lossD());
                    rec.put("loss_eg", last.lossEG());
                    rec.put("acc_d", last.accD());
                    rec.put("images_per_s", ips);
                    log.write(rec);
                    listener.onStep(last, ips);
                }
                if ((opt.imageEvery() > 0 && s % opt.imageEvery() == 0) || end) {
                    var err = writeImages(trainer, data.test(), fixedZ, images, s);
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("step", s);
                    rec.put("recon_error", err.recon());
                    rec.put("mismatched_recon_error", err.mismatched());
                    rec.put("random_pair_error", err.randomPair());
                    log.write(rec);
                }
                if ((opt.checkpointEvery() > 0 && s % opt.checkpointEvery() == 0) || end) {
                    lastCheckpoint = Checkpoints.save(checkpoints, trainer, Map.of("data", opt.dataSpec()));
                }
            }
        } finally {
            StepScope.release(fixedZ);
        }
        double msPerStep = (System.nanoTime() - t0) / 1e6 / opt.steps();
        return new Result(trainer, lastCheckpoint, last, reconstruction(trainer, data.test()), msPerStep);
    }

    /** Writes the sample grid G(fixed z) and the reconstruction grid x | G(E(x)); returns the reconstruction errors. */
    static EncoderFeatures.Reconstruction writeImages(BiganTrainer trainer, ImageDataset test, Tensor fixedZ, Path dir, long step) {
        var model = trainer.model();
        boolean wasTraining = model.is_training();
        model.eval();
        try (NoGradGuard g = new NoGradGuard(); StepScope s = StepScope.open()) {
            Files.createDirectories(dir);
            long c = test.channels(), h = test.height(), w = test.width();
            Tensor samples = model.generator().forward(fixedZ).reshape(-1, c, h, w);    // [100, C, H, W]
            ImageGrid.write(dir.resolve(String.format("samples-%08d.png", step)), samples, 10, ImageGrid.DEFAULT_PADDING, 2);
            Tensor x = test.batch(torch.arange(new Scalar(0L), new Scalar(50L)));       // [50, C, H, W]
            Tensor rec = model.generator().forward(model.encoder().forward(x.flatten(1, -1))).reshape(-1, c, h, w);
            ImageGrid.writePairs(dir.resolve(String.format("reconstructions-%08d.png", step)), x, rec, 5,
                    ImageGrid.DEFAULT_PADDING, 2);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image grids in " + dir + ": " + e.getMessage(), e);
        } finally {
            model.train(wasTraining);
        }
        return reconstruction(trainer, test);
    }

    private static EncoderFeatures.Reconstruction reconstruction(BiganTrainer trainer, ImageDataset test) {
        try (StepScope s = StepScope.open()) {
            long n = Math.min(1000, test.size());
            Tensor x = test.batch(torch.arange(new Scalar(0L), new Scalar(n))).flatten(1, -1);
            return EncoderFeatures.reconstructionError(trainer.model(), x);
        }
    }
}
