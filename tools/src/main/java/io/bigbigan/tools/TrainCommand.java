package io.bigbigan.tools;

import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.MemoryFormat;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.config.PrecisionOption;
import io.bigbigan.trainer.config.Objective;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.ConfigOverrides;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.eval.EncoderEvaluation;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.checkpoint.RunSettings;
import io.bigbigan.trainer.checkpoint.CheckpointMetadata;
import io.bigbigan.trainer.distributed.DataParallel;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.loop.StopRequest;
import io.bigbigan.trainer.step.ComputeDevice;
import io.bigbigan.trainer.loop.RunLock;
import io.bigbigan.trainer.loop.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, description = {"Train a model, then evaluate its encoder against raw pixels.",
        "Writes checkpoints/, images/ (sample and reconstruction grids), metrics.jsonl and evaluation.txt."},
        footer = {"", "Examples:", "  bigbigan train                                  # bigan-mlp on the embedded synthetic shapes",
                "  bigbigan train --data fashion-mnist --epochs 100 --out runs/fmnist",
                "  bigbigan train --nproc 2 --batch 64                     # two local data-parallel workers (Gloo)",
                "  RANK=1 WORLD_SIZE=2 MASTER_ADDR=host0 bigbigan train ...  # rank 1 of a two-host run"})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "bigan-mlp", description = "Model preset (default: ${DEFAULT-VALUE}).")
    String preset;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--steps", description = "Training steps (default: 1500, or as many as --epochs needs).")
    Long steps;

    @Option(names = "--epochs", description = "Training epochs over the training split (instead of --steps).")
    Double epochs;

    @Option(names = "--batch", description = "Batch size (default: the preset's).")
    Integer batch;

    @Option(names = "--loss", description = "Adversarial loss: log or hinge (default: the preset's).")
    String loss;

    @Option(names = "--objective", description = {"BigBiGAN score terms: full (s_x + s_z + s_xz), joint_only (BiGAN),",
            "x_unary, z_unary, no_encoder (plain BigGAN) (default: full)."})
    String objective;

    @Option(names = "--ortho-reg", description = "BigGAN's orthogonal regularisation beta on G (BigGAN: 1e-4; default: off).")
    Double orthoReg;

    @Option(names = "--precision", description = {"Forward passes in fp32 (default), bf16 (autocast: products in bf16,",
            "fp32 weights, gradients, optimiser and losses) or auto (bf16 on CUDA and on CPUs with native bf16,",
            "AVX512-BF16/AMX: `bigbigan info` says; fp32 elsewhere); fp64 runs everything in float64 (slow; for",
            "checks against a reference, docs/pytorch-twin.md). --resume keeps the run's precision."})
    String precision;

    @Option(names = "--memory-format", defaultValue = "channels-last", description = {
            "channels-last (default) or contiguous: the layout of convolution weights and images (BigBiGAN presets).",
            "Convolutions run faster on channels-last (oneDNN on CPUs, cuDNN on GPUs)."})
    String memoryFormat;

    @Option(names = "--accumulate", description = {"Split each batch into K micro-batches and accumulate their gradients",
            "before each optimiser step (BigBiGAN presets; default 1)."})
    Integer accumulate;

    @Option(names = "--set", paramLabel = "PATH=VALUE", description = {"Change one setting of the configuration by its",
            "path in the JSON form (bigbigan presets --preset P --json), after the options above; repeatable, e.g.",
            "--set train.optim.lrE=1e-4 --set train.dStepsPerGStep=1 --set train.ema.startStep=0",
            "--set model.encoder.resolution=16. Unknown keys and values of the wrong type are errors."})
    List<String> set;

    @Option(names = "--out", description = "Output folder (default: runs/<preset>-<data>).")
    Path out;

    @Option(names = "--log-every", description = "Steps between metric records (default: the total steps / 50,"
            + " between 1 and 50: every step for runs under 100 steps, every 50 from 2500).")
    Integer logEvery;

    @Option(names = "--image-every", defaultValue = "0", description = "Steps between image grids (default: at the end).")
    int imageEvery;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Steps between checkpoints (default: at the end).")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "3", description = {"How many of the newest checkpoints to keep",
            "besides the best; 0 keeps all (default: ${DEFAULT-VALUE})."})
    int keepCheckpoints;

    @Option(names = "--eval-every", defaultValue = "0", description = {"Steps between probes of the (EMA) encoder:",
            "a linear classifier trained from scratch and 1-NN, on raw pixels and each feature space, fitted on the",
            "first 10,000 training images and scored on the last 2,000 (never the test split), and again with 1%% of",
            "those labels (class-balanced); the best checkpoint by the encoder's linear figure with every label is",
            "kept (checkpoints/best.json)."})
    int evalEvery;

    @Option(names = "--resume", description = {"Continue the run in --out from its newest complete checkpoint",
            "(its configuration is kept: --preset, --batch, --loss, --objective, --ortho-reg, --precision,",
            "--accumulate and --set may only repeat it; its --seed, --augment, --data and limits apply unless given, and",
            "must match when given); --steps is the total to reach."})
    boolean resume;

    @Option(names = "--overwrite", description = {"Empty --out first when it holds an earlier run (its checkpoints,",
            "metrics and images); without it train refuses such a folder (continue it with resume instead)."})
    boolean overwrite;

    @Option(names = "--augment", description = {"Random resized crops and horizontal flips of the training images",
            "(ResNet style; off by default, as for MNIST-like data). --resume keeps the run's setting."})
    boolean augment;

    @Option(names = "--no-eval", description = "Skip the encoder evaluation at the end.")
    boolean noEval;

    @Mixin
    ClassFilterOptions classFilter;

    @Mixin
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Mixin
    DistributedOptions dist;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return run();
    }

    private Integer run() throws Exception {
        if (steps != null && epochs != null) throw new OptionException("give --steps or --epochs, not both");
        if (steps != null && steps < 1) throw new OptionException("--steps must be at least 1, got " + steps);
        if (epochs != null && !(epochs > 0)) throw new OptionException("--epochs must be positive, got " + epochs);
        if (out != null && Files.exists(out) && !Files.isDirectory(out))
            throw new OptionException("--out " + out + ": is a file; the run's output folder must be a folder");
        if (resume && overwrite) throw new OptionException("give --resume or --overwrite, not both");
        Path outDir = out != null ? out : Path.of("runs", preset + "-" + Path.of(dataOptions.spec("synthetic")).getFileName());
        Outputs.folder("--out", outDir);
        try (RunLock lock = claimRunFolder(outDir)) {
            return run(outDir);
        }
    }

    /**
     * The run folder for this process: locked (one writer per folder; the {@code --nproc} launcher holds the lock for
     * its workers, and ranks other than 0 of a multi-host run write nothing there), and refused when it holds an
     * earlier run that is neither resumed nor, with {@code --overwrite}, emptied first. Null when this process does
     * not write the run.
     */
    private RunLock claimRunFolder(Path outDir) throws java.io.IOException {
        if (System.getenv(LocalWorkers.LAUNCHER_PID) != null) return null;      // a worker: its launcher holds it
        if (!dist.launchesWorkers() && dist.setup() instanceof io.bigbigan.trainer.distributed.ReplicaSetup s && s.rank() != 0)
            return null;
        RunLock lock = RunLock.acquire(outDir);
        try {
            String earlier = resume ? null : RunLock.existingRun(outDir);
            if (earlier != null && !overwrite)
                throw new RunLock.RefusedException(outDir + " already holds " + earlier + "; continue it with bigbigan resume "
                        + outDir + ", give a new --out, or --overwrite to empty it first");
            if (earlier != null) {
                lock.emptyFolder(outDir);
                System.out.println("--overwrite: emptied " + outDir + " (it held " + earlier + ")");
            }
            return lock;
        } catch (RuntimeException | java.io.IOException e) {
            lock.close();
            throw e;
        }
    }

    private Integer run(Path outDir) throws Exception {
        TrainingRun.Resumable from = null;       // on --resume: the run's newest complete checkpoint, read once
        if (resume) {
            if (out == null) throw new OptionException("--resume needs --out, the run folder to continue");
            from = TrainingRun.Resumable.find(out);
        }
        if (dist.launchesWorkers()) {            // refusals once here, not once per worker
            if (from != null) {
                if (steps != null) from.meta().checkSteps(from.checkpoint(), steps);
                from.meta().checkRanks(from.checkpoint(), dist.nproc);
            }
            List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
            return LocalWorkers.run(args, dist.nproc, dist.timeoutSeconds, dist.backend);
        }
        if (from != null) takeRunSettings(from.meta().run());
        common.apply();
        common.device = DistributedOptions.localDevice(common.device, System.getenv());
        var device = common.device();
        MemoryFormat layout = MemoryFormat.parse(memoryFormat);
        RunConfig config = from != null ? runConfig(from) : configFromOptions(device.is_cuda());
        String data = dataOptions.spec("synthetic");
        Files.createDirectories(outDir);
        try (DataParallel dp = dist.connect();
             DatasetSplits splits = classFilter.apply(dataOptions.open(data, imageSize(config), imageChannels(config)));
             StopRequest stop = StopRequest.install()) {
            LocalWorkers.stopWhenLauncherExits(stop);
            boolean leader = dp.isLeader();
            long total = steps != null ? steps : epochs != null
                    ? Math.max(1, Math.round(epochs * splits.train().size() / config.train().batchSize()))
                    : 1500;
            RunConfig run = config;
            TrainingRun.Resumable resumed = from;
            TrainingRun.Result result;
            try (Progress progress = leader ? Progress.start("train", from == null ? 0 : from.step(), total) : null) {
                TrainingRun.Listener listener = new TrainingRun.Listener() {
                    @Override
                    public void onStart(StepTrainer trainer, long fromStep) {
                        System.out.printf("training %s on %s (%d train / %d test images) for %d steps, batch %d, loss %s, %s, %s -> %s%n",
                                run.preset(), data, splits.train().size(), splits.test().size(), total,
                                run.train().batchSize(), run.train().loss().id(), run.train().precision().id(),
                                ComputeDevice.name(device), outDir);
                        if (fromStep > 0)
                            System.out.printf("resuming from step %d (%s): seed %d, %s%n", fromStep,
                                    resumed.checkpoint(), common.seed, augment ? "augmented" : "not augmented");
                        if (dp.size() > 1)
                            System.out.printf("data-parallel: %d ranks (%s), batch %d per rank = %d per step%n",
                                    dp.size(), dp.backend(), run.train().batchSize(), run.train().batchSize() * dp.size());
                    }

                    @Override
                    public void onStep(StepTrainer.StepMetrics m, double ips) {
                        if (progress != null) progress.update(m.step(), String.format(" D %.3f EG %.3f accD %.2f"
                                + " %.0f img/s", m.lossD(), m.lossEG(), m.accD(), ips));
                    }

                    @Override
                    public void onStepDone(long step) {
                        if (progress != null) progress.update(step);
                    }
                };
                var options = TrainingRun.Options.of(outDir, total).seed(common.seed).dataSpec(data).augment(augment)
                        .logEvery(logEvery != null ? logEvery : defaultLogEvery(total)).imageEvery(imageEvery).checkpointEvery(checkpointEvery)
                        .keepCheckpoints(keepCheckpoints).evalEvery(evalEvery).evalBatch(evalBatch.orAuto())
                        .device(device).memoryFormat(layout).replicas(dp).listener(listener).stop(stop::requested);
                result = from != null ? TrainingRun.resume(from, splits, options)
                        : TrainingRun.run(config, splits, options);
            }
            if (!leader) return result.stoppedBy() != null ? BigbiganCli.EXIT_STOPPED : 0;   // rank 0 reports
            // the last checkpoint is written: from here on a signal ends the process at once (exit 4)
            stop.haltOnStop(BigbiganCli.EXIT_STOPPED, "stopped after training; the checkpoint "
                    + result.checkpoint() + " is complete (evaluate it with: bigbigan evaluate --checkpoint " + outDir + ")");
            String late = result.stoppedBy() == null ? stop.requested() : null;   // came after the last step
            var last = result.last();
            String ran = from == null ? result.steps() + " steps"          // ms/step: of the steps this command ran
                    : String.format("%d step%s (%d to %d, resumed after step %d)", result.steps(),
                    result.steps() == 1 ? "" : "s", from.step() + 1, last.step(), from.step());
            System.out.printf("done: %s, %.1f ms/step; last losses D %.4f EG %.4f, D accuracy %.3f%n",
                    ran, result.msPerStep(), last.lossD(), last.lossEG(), last.accD());
            var r = result.reconstruction();
            if (r != null)
                System.out.printf("reconstruction error (%d random test images) ||x - G(E(x))|| %.3f; mismatched ||x - G(E(x'))|| %.3f; random pairs ||x - x'|| %.3f%n",
                        r.images(), r.recon(), r.mismatched(), r.randomPair());
            System.out.println("checkpoint " + result.checkpoint());
            if (result.comm() != null && result.steps() > 0) {
                var c = result.comm();
                System.out.printf("communication (rank 0, %s, %d ranks): %.1f collectives, %.2f MB all-reduced/broadcast"
                                + " and %.1f ms waiting per step (of %.1f ms/step)%n", dp.backend(), dp.size(),
                        c.collectives() / (double) result.steps(), c.bytes() / 1e6 / result.steps(),
                        c.waitNanos() / 1e6 / result.steps(), result.msPerStep());
            }
            if (result.stoppedBy() != null || late != null) {
                System.out.println("stopped by " + (late != null ? late : result.stoppedBy()) + " at step " + last.step()
                        + (late != null ? ", after the last step; evaluate with bigbigan evaluate --checkpoint " + outDir
                        : "; continue with --resume --out " + outDir));
                return BigbiganCli.EXIT_STOPPED;
            }
            if (!noEval) {
                System.err.printf("evaluating the encoder on %d train / %d test images: k-NN and linear probe per"
                        + " feature space%n", splits.train().size(), splits.test().size());
                var evaluation = EncoderEvaluation.evaluate(result.trainer().inference(), splits, common.seed,
                        EncoderEvaluation.Options.defaults().progress(System.err::println).batch(evalBatch.get(config))
                                .labelFractions(List.of(LABEL_FRACTION)));
                String report = evaluation.table() + "\n" + evaluation.labelFractions().getFirst().table() + "\n"
                        + ROWS_EXPLAINED;
                System.out.println(report);
                EvaluateCommand.writeReport(outDir.resolve("evaluation.txt"), report);
            }
        }
        return 0;
    }

    /**
     * Steps between metric records when {@code --log-every} is not given, for a run of {@code total} steps: about 50
     * records per run (every step below 100 steps), at most every 50 steps.
     */
    static int defaultLogEvery(long total) {
        return (int) Math.max(1, Math.min(50, total / 50));
    }

    /** The fraction of the training labels of the end-of-run evaluation's second table. */
    static final double LABEL_FRACTION = 0.01;

    /** What the end-of-run tables' rows and columns are, printed under them. */
    static final String ROWS_EXPLAINED = """
            rows: raw pixels = the same classifiers on the images themselves (the baseline); E(x) / E mu = the \
            encoder's latent code; E penultimate / E pooled = its last hidden layer (BN+CReLU: batch-normalised, \
            then [relu(x), relu(-x)]). Columns: test accuracy of k-NN (k = 1, 5, 20, 200) and of a linear \
            classifier. The first table gives the classifiers every training label; the second only 1% of them \
            (class-balanced), where a feature space that puts same-class images close together matters most.
            """;

    /** The preset's configuration with the options given. */
    private RunConfig configFromOptions(boolean cuda) {
        RunConfig config = Presets.get(preset);
        if (batch != null) config = option("--batch " + batch, config, t -> t.withBatchSize(batch));
        if (loss != null) config = option("--loss " + loss, config, t -> t.withLoss(LossKind.parse(loss)));
        if (objective != null) config = option("--objective " + objective, config, t -> t.withObjective(Objective.parse(objective)));
        if (orthoReg != null) config = option("--ortho-reg " + orthoReg, config, t -> t.withOrthoReg(orthoReg));
        if (precision != null) {
            config = option("--precision " + precision, config, t -> t.withPrecision(PrecisionOption.resolve(precision, cuda)));
            if (dist.rank == null || dist.rank == 0)                         // once per run: rank 0 says it
                EmulatedBf16.warnIfEmulated(precision, config.train().precision(), cuda);
        }
        if (accumulate != null) config = option("--accumulate " + accumulate, config, t -> t.withAccumulation(accumulate));
        return ConfigOverrides.apply(config, set);
    }

    /**
     * On {@code --resume}: the run's configuration, which the resumed run keeps. An option that sets part of it
     * ({@code --preset}, {@code --batch}, {@code --loss}, {@code --objective}, {@code --ortho-reg},
     * {@code --precision}, {@code --accumulate}, {@code --set}) may be given only with the run's value; another value is a usage
     * error naming the option and the run's value.
     */
    private RunConfig runConfig(TrainingRun.Resumable from) {
        RunConfig run = from.config();
        var given = spec.commandLine().getParseResult();
        if (given.hasMatchedOption("--preset") && !preset.equals(run.preset()))
            throw conflict(from, "--preset " + preset, "preset " + run.preset());
        var t = run.train();
        if (batch != null && batch != t.batchSize())
            throw conflict(from, "--batch " + batch, "batch " + t.batchSize());
        if (loss != null && LossKind.parse(loss) != t.loss())
            throw conflict(from, "--loss " + loss, "loss " + t.loss().id());
        if (objective != null && Objective.parse(objective) != t.objective())
            throw conflict(from, "--objective " + objective, "objective " + t.objective().id());
        if (orthoReg != null && orthoReg != t.orthoReg())
            throw conflict(from, "--ortho-reg " + orthoReg, "ortho-reg " + t.orthoReg());
        if (precision != null && PrecisionOption.resolve(precision, common.device().is_cuda()) != t.precision())
            throw conflict(from, "--precision " + precision, "precision " + t.precision().id());
        if (accumulate != null && accumulate != t.accumulation())
            throw conflict(from, "--accumulate " + accumulate, "accumulate " + t.accumulation());
        if (set != null && !ConfigOverrides.apply(run, set).equals(run))
            throw conflict(from, "--set " + String.join(" --set ", set), "other values of these settings");
        return run;
    }

    private static OptionException conflict(TrainingRun.Resumable from, String given, String runs) {
        return new OptionException(given + ": the run being resumed (" + from.checkpoint() + ") trains with " + runs
                + ", and a resumed run keeps its configuration; leave the option out, or start a new run in another --out");
    }

    /** {@code config} with {@code change} applied to its training settings; a value they refuse is a usage error. */
    private static RunConfig option(String given, RunConfig config,
                                    java.util.function.UnaryOperator<io.bigbigan.trainer.config.TrainConfig> change) {
        try {
            return config.withTrain(change.apply(config.train()));
        } catch (IllegalArgumentException e) {
            throw new OptionException(given + ": " + e.getMessage(), e);
        }
    }

    /**
     * On {@code --resume}: the options that decide the training batches and that were not given are taken from the
     * run's checkpoint ({@code --seed}, {@code --augment}, {@code --data}, {@code --train-limit},
     * {@code --test-limit}), so that the run continues with the batches an uninterrupted run would have seen; given
     * ones that contradict the checkpoint are refused ({@link CheckpointMetadata#checkResumable}).
     */
    private void takeRunSettings(RunSettings run) {
        var given = spec.commandLine().getParseResult();
        if (!given.hasMatchedOption("--seed")) {
            if (run.seed() != null) common.seed = run.seed();
            else System.err.println("bigbigan: warning: the checkpoint does not record the run's seed; continuing with"
                    + " --seed " + common.seed + " (give the run's --seed for the batches of an uninterrupted run)");
        }
        if (!given.hasMatchedOption("--augment")) augment = run.augment();
        if (dataOptions.data == null) dataOptions.data = run.data();
        if (dataOptions.trainLimit == null && run.trainImages() != null)
            dataOptions.trainLimit = Math.toIntExact(run.trainImages());
        if (dataOptions.testLimit == null && run.testImages() != null)
            dataOptions.testLimit = Math.toIntExact(run.testImages());
    }

    /** The side of the images the preset's networks read (folder data defaults to it). */
    static int imageSize(RunConfig config) {
        return config.model().modelKind().imageSize();
    }

    /** The image channels the preset's networks read. */
    static int imageChannels(RunConfig config) {
        return config.model().modelKind().imageChannels();
    }
}
