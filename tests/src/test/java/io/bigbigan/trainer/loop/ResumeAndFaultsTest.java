package io.bigbigan.trainer.loop;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.checkpoint.RunSettings;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.trainer.step.BiganTrainer;
import io.bigbigan.bindings.NonFiniteException;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resume equals uninterrupted (in new processes), interrupted saves, NaN stops, graceful stop requests. */
class ResumeAndFaultsTest {
    /** Runs the CLI in a new JVM with this test JVM's class path and flags; returns its exit code. */
    static int cli(Path log, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "io.bigbigan.tools.BigbiganCli"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", args));
        }
        return p.exitValue();
    }

    /** The exit code and the output (standard output, then error) of a CLI run. */
    record CliRun(int code, String output) {}

    /** Runs the CLI in this JVM (quicker than a new process). */
    static CliRun cliInProcess(String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        picocli.CommandLine cl = io.bigbigan.tools.BigbiganCli.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        int code;
        try (java.io.PrintStream ps = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8)) {
            System.setOut(ps);
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        return new CliRun(code, out.toString(java.nio.charset.StandardCharsets.UTF_8) + err);
    }

    static List<String> lossLines(Path metrics, long fromStep) throws IOException {
        return Files.readAllLines(metrics).stream().filter(l -> l.contains("\"loss_d\""))
                .filter(l -> Long.parseLong(l.replaceAll(".*\"step\":(\\d+).*", "$1")) >= fromStep)
                .map(l -> l.replaceAll(",\"images_per_s\":[^,}]*", "")).toList();
    }

    @Test
    void resumedRunInANewProcessIsBitIdentical(@TempDir Path dir) throws Exception {
        String[] common = {"--train-limit", "512", "--test-limit", "100", "--batch", "32", "--log-every", "1",
                "--no-eval", "--threads", "2", "--seed", "7"};
        Path a = dir.resolve("a"), b = dir.resolve("b");
        assertEquals(0, cli(dir.resolve("a.log"), concat(new String[]{"train", "--steps", "24", "--out", a.toString()}, common)));
        assertEquals(0, cli(dir.resolve("b1.log"), concat(new String[]{"train", "--steps", "13", "--out", b.toString()}, common)));
        assertEquals(0, cli(dir.resolve("b2.log"), concat(new String[]{"train", "--resume", "--steps", "24", "--out", b.toString()}, common)),
                Files.readString(dir.resolve("b2.log")));
        // the same losses for the resumed steps (13 batches of 32 cross the 16-batch epoch boundary)
        assertEquals(lossLines(a.resolve("metrics.jsonl"), 14), lossLines(b.resolve("metrics.jsonl"), 14));
        var wa = Safetensors.read(a.resolve("checkpoints/step-00000024.safetensors")).tensors();
        var wb = Safetensors.read(b.resolve("checkpoints/step-00000024.safetensors")).tensors();
        assertEquals(wa.keySet(), wb.keySet());
        for (String k : wa.keySet()) assertTrue(torch.equal(wa.get(k), wb.get(k)), k + " differs");
    }

    /**
     * {@code bigbigan resume RUN --steps N} names neither the seed nor the data limits of the run: the checkpoint
     * supplies them. (Before seeds and image counts were recorded, such a resume shuffled the data with the default
     * seed 1 over the whole training split, so from the first resumed step on it trained on other batches.)
     */
    @Test
    void resumeWithoutTheRunsOptionsTakesItsSeedAndDataFromTheCheckpoint(@TempDir Path dir) throws Exception {
        String[] common = {"--train-limit", "256", "--test-limit", "50", "--batch", "16", "--log-every", "1",
                "--no-eval", "--seed", "7"};
        Path a = dir.resolve("a"), b = dir.resolve("b");
        for (var run : List.of(concat(new String[]{"train", "--steps", "6", "--out", a.toString()}, common),
                concat(new String[]{"train", "--steps", "3", "--out", b.toString()}, common))) {
            CliRun r = cliInProcess(run);
            assertEquals(0, r.code(), r.output());
        }
        CliRun resumed = cliInProcess("resume", b.toString(), "--steps", "6", "--log-every", "1", "--no-eval");
        String out = resumed.output();
        assertEquals(0, resumed.code(), out);
        assertEquals(lossLines(a.resolve("metrics.jsonl"), 4), lossLines(b.resolve("metrics.jsonl"), 4));
        assertTrue(out.contains("(256 train / 50 test images)") && out.contains("seed 7, not augmented"), out);
        // ms/step of the steps this command ran, named as such
        assertTrue(out.contains("done: 3 steps (4 to 6, resumed after step 3), "), out);
        var wa = Safetensors.read(a.resolve("checkpoints/step-00000006.safetensors")).tensors();
        var wb = Safetensors.read(b.resolve("checkpoints/step-00000006.safetensors")).tensors();
        assertEquals(wa.keySet(), wb.keySet());
        for (String k : wa.keySet()) assertTrue(torch.equal(wa.get(k), wb.get(k)), k + " differs");
        CliRun nothingLeft = cliInProcess("resume", b.toString(), "--steps", "6", "--no-eval");
        assertEquals(1, nothingLeft.code(), nothingLeft.output());
        assertTrue(nothingLeft.output().contains("is already at step 6, nothing to train up to step"), nothingLeft.output());
        CliRun otherSeed = cliInProcess("resume", b.toString(), "--steps", "8", "--seed", "3", "--no-eval");
        assertEquals(1, otherSeed.code(), otherSeed.output());
        assertTrue(otherSeed.output().contains("was trained with --seed 7, not 3"), otherSeed.output());
    }

    /** Another seed, augmentation setting or training set would change the batches: resuming with one is refused. */
    @Test
    void resumingWithAnotherSeedAugmentationOrTrainingSetIsRefused(@TempDir Path dir) {
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 64, 1),
                SyntheticShapes.generate("test", 16, 2));
             DatasetSplits fewer = new DatasetSplits(SyntheticShapes.generate("train", 48, 1),
                     SyntheticShapes.generate("test", 16, 2))) {
            TrainingRun.run(CheckpointsTestConfigs.tiny(), data, TrainingRun.Options.of(dir, 2).seed(3).logEvery(1));
            var meta = Checkpoints.load(dir).metadata();
            assertEquals("3", meta.get("seed"));
            assertEquals("64", meta.get("train_images"));
            assertEquals("16", meta.get("test_images"));
            var seed = assertThrows(IllegalArgumentException.class, () -> TrainingRun.resume(TrainingRun.Resumable.find(dir), data, TrainingRun.Options.of(dir, 4).seed(4).logEvery(1)));
            assertTrue(seed.getMessage().contains("was trained with --seed 3, not 4"), seed.getMessage());
            var augment = assertThrows(IllegalArgumentException.class, () -> TrainingRun.resume(TrainingRun.Resumable.find(dir), data, TrainingRun.Options.of(dir, 4).seed(3).logEvery(1).augment(true)));
            assertTrue(augment.getMessage().contains("was trained without --augment"), augment.getMessage());
            var size = assertThrows(IllegalArgumentException.class, () -> TrainingRun.resume(TrainingRun.Resumable.find(dir), fewer, TrainingRun.Options.of(dir, 4).seed(3).logEvery(1)));
            assertTrue(size.getMessage().contains("was trained on 64 training images, the data given has 48"),
                    size.getMessage());
            var r = TrainingRun.resume(TrainingRun.Resumable.find(dir), data, TrainingRun.Options.of(dir, 4).seed(3).logEvery(1));
            assertEquals(4, r.last().step());
        }
    }

    @Test
    void anInterruptedSaveLeavesThePreviousCheckpointUsable(@TempDir Path dir) throws Exception {
        BiganTrainer t = new BiganTrainer(CheckpointsTestConfigs.tiny(), 5);
        Path good = Checkpoints.save(dir, t, RunSettings.NONE);
        // a later save killed after its optimiser file and half of its weights file: no manifest
        Files.copy(dir.resolve("step-00000000.optim.pt"), dir.resolve("step-00000009.optim.pt"));
        byte[] w = Files.readAllBytes(good);
        Files.write(dir.resolve("step-00000009.safetensors"), java.util.Arrays.copyOf(w, w.length / 2));
        assertEquals(good, Checkpoints.resolve(dir));
        // a complete checkpoint whose weights were later corrupted fails its checksum
        t.setStepCount(12);
        Path later = Checkpoints.save(dir, t, RunSettings.NONE);
        byte[] bytes = Files.readAllBytes(later);
        bytes[bytes.length - 1] ^= 1;
        Files.write(later, bytes);
        assertTrue(Checkpoints.verify(later).contains("checksum"), Checkpoints.verify(later));
        assertEquals(good, Checkpoints.resolve(dir));
        Checkpoints.restoreTrainingState(Checkpoints.load(dir));    // optimiser state of the good one restores
    }

    @Test
    void nanStopsBeforeTheOptimiserStep() {
        BiganTrainer t = new BiganTrainer(CheckpointsTestConfigs.tiny(), 5);
        Map<String, float[]> before = new java.util.HashMap<>();
        Modules.parameters(t.model()).forEach((k, v) -> before.put(k, Tensors.toFloats(v)));
        try (StepScope s = StepScope.open()) {
            Tensor nan = torch.full(new long[]{8, 784}, new org.bytedeco.pytorch.Scalar(Double.NaN));
            var e = assertThrows(NonFiniteException.class, () -> t.step(() -> nan));
            assertTrue(e.getMessage().contains("D loss is NaN at step 1"), e.getMessage());
        }
        Modules.parameters(t.model()).forEach((k, v) -> assertArrayEquals(before.get(k), Tensors.toFloats(v), k));
        assertEquals(0, t.stepCount());
    }

    @Test
    void aStopRequestFinishesTheStepAndCheckpoints(@TempDir Path dir) {
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 256, 1),
                SyntheticShapes.generate("test", 64, 2))) {
            int[] polls = {0};   // the loop polls once after every step
            var r = TrainingRun.run(CheckpointsTestConfigs.tiny(), data, TrainingRun.Options.of(dir, 100).seed(3).logEvery(1).stop(() -> ++polls[0] >= 5 ? "SIGTERM" : null));
            assertEquals("SIGTERM", r.stoppedBy());
            assertEquals(5, r.last().step());
            assertNotNull(r.checkpoint());
            assertEquals(dir.resolve("checkpoints/step-00000005.safetensors"), r.checkpoint());
            assertEquals(null, Checkpoints.verify(r.checkpoint()));
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
