package io.bigbigan.trainer.loop;

import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.Precision;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.checkpoint.CheckpointMetadata;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.checkpoint.RunSettings;
import io.bigbigan.trainer.config.MemoryFormat;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.BatchLoader;
import io.bigbigan.trainer.distributed.CommStats;
import io.bigbigan.trainer.distributed.DataParallel;
import io.bigbigan.trainer.distributed.ReplicaFailure;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.StagedBatch;
import io.bigbigan.trainer.data.augment.ImagePipeline;
import io.bigbigan.trainer.data.augment.RandomHorizontalFlip;
import io.bigbigan.trainer.data.augment.RandomResizedCrop;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.EncoderEvaluation;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.eval.TrainedModel;
import io.bigbigan.trainer.report.ImageGrid;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import io.bigbigan.trainer.step.ComputeDevice;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.step.Trainers;
import io.bigbigan.trainer.step.Weights;

/**
 * A training job: steps over the training split, logging metrics ({@code metrics.jsonl}), writing sample and
 * reconstruction grids ({@code images/}) and checkpoints ({@code checkpoints/}) into the output folder. A run can be
 * resumed from its newest complete checkpoint; on CPU the resumed run is bit-identical to an uninterrupted one (the
 * data order and augmentations depend only on the seed, the training images and the batch position, latents and
 * posterior noise come from private generators whose states are checkpointed). Checkpoints therefore record the
 * seed, whether the images were augmented and how many training images there were ({@link RunSettings}), and
 * {@link #resume}, the one way to continue a run, refuses options that differ from them
 * ({@link CheckpointMetadata#checkResumable}).
 */
public final class TrainingRun {
    private TrainingRun() {}

    /**
     * What a run does, by name: {@code Options.of(outDir, steps).seed(3).logEvery(1)...}; every setting not named
     * keeps its default. When resuming, {@code seed}, {@code augment} and the training images must be those of the
     * run (checked against the checkpoint): the data order and augmentations depend on them.
     *
     * @param steps           the step to train up to (total, also when resuming)
     * @param seed            seeds weights, latents and data order (default 1)
     * @param outDir          output folder
     * @param dataSpec        how the dataset was named (recorded in checkpoints so evaluation can reopen it; default
     *                        {@code synthetic})
     * @param augment         random resized crops and horizontal flips of the training images (ResNet style, at the
     *                        images' own size; default off)
     * @param logEvery        steps between metric records (default 50)
     * @param imageEvery      steps between image grids (0, the default: only at the end)
     * @param checkpointEvery steps between checkpoints (0, the default: only at the end)
     * @param keepCheckpoints how many of the newest checkpoints to keep besides the best (0, the default: all)
     * @param evalEvery       steps between linear probes of the encoder (0, the default: none)
     * @param evalBatch       images per forward pass of the image grids, reconstruction errors and probes (0, the
     *                        default: the model's {@link EncoderFeatures#defaultBatch})
     * @param device          the device to train on (default: the CPU)
     * @param memoryFormat    the layout of the trainer's 4-D weights and images (default: contiguous)
     * @param replicas        the data-parallel run this process is one rank of ({@link DataParallel#single()}, the
     *                        default: none); the configuration's batch size is each rank's, and only rank 0 writes
     *                        metrics, images and checkpoints
     * @param listener        receives progress on rank 0 (default: nothing)
     * @param stop            returns non-null once the run should stop early, e.g. a signal's name (default: never)
     */
    public record Options(long steps, long seed, Path outDir, String dataSpec, boolean augment, int logEvery, int
                          imageEvery, int checkpointEvery, int keepCheckpoints, int evalEvery, int evalBatch, Device
                          device, MemoryFormat memoryFormat, DataParallel replicas, Listener listener,
                          Supplier<String> stop) {
        public Options {
            if (steps < 1) throw new OptionException("--steps must be at least 1, got " + steps);
            if (logEvery < 1) throw new OptionException("--log-every must be at least 1, got " + logEvery);
            if (imageEvery < 0) throw new OptionException("--image-every must be >= 0, got " + imageEvery);
            if (checkpointEvery < 0) throw new OptionException("--checkpoint-every must be >= 0, got " + checkpointEvery);
            if (keepCheckpoints < 0) throw new OptionException("--keep-checkpoints must be >= 0, got " + keepCheckpoints);
            if (evalEvery < 0) throw new OptionException("--eval-every must be >= 0, got " + evalEvery);
            if (evalBatch < 0) throw new OptionException("--eval-batch must be at least 1, got " + evalBatch);
            java.util.Objects.requireNonNull(outDir, "outDir");
            java.util.Objects.requireNonNull(device, "device");
            java.util.Objects.requireNonNull(memoryFormat, "memoryFormat");
            java.util.Objects.requireNonNull(replicas, "replicas");
            java.util.Objects.requireNonNull(listener, "listener");
            java.util.Objects.requireNonNull(stop, "stop");
        }

        /** A run of {@code steps} steps into {@code outDir}, every other setting at its default. */
        public static Options of(Path outDir, long steps) {
            return new Options(steps, 1, outDir, "synthetic", false, 50, 0, 0, 0, 0, 0, ComputeDevice.cpu(),
                    MemoryFormat.CONTIGUOUS, DataParallel.single(), (m, ips) -> {}, () -> null);
        }

        public Options steps(long v) { return new Options(v, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options seed(long v) { return new Options(steps, v, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options outDir(Path v) { return new Options(steps, seed, v, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options dataSpec(String v) { return new Options(steps, seed, outDir, v, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options augment(boolean v) { return new Options(steps, seed, outDir, dataSpec, v, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options logEvery(int v) { return new Options(steps, seed, outDir, dataSpec, augment, v, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options imageEvery(int v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, v, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options checkpointEvery(int v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, v, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options keepCheckpoints(int v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, v, evalEvery, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options evalEvery(int v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, v, evalBatch, device, memoryFormat, replicas, listener, stop); }
        public Options evalBatch(int v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, v, device, memoryFormat, replicas, listener, stop); }
        public Options device(Device v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, v, memoryFormat, replicas, listener, stop); }
        public Options memoryFormat(MemoryFormat v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, v, replicas, listener, stop); }
        public Options replicas(DataParallel v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, v, listener, stop); }
        public Options listener(Listener v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, v, stop); }
        public Options stop(Supplier<String> v) { return new Options(steps, seed, outDir, dataSpec, augment, logEvery, imageEvery, checkpointEvery, keepCheckpoints, evalEvery, evalBatch, device, memoryFormat, replicas, listener, v); }
    }

    /** Receives progress; called on the training thread of rank 0. */
    public interface Listener {
        /**
         * Once before the first step, after a resume's checks and its checkpoint's load ({@code fromStep}: the
         * completed steps the run continues from; 0 for a new run).
         */
        default void onStart(StepTrainer trainer, long fromStep) {}

        /** At every logged step (every {@link Options#logEvery()} steps and the last), with its metrics. */
        void onStep(StepTrainer.StepMetrics metrics, double imagesPerSecond);

        /** After every training step, logged or not (e.g. to keep a progress display moving between logs). */
        default void onStepDone(long step) {}
    }

    /**
     * The end of a run.
     *
     * @param stoppedBy the signal that stopped the run early, or null when it ran to {@link Options#steps()}
     * @param comm      this rank's communication over the steps trained (not the start-up broadcast), or null in
     *                  one process
     * @param msPerStep mean wall time of the training steps this call ran (the steps themselves, not the image
     *                  grids, checkpoints and probes between them; for a resumed run not the checkpoint's earlier steps)
     * @param steps     steps trained by this call
     */
    public record Result(StepTrainer trainer, Path checkpoint, StepTrainer.StepMetrics last,
                         EncoderFeatures.Reconstruction reconstruction, double msPerStep, String stoppedBy,
                         CommStats.Snapshot comm, long steps) {}

    /**
     * A run to continue: its newest complete checkpoint (checked against its manifest) and that checkpoint's
     * metadata, read once. Its {@link #config()} is the configuration the run continues with.
     */
    public record Resumable(Path checkpoint, CheckpointMetadata meta) {
        /**
         * The newest complete checkpoint of the run in {@code runDir} (or the checkpoint folder or file named).
         *
         * @throws IllegalArgumentException naming the folder without a complete checkpoint, or the damaged file
         */
        public static Resumable find(Path runDir) {
            Path file = Checkpoints.resolve(runDir);
            return new Resumable(file, CheckpointMetadata.read(file));
        }

        /** The run's configuration. */
        public RunConfig config() {
            return meta.config();
        }

        /** The completed steps the run continues from. */
        public long step() {
            return meta.step();
        }
    }

    /** Trains {@code config} from scratch, as {@code opt} says. */
    public static Result run(RunConfig config, DatasetSplits data, Options opt) {
        return loop(Trainers.create(config, Trainers.Setup.seed(opt.seed()).device(opt.device())
                .memoryFormat(opt.memoryFormat())), data, opt);
    }

    /**
     * Continues the run of {@code from} up to {@code opt.steps()}, the one way to resume: checks once that the run
     * can continue as {@code opt} and {@code data} say ({@link CheckpointMetadata#checkRanks},
     * {@link CheckpointMetadata#checkResumable}: the number of ranks, steps beyond the checkpoint's, the same seed,
     * augmentation and training set), loads the checkpoint once onto {@code opt.device()} (weights, with the EMA
     * copies, then the optimiser and RNG states), then trains.
     *
     * @throws IllegalArgumentException naming the option and the checkpoint's value, or the damaged checkpoint
     */
    public static Result resume(Resumable from, DatasetSplits data, Options opt) {
        RunSettings given = settings(opt, data);
        from.meta().checkRanks(from.checkpoint(), given.worldSize());
        from.meta().checkResumable(from.checkpoint(), given, opt.steps());
        Checkpoints.Loaded loaded = Checkpoints.loadToResume(from.checkpoint(), from.meta(),
                Trainers.Setup.seed(0).device(opt.device()).memoryFormat(opt.memoryFormat()));
        return loop(loaded.trainer(), data, opt);
    }

    /** What a checkpoint of this run records about its batches (and a resume must match). */
    private static RunSettings settings(Options opt, DatasetSplits data) {
        return RunSettings.of(opt.dataSpec(), opt.seed(), opt.augment(), data, opt.replicas().size());
    }

    /** The loop; package-private so tests can pass an instrumented trainer (resumes at its step count). */
    static Result loop(StepTrainer trainer, DatasetSplits data, Options opt) {
        DataParallel dp = opt.replicas();
        Listener listener = opt.listener();
        Supplier<String> stop = opt.stop();
        RunConfig config = trainer.config();
        trainer.useReplicas(dp);
        boolean leader = dp.isLeader();
        ImageDataset train = data.train();
        try (StepScope s = StepScope.open()) {
            trainer.prepare(train.batch(0, 1));   // fails early on a shape mismatch
        }
        int dSteps = config.train().dStepsPerGStep();
        // batches come from a background loader; a resumed run starts at its position (completed steps x D updates)
        BatchFeed feed = new BatchFeed(trainer, trainingLoader(train, config.train().batchSize(), opt.seed(),
                trainer.stepCount() * dSteps, opt.augment(), dp.rank(), dp.size()));
        Generator fixedRng = torch.createCPUGenerator(opt.seed() + 99);
        Tensor fixedZ = StepScope.keep(trainer.inference().sampleLatent(100, fixedRng));   // same latents for every sample grid
        Path checkpoints = opt.outDir().resolve("checkpoints");
        Path images = opt.outDir().resolve("images");
        StepTrainer.StepMetrics last = null;
        EncoderFeatures.Reconstruction lastRecon = null;
        Path lastCheckpoint = null;
        String stoppedBy = null;
        long first = trainer.stepCount() + 1;
        long windowStart = System.nanoTime(), windowSteps = 0, stepNanos = 0;
        RunSettings run = settings(opt, data);
        CommStats.Snapshot commStart = dp.stats() == null ? null : dp.stats().snapshot(), commFirst = commStart;
        ProbeData probeData = null;
        if (leader) tidyOutput(opt.outDir(), trainer.stepCount());
        int evalBatch = opt.evalBatch() > 0 ? opt.evalBatch() : EncoderFeatures.defaultBatch(config);
        BestCheckpoint best = BestCheckpoint.read(checkpoints);
        if (leader) listener.onStart(trainer, trainer.stepCount());
        try (MetricsLog log = leader ? new MetricsLog(opt.outDir().resolve("metrics.jsonl")) : null) {
            for (long s = first; s <= opt.steps(); s++) {
                long stepStart = System.nanoTime();
                try (StepScope scope = StepScope.open()) {
                    last = trainer.step(feed::next);
                    stoppedBy = stop.get();
                    if (dp.size() > 1) {                            // mean losses over ranks; stop together
                        var r = dp.reduce(metricValues(last), stoppedBy != null);
                        last = fromValues(last.step(), r.values());
                        if (r.stop() && stoppedBy == null) stoppedBy = "another rank's stop request";
                    }
                }
                stepNanos += System.nanoTime() - stepStart;
                windowSteps++;
                if (leader) listener.onStepDone(last.step());
                boolean end = s == opt.steps() || stoppedBy != null;
                if (s % opt.logEvery() == 0 || end) {
                    long now = System.nanoTime();
                    double ips = windowSteps * (double) config.train().batchSize() * dSteps * dp.size()
                            / ((now - windowStart) / 1e9);
                    windowStart = now;
                    long window = windowSteps;
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
                    if (commStart != null) {                        // this rank's communication per step
                        var c = dp.stats().snapshot();
                        var d = c.minus(commStart);
                        commStart = c;
                        rec.put("comm_mb_per_step", d.bytes() / 1e6 / window);
                        rec.put("comm_wait_ms_per_step", d.waitNanos() / 1e6 / window);
                    }
                    if (leader) {
                        log.write(rec);
                        listener.onStep(last, ips);
                    }
                }
                if (!leader) {
                    if (stoppedBy != null) break;
                    continue;                                       // rank 0 writes images and checkpoints
                }
                // the last step's checkpoint comes first: a failing image or evaluation pass must not lose the run
                boolean saved = end;
                if (end) lastCheckpoint = Checkpoints.save(checkpoints, trainer, run);
                if ((opt.imageEvery() > 0 && s % opt.imageEvery() == 0) || end) {
                    var err = writeImages(trainer.inference(), data.test(), fixedZ, images, s, evalBatch);
                    lastRecon = err;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("step", s);
                    rec.put("recon_error", err.recon());
                    rec.put("mismatched_recon_error", err.mismatched());
                    rec.put("random_pair_error", err.randomPair());
                    var ema = config.train().ema();
                    if (ema.enabled() && s > ema.startStep()) {     // once the EMA copies average, the live pair too
                        try (StepScope scope = StepScope.open()) {
                            var live = EncoderFeatures.reconstructionError(trainer.inference(Precision.FP32,
                                    Weights.LIVE), data.test(), EncoderFeatures.RECONSTRUCTION_IMAGES, evalBatch);
                            rec.put("live_recon_error", live.recon());
                            rec.put("live_mismatched_recon_error", live.mismatched());
                        }
                    }
                    log.write(rec);
                }
                boolean improved = false;
                if (opt.evalEvery() > 0 && (s % opt.evalEvery() == 0 || end)) {
                    if (probeData == null) probeData = ProbeData.of(data);
                    var scores = EncoderEvaluation.probe(trainer.inference(), probeData.splits(), opt.seed(), evalBatch);
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("step", s);
                    scores.forEach((k, v) -> rec.put("probe_top1 " + k, v.linear()));
                    scores.forEach((k, v) -> rec.put("probe_1nn " + k, v.nearest()));
                    scores.forEach((k, v) -> rec.put("probe_top1_1pct " + k, v.linearFewLabels()));
                    scores.forEach((k, v) -> rec.put("probe_1nn_1pct " + k, v.nearestFewLabels()));
                    log.write(rec);
                    // the best checkpoint by the encoder's best linear figure on held-out training images
                    var top = scores.entrySet().stream().filter(e -> !e.getKey().equals(EncoderEvaluation.PIXELS))
                            .max(Comparator.comparingDouble(e -> e.getValue().linear())).orElseThrow();
                    improved = best.offer(s, top.getKey(), top.getValue().linear());
                }
                if (!saved && ((opt.checkpointEvery() > 0 && s % opt.checkpointEvery() == 0) || improved)) {
                    lastCheckpoint = Checkpoints.save(checkpoints, trainer, run);
                    saved = true;
                }
                if (saved) {
                    if (improved) best.write();
                    if (opt.keepCheckpoints() > 0) Checkpoints.prune(checkpoints, opt.keepCheckpoints(), best.step());
                }
                if (stoppedBy != null) break;
            }
        } catch (ReplicaFailure e) {                                // say what is left to continue from
            Path newest = Checkpoints.newestComplete(checkpoints);
            throw e.withNote(newest == null ? "no checkpoint of this run was written yet"
                    : "the newest complete checkpoint is " + newest + " (continue with --resume)");
        } finally {
            if (probeData != null) probeData.close();
            feed.close();
            StepScope.release(fixedZ);
            fixedRng.close();
        }
        long done = last == null ? 0 : last.step() - first + 1;
        double msPerStep = done == 0 ? 0 : stepNanos / 1e6 / done;
        CommStats.Snapshot comm = dp.stats() == null ? null : dp.stats().snapshot().minus(commFirst);
        return new Result(trainer, lastCheckpoint, last, leader ? lastRecon : null, msPerStep, stoppedBy, comm, done);
    }

    /**
     * Before rank 0 writes into a run folder: deletes temporary files that writes killed with their process left in
     * its {@code checkpoints/} and {@code images/}, and on a resume from step {@code step > 0} drops the
     * {@code metrics.jsonl} records of later steps (logged after the checkpoint by the run that was interrupted; the
     * resumed run logs those steps again).
     */
    static void tidyOutput(Path outDir, long step) {
        List<Path> stale = new ArrayList<>();
        for (Path dir : List.of(outDir.resolve("checkpoints"), outDir.resolve("images"))) {   // only the run's own
            try {
                stale.addAll(AtomicFiles.removeTemporaryFiles(dir));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove temporary files in " + dir + ": " + e.getMessage(), e);
            }
        }
        if (!stale.isEmpty())
            System.err.println("bigbigan: removed " + stale.size() + " temporary file(s) of interrupted writes: "
                    + stale.stream().map(p -> p.getFileName().toString()).limit(5).toList());
        if (step > 0) {
            Path metrics = outDir.resolve("metrics.jsonl");
            int dropped = MetricsLog.truncateAfter(metrics, step);
            if (dropped > 0)
                System.err.println("bigbigan: " + metrics + ": dropped " + dropped + " record(s) after step " + step
                        + " (logged after the checkpoint the run resumes from)");
        }
    }

    /** A step's metrics as one map (losses and accuracy first). */
    private static Map<String, Double> metricValues(StepTrainer.StepMetrics m) {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("loss_d", m.lossD());
        v.put("loss_eg", m.lossEG());
        v.put("acc_d", m.accD());
        v.putAll(m.extra());
        return v;
    }

    private static StepTrainer.StepMetrics fromValues(long step, Map<String, Double> v) {
        Map<String, Double> extra = new LinkedHashMap<>(v);
        double d = extra.remove("loss_d"), eg = extra.remove("loss_eg"), acc = extra.remove("acc_d");
        return new StepTrainer.StepMetrics(step, d, eg, acc, extra);
    }

    /**
     * The loader of the training batches: shuffled epochs of {@code batchSize} images (incomplete final batches
     * dropped) seeded by {@code seed}, one worker, two batches prefetched, starting at batch {@code startBatch};
     * images float [B, C, H, W] in [0, 1], randomly resized-cropped (to H x W) and flipped when {@code augment}.
     */
    static BatchLoader trainingLoader(ImageDataset train, int batchSize, long seed, long startBatch, boolean augment) {
        return trainingLoader(train, batchSize, seed, startBatch, augment, 0, 1);
    }

    /** As above, delivering shard {@code rank} of {@code ranks} of each global batch of {@code batchSize * ranks}. */
    static BatchLoader trainingLoader(ImageDataset train, int batchSize, long seed, long startBatch, boolean augment,
                                      int rank, int ranks) {
        if ((long) batchSize * ranks > train.size())
            throw new IllegalArgumentException("batch size " + batchSize + (ranks > 1 ? " x " + ranks + " ranks" : "")
                    + " exceeds the dataset's " + train.size() + " images");
        BatchLoader.Builder b = BatchLoader.builder(train).batchSize(batchSize).seed(seed).workers(1).prefetch(2)
                .startBatch(startBatch).shard(rank, ranks);
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

    /**
     * Writes the sample grid G(fixed z) and the reconstruction grid x | G(E(x)) of 50 test images, and returns the
     * reconstruction errors on up to {@link EncoderFeatures#RECONSTRUCTION_IMAGES} test images. Both sets of images
     * are drawn by {@link EncoderFeatures#reconstructionSubset} (the grid's are the first 50), the networks run
     * {@code batch} images at a time.
     */
    static EncoderFeatures.Reconstruction writeImages(TrainedModel model, ImageDataset test, Tensor fixedZ, Path dir,
                                                      long step, int batch) {
        try (StepScope s = StepScope.open()) {
            Files.createDirectories(dir);
            ImageGrid.write(dir.resolve(String.format("samples-%08d.png", step)), model.generate(fixedZ, batch), 10,
                    ImageGrid.DEFAULT_PADDING, 2);                                          // [100, C, R, R]
            Tensor subset = EncoderFeatures.reconstructionSubset(test, EncoderFeatures.RECONSTRUCTION_IMAGES);
            var pairs = EncoderFeatures.reconstructions(model, test, subset.narrow(0, 0, Math.min(50L, subset.size(0))),
                    batch);
            ImageGrid.writePairs(dir.resolve(String.format("reconstructions-%08d.png", step)), pairs.images(),
                    pairs.reconstructions(), 5, ImageGrid.DEFAULT_PADDING, 2);
            return EncoderFeatures.reconstructionError(model, test, subset, batch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write image grids in " + dir + ": " + e.getMessage(), e);
        }
    }
}
