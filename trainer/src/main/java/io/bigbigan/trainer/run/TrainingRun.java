package io.bigbigan.trainer.run;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.BatchLoader;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.StagedBatch;
import io.bigbigan.trainer.data.augment.ImagePipeline;
import io.bigbigan.trainer.data.augment.RandomHorizontalFlip;
import io.bigbigan.trainer.data.augment.RandomResizedCrop;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.EncoderEvaluation;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.io.ImageGrid;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A training job: steps over the training split, logging metrics ({@code metrics.jsonl}), writing sample and
 * reconstruction grids ({@code images/}) and checkpoints ({@code checkpoints/}) into the output folder. A run can be
 * resumed from its newest complete checkpoint; on CPU the resumed run is bit-identical to an uninterrupted one (the
 * data order and augmentations depend only on the seed and the batch position, latents and posterior noise come
 * from private generators whose states are checkpointed).
 */
public final class TrainingRun {
    private TrainingRun() {}

    /**
     * @param steps           the step to train up to (total, also when resuming)
     * @param seed            seeds weights, latents and data order
     * @param outDir          output folder
     * @param logEvery        steps between metric records
     * @param imageEvery      steps between image grids (0: only at the end)
     * @param checkpointEvery steps between checkpoints (0: only at the end)
     * @param keepCheckpoints how many of the newest checkpoints to keep besides the best (0: all)
     * @param dataSpec        how the dataset was named (recorded in checkpoints so evaluation can reopen it)
     * @param augment         random resized crops and horizontal flips of the training images (ResNet style, at the
     *                        images' own size); give the same value when resuming
     */
    public record Options(long steps, long seed, Path outDir, int logEvery, int imageEvery, int checkpointEvery,
                          int keepCheckpoints, String dataSpec, boolean augment, int evalEvery) {
        public Options {
            if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1");
            if (logEvery < 1) throw new IllegalArgumentException("log interval must be at least 1");
            if (imageEvery < 0 || checkpointEvery < 0 || keepCheckpoints < 0 || evalEvery < 0)
                throw new IllegalArgumentException("intervals and counts must be >= 0");
        }

        /** Without the periodic linear probe. */
        public Options(long steps, long seed, Path outDir, int logEvery, int imageEvery, int checkpointEvery,
                       int keepCheckpoints, String dataSpec, boolean augment) {
            this(steps, seed, outDir, logEvery, imageEvery, checkpointEvery, keepCheckpoints, dataSpec, augment, 0);
        }

        /** Without augmentation. */
        public Options(long steps, long seed, Path outDir, int logEvery, int imageEvery, int checkpointEvery,
                       int keepCheckpoints, String dataSpec) {
            this(steps, seed, outDir, logEvery, imageEvery, checkpointEvery, keepCheckpoints, dataSpec, false);
        }
    }

    /** Receives progress; called on the training thread. */
    public interface Listener {
        void onStep(StepTrainer.StepMetrics metrics, double imagesPerSecond);
    }

    /**
     * The end of a run.
     *
     * @param stoppedBy the signal that stopped the run early, or null when it ran to {@link Options#steps()}
     */
    public record Result(StepTrainer trainer, Path checkpoint, StepTrainer.StepMetrics last,
                         EncoderFeatures.Reconstruction reconstruction, double msPerStep, String stoppedBy) {}

    /** Trains from scratch. {@code stop} returns non-null once the run should stop early (e.g. a signal's name). */
    public static Result run(RunConfig config, DatasetSplits data, Options opt, Listener listener,
                             Supplier<String> stop) {
        return run(config, data, opt, listener, stop, ComputeDevice.cpu());
    }

    /** Trains from scratch on {@code device}. */
    public static Result run(RunConfig config, DatasetSplits data, Options opt, Listener listener,
                             Supplier<String> stop, Device device) {
        return loop(Trainers.create(config, opt.seed(), PhaseTimes.off(), device), data, opt, listener, stop);
    }

    /** Continues the run in {@code opt.outDir()} from its newest complete checkpoint up to {@code opt.steps()}. */
    public static Result resume(DatasetSplits data, Options opt, Listener listener, Supplier<String> stop) {
        return resume(data, opt, listener, stop, ComputeDevice.cpu());
    }

    /** Continues the run on {@code device} (any device: checkpoints are device-independent). */
    public static Result resume(DatasetSplits data, Options opt, Listener listener, Supplier<String> stop,
                                Device device) {
        var loaded = Checkpoints.load(opt.outDir(), false, device);
        Checkpoints.resume(loaded);
        return loop(loaded.trainer(), data, opt, listener, stop);
    }

    /** The loop; package-private so tests can pass an instrumented trainer (resumes at its step count). */
    static Result loop(StepTrainer trainer, DatasetSplits data, Options opt, Listener listener,
                               Supplier<String> stop) {
        RunConfig config = trainer.config();
        ImageDataset train = data.train();
        try (StepScope s = StepScope.open()) {
            trainer.prepare(train.batch(torch.arange(new Scalar(0L), new Scalar(1L))));   // fails early on a shape mismatch
        }
        int dSteps = config.train().dStepsPerGStep();
        // batches come from a background loader; a resumed run starts at its position (completed steps x D updates)
        BatchFeed feed = new BatchFeed(trainer, trainingLoader(train, config.train().batchSize(), opt.seed(),
                trainer.stepCount() * dSteps, opt.augment()));
        Generator fixedRng = torch.createCPUGenerator(opt.seed() + 99);
        Tensor fixedZ = StepScope.keep(trainer.sampleLatent(100, fixedRng));   // same latents for every sample grid
        Path checkpoints = opt.outDir().resolve("checkpoints");
        Path images = opt.outDir().resolve("images");
        StepTrainer.StepMetrics last = null;
        Path lastCheckpoint = null;
        String stoppedBy = null;
        long first = trainer.stepCount() + 1;
        long t0 = System.nanoTime(), windowStart = t0, windowSteps = 0;
        Map<String, String> meta = opt.augment() ? Map.of("data", opt.dataSpec(), "augment", "true")
                : Map.of("data", opt.dataSpec());
        ProbeData probeData = null;
        BestCheckpoint best = BestCheckpoint.read(checkpoints);
        try (MetricsLog log = new MetricsLog(opt.outDir().resolve("metrics.jsonl"))) {
            for (long s = first; s <= opt.steps(); s++) {
                try (StepScope scope = StepScope.open()) {
                    last = trainer.step(feed::next);
                }
                windowSteps++;
                stoppedBy = stop.get();
                boolean end = s == opt.steps() || stoppedBy != null;
                if (s % opt.logEvery() == 0 || end) {
                    long now = System.nanoTime();
                    double ips = windowSteps * (double) config.train().batchSize() * dSteps / ((now - windowStart) / 1e9);
                    windowStart = now;
                    windowSteps = 0;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("step", last.step());
                    rec.put("epoch", feed.epoch());
                    rec.put("loss_d", last.lossD());
                    rec.put("loss_eg", last.lossEG());
                    rec.put("acc_d", last.accD());
                    rec.putAll(last.extra());                       // per-head D losses, gradient norms, E sigma
                    try (StepScope scope = StepScope.open()) {
                        rec.putAll(trainer.logStatistics());        // spectral norms: logging steps only
                    }
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
                boolean improved = false;
                if (opt.evalEvery() > 0 && (s % opt.evalEvery() == 0 || end)) {
                    if (probeData == null) probeData = ProbeData.of(data);
                    Map<String, Double> acc = EncoderEvaluation.linearProbe(trainer, probeData.splits(), opt.seed());
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("step", s);
                    acc.forEach((k, v) -> rec.put("probe_top1 " + k, v));
                    var top = acc.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
                    log.write(rec);
                    improved = best.offer(s, top.getKey(), top.getValue());
                }
                if ((opt.checkpointEvery() > 0 && s % opt.checkpointEvery() == 0) || end || improved) {
                    lastCheckpoint = Checkpoints.save(checkpoints, trainer, meta);
                    if (improved) best.write();
                    if (opt.keepCheckpoints() > 0) Checkpoints.prune(checkpoints, opt.keepCheckpoints(), best.step());
                }
                if (stoppedBy != null) break;
            }
        } finally {
            if (probeData != null) probeData.close();
            feed.close();
            StepScope.release(fixedZ);
            fixedRng.close();
        }
        long done = last == null ? 0 : last.step() - first + 1;
        double msPerStep = done == 0 ? 0 : (System.nanoTime() - t0) / 1e6 / done;
        return new Result(trainer, lastCheckpoint, last, reconstruction(trainer, data.test()), msPerStep, stoppedBy);
    }

    /**
     * The loader of the training batches: shuffled epochs of {@code batchSize} images (incomplete final batches
     * dropped) seeded by {@code seed}, one worker, two batches prefetched, starting at batch {@code startBatch};
     * images float [B, C, H, W] in [0, 1], randomly resized-cropped (to H x W) and flipped when {@code augment}.
     */
    static BatchLoader trainingLoader(ImageDataset train, int batchSize, long seed, long startBatch, boolean augment) {
        if (batchSize > train.size())
            throw new IllegalArgumentException("batch size " + batchSize + " exceeds the dataset's " + train.size()
                    + " images");
        BatchLoader.Builder b = BatchLoader.builder(train).batchSize(batchSize).seed(seed).workers(1).prefetch(2)
                .startBatch(startBatch);
        if (augment) {
            if (train.height() != train.width())
                throw new IllegalArgumentException("--augment needs square images, " + train.name() + " has "
                        + train.height() + "x" + train.width());
            b.view(ImagePipeline.of(new RandomResizedCrop(train.height()), new RandomHorizontalFlip()));
        }
        return b.build();
    }

    /**
     * Hands the trainer one prepared batch per call. The loader's batch aliases its staging ring and is released by
     * the next call, so it is copied before {@link StepTrainer#prepare} (which may return a view); nothing that
     * aliases the ring outlives the call.
     */
    static final class BatchFeed implements AutoCloseable {
        private final StepTrainer trainer;
        private final BatchLoader loader;
        private long epoch;

        BatchFeed(StepTrainer trainer, BatchLoader loader) {
            this.trainer = trainer;
            this.loader = loader;
            this.epoch = loader.position() / loader.batchesPerEpoch();
        }

        /** The next prepared batch; call inside the step's StepScope. */
        Tensor next() {
            StagedBatch b = loader.next();
            epoch = b.epoch();
            Tensor images = b.images(0).clone();    // owned copy, valid after the slot is released
            b.close();
            return trainer.prepare(images);
        }

        /** The epoch (0-based) of the latest batch. */
        long epoch() {
            return epoch;
        }

        @Override
        public void close() {
            loader.close();
        }
    }

    /** Writes the sample grid G(fixed z) and the reconstruction grid x | G(E(x)); returns the reconstruction errors. */
    static EncoderFeatures.Reconstruction writeImages(StepTrainer trainer, ImageDataset test, Tensor fixedZ, Path dir,
                                                      long step) {
        try (StepScope s = StepScope.open()) {
            Files.createDirectories(dir);
            ImageGrid.write(dir.resolve(String.format("samples-%08d.png", step)), trainer.generate(fixedZ), 10,
                    ImageGrid.DEFAULT_PADDING, 2);                                          // [100, C, R, R]
            Tensor in = trainer.prepare(test.batch(torch.arange(new Scalar(0L), new Scalar(Math.min(50L, test.size())))));
            ImageGrid.writePairs(dir.resolve(String.format("reconstructions-%08d.png", step)), trainer.toImages(in),
                    trainer.generate(trainer.encode(in)), 5, ImageGrid.DEFAULT_PADDING, 2);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image grids in " + dir + ": " + e.getMessage(), e);
        }
        return reconstruction(trainer, test);
    }

    private static EncoderFeatures.Reconstruction reconstruction(StepTrainer trainer, ImageDataset test) {
        try (StepScope s = StepScope.open()) {
            long n = Math.min(1000, test.size());
            return EncoderFeatures.reconstructionError(trainer, test.batch(torch.arange(new Scalar(0L), new Scalar(n))));
        }
    }
}
