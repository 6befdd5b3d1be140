package io.bigbigan.trainer.distributed;

import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.trainer.loop.TrainingRun;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A training process for {@link DataParallelTrainingTest}: {@code rank worldSize port outDir preset batch steps
 * dieAfterStep timeoutSeconds [resume]}. World size 1 trains alone (the reference); {@code dieAfterStep > 0} halts the JVM
 * (like a crash) after that step, {@code < 0} hangs for 60 s after step -dieAfterStep (a stuck peer); {@code resume} continues the run in outDir. A {@link ReplicaFailure} is printed as one line, exit code 1.
 */
public final class DataParallelWorker {
    public static void main(String[] a) {
        int rank = Integer.parseInt(a[0]), world = Integer.parseInt(a[1]), port = Integer.parseInt(a[2]);
        Path out = Path.of(a[3]);
        String preset = a[4];
        int batch = Integer.parseInt(a[5]);
        long steps = Long.parseLong(a[6]);
        long dieAfter = Long.parseLong(a[7]);
        int timeout = Integer.parseInt(a[8]);
        Torch.load();
        Torch.setThreads(1);
        RunConfig config = Presets.get(preset);
        // Adam's eps raised from 1e-8 to 1: gradient elements that are near zero by cancellation (biases right before
        // a batch norm; spectral-normed weights along themselves) carry float-rounding noise that differs between one
        // batch of 2b and two of b. Adam's first step moves each element by lr * g / (|g| + eps), so with a small eps
        // that noise becomes +-lr steps of random sign: on an AVX-512 CPU G's weights differed by 4.6e-5 (~lr) after
        // one step with eps 1e-4. With eps 1 the noise moves weights by ~lr * 1e-4, while large gradient elements
        // still move by up to lr, and a wrong gradient average (the BN backward hook left out) still changes the
        // step-1 gradient norms by 6-10%.
        var t = config.train().withBatchSize(batch);
        var o = t.optim();
        config = config.withTrain(new io.bigbigan.trainer.config.TrainConfig(t.batchSize(), t.dStepsPerGStep(), t.loss(),
                new io.bigbigan.trainer.config.OptimConfig(o.lrD(), o.lrG(), o.lrE(), o.beta1(), o.beta2(), 1.0),
                t.ema(), t.objective(), t.orthoReg(), t.precision(), t.accumulation()));
        DataParallel dp = world == 1 ? DataParallel.single()
                : DataParallel.connect(new ReplicaSetup(rank, world, "127.0.0.1", port, Duration.ofSeconds(timeout), "gloo"));
        long[] calls = {0};
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 64, 1),
                SyntheticShapes.generate("test", 16, 2))) {
            var opt = TrainingRun.Options.of(out, steps).seed(3).logEvery(1).checkpointEvery(1);
            java.util.function.Supplier<String> stop = () -> {
                if (dieAfter != 0 && ++calls[0] == Math.abs(dieAfter)) {
                    if (dieAfter > 0) Runtime.getRuntime().halt(9);
                    try {                                          // negative: hang (a stuck peer), then quit
                        Thread.sleep(60_000);
                    } catch (InterruptedException ignored) {
                        // fall through
                    }
                    Runtime.getRuntime().halt(8);
                }
                return null;
            };
            if (a.length > 9 && a[9].equals("resume")) TrainingRun.resume(TrainingRun.Resumable.find(opt.outDir()), data, opt.stop(stop).replicas(dp));
            else TrainingRun.run(config, data, opt.stop(stop).replicas(dp));
        } catch (ReplicaFailure e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }
}
