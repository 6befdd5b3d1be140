package io.bigbigan.trainer.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bigbigan.bindings.Archives;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.checkpoint.RunSettings;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.bindings.Json;
import io.bigbigan.trainer.step.BiganTrainer;
import io.bigbigan.bindings.NonFiniteException;
import io.bigbigan.trainer.step.StepTrainer;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.bigbigan.trainer.loop.ResumeAndFaultsTest.cliInProcess;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures found by probing the CLI as a user would: a full disk or an unwritable folder while writing a checkpoint,
 * signals after training, a killed {@code --nproc} launcher, damaged checkpoints, NaN/Inf in loaded state and in
 * gradient norms, crash leftovers on resume. Each test states how the failure was reproduced.
 */
class FailureHandlingTest {
    static final String[] SMALL = {"--train-limit", "256", "--test-limit", "50", "--batch", "32", "--no-eval",
            "--threads", "2"};

    /** A new CLI JVM (this JVM's class path and flags), optionally behind a shell prefix such as {@code ulimit -f}. */
    static Process start(Path log, String shellPrefix, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        if (shellPrefix != null) cmd.addAll(List.of("bash", "-c", shellPrefix + " && exec \"$@\"", "bash"));
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), "io.bigbigan.tools.BigbiganCli"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static int await(Process p, Path log) throws Exception {
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out:\n" + Files.readString(log));
        }
        return p.exitValue();
    }

    static String[] args(String[] head, String... tail) {
        return ResumeAndFaultsTest.concat(head, tail);
    }

    /** The error lines a run printed (the CLI's one-line errors, and anything that looks like a native backtrace). */
    static List<String> errorLines(String log) {
        return log.lines().filter(l -> l.contains("error:") || l.contains("frame #") || l.contains("c10::Error")
                || l.contains("terminate called")).toList();
    }

    static List<String> hiddenTemporaryFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".") && n.endsWith(".tmp")).toList();
        }
    }

    /**
     * 1. Reproduced with {@code train} into a 100 MB tmpfs (exit 134, {@code c10::Error} from
     * {@code ~PyTorchStreamWriter}, a {@code .tmp} left) and, unprivileged, with {@code ulimit -f} (same abort: the
     * JVM ignores SIGXFSZ, so the write fails with EFBIG like a full disk). Here: a run resumed under a file-size
     * limit that the 54 MB optimiser state exceeds and the 27 MB weights do not.
     */
    @Test
    void aWriteFailureInTheOptimiserStateIsOneLineAndThePreviousCheckpointStaysNewest(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, cliInProcess(args(new String[]{"train", "--steps", "1", "--out", run.toString()}, SMALL)).code());
        Path log = dir.resolve("resume.log");
        int code = await(start(log, "ulimit -f 40000", args(new String[]{"resume", run.toString(), "--steps", "2"},
                SMALL)), log);
        String out = Files.readString(log);
        assertEquals(1, code, out);
        List<String> errors = errorLines(out);
        assertEquals(1, errors.size(), out);
        assertTrue(errors.getFirst().contains("cannot write checkpoint step-00000002: " + run.resolve(
                "checkpoints/step-00000002.optim.pt")) && errors.getFirst().contains("File too large")
                && errors.getFirst().contains("the newest complete checkpoint is " + run.resolve(
                "checkpoints/step-00000001.safetensors")), errors.getFirst());
        Path checkpoints = run.resolve("checkpoints");
        assertEquals(List.of(), hiddenTemporaryFiles(checkpoints));
        assertEquals(List.of(checkpoints.resolve("step-00000001.safetensors")), Checkpoints.list(checkpoints));
        assertFalse(Files.exists(checkpoints.resolve("step-00000002.optim.pt")));
        assertEquals(checkpoints.resolve("step-00000001.safetensors"), Checkpoints.resolve(run));
    }

    /**
     * 2. Reproduced with a read-only bind mount over {@code checkpoints/} (root ignores permission bits): a 2.5 KB
     * C++ backtrace ({@code open file failed with strerror: Read-only file system}). Here: permission bits where they
     * apply, else (as root) a {@code checkpoints} link to {@code /sys/kernel}, where no one can create files.
     */
    @Test
    void anUnwritableCheckpointFolderIsOneLineWithThePath(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run"), checkpoints = run.resolve("checkpoints");
        Files.createDirectories(checkpoints);
        Files.setPosixFilePermissions(checkpoints, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            if (Files.isWritable(checkpoints)) {                      // root: permission bits do not stop it
                Assumptions.assumeTrue(Files.isDirectory(Path.of("/sys/kernel")), "no /sys/kernel");
                Files.delete(checkpoints);
                Files.createSymbolicLink(checkpoints, Path.of("/sys/kernel"));
            }
            var r = cliInProcess(args(new String[]{"train", "--steps", "1", "--out", run.toString()}, SMALL));
            assertEquals(1, r.code(), r.output());
            List<String> errors = errorLines(r.output());
            assertEquals(1, errors.size(), r.output());
            String line = errors.getFirst();
            assertTrue(line.contains("cannot write checkpoint step-00000001: "
                    + checkpoints.resolve("step-00000001.optim.pt") + ": ") && line.length() < 400, line);
            assertTrue(line.contains("there is no complete checkpoint"), line);
        } finally {
            if (Files.isSymbolicLink(checkpoints)) Files.delete(checkpoints);
            else Files.setPosixFilePermissions(checkpoints, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /**
     * 4. Reproduced by sending SIGTERM to {@code train --steps 2} once it had printed its checkpoint: the evaluation
     * ran on for 67 s and the process exited 0. Now the signal ends it at once with exit 4.
     */
    @Test
    void sigtermAfterTheLastCheckpointEndsTheFinalEvaluationWithExit4(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run"), log = dir.resolve("train.log");
        // the default 12,000 synthetic training images: the final evaluation takes tens of seconds
        Process p = start(log, null, "train", "--steps", "2", "--batch", "32", "--threads", "2", "--out", run.toString());
        Path manifest = run.resolve("checkpoints/step-00000002.manifest.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!Files.exists(manifest) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(Files.exists(manifest), Files.readString(log));
        Thread.sleep(500);
        p.destroy();                                                  // SIGTERM
        long t0 = System.nanoTime();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM:\n" + Files.readString(log));
        double seconds = (System.nanoTime() - t0) / 1e9;
        String out = Files.readString(log);
        assertEquals(4, p.exitValue(), out);
        assertTrue(out.contains("SIGTERM"), out);
        assertFalse(Files.exists(run.resolve("evaluation.txt")), "the evaluation was not cut short");
        assertNull(Checkpoints.verify(run.resolve("checkpoints/step-00000002.safetensors")));
        System.out.printf("exited %.1f s after SIGTERM%n", seconds);
    }

    /**
     * 5. Reproduced with {@code kill -9} of {@code train --nproc 2}: both workers trained on and wrote checkpoints
     * until killed by hand. Now they notice the launcher is gone and stop after the step, with a checkpoint.
     */
    @Test
    void workersStopWhenTheirLauncherIsKilled(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run"), log = dir.resolve("launcher.log");
        Process launcher = start(log, null, "train", "--nproc", "2", "--steps", "1000", "--batch", "8",
                "--train-limit", "512", "--test-limit", "64", "--log-every", "1", "--no-eval", "--out", run.toString());
        Path metrics = run.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while ((!Files.exists(metrics) || Files.size(metrics) == 0) && launcher.isAlive() && System.nanoTime() < deadline)
            Thread.sleep(100);
        List<ProcessHandle> workers = launcher.toHandle().children().toList();
        assertEquals(2, workers.size(), Files.readString(log));
        launcher.destroyForcibly();                                   // SIGKILL: it cannot pass anything on
        launcher.waitFor();
        for (ProcessHandle w : workers) {
            try {
                w.onExit().get(120, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                workers.forEach(ProcessHandle::destroyForcibly);
                throw new AssertionError("a worker still runs 120 s after its launcher was killed:\n" + Files.readString(log));
            }
        }
        String out = Files.readString(log);
        assertTrue(out.contains("--nproc launcher"), out);
        Path newest = Checkpoints.newestComplete(run.resolve("checkpoints"));
        assertNotNull(newest, out);                                   // stopped after the step, with a checkpoint
        assertFalse(newest.getFileName().toString().equals("step-00001000.safetensors"), out);
    }

    /**
     * 6. Reproduced by flipping a byte of a checkpoint's weights: {@code inspect} said checksum mismatch,
     * {@code sample} and {@code convert} used the file without a word when it was named directly.
     */
    @Test
    void aDamagedCheckpointNamedDirectlyIsRefusedWherePossibleAndDescribedByInspect(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, cliInProcess(args(new String[]{"train", "--steps", "1", "--out", run.toString()}, SMALL)).code());
        Path weights = run.resolve("checkpoints/step-00000001.safetensors");
        byte[] b = Files.readAllBytes(weights);
        b[b.length - 5] ^= 0x40;
        Files.write(weights, b);
        for (String[] cmd : List.of(
                new String[]{"sample", "--checkpoint", weights.toString(), "--out", dir.resolve("s.png").toString()},
                new String[]{"convert", weights.toString(), dir.resolve("m.bundle").toString()},
                new String[]{"evaluate", "--checkpoint", weights.toString()})) {
            var r = cliInProcess(cmd);
            assertEquals(1, r.code(), r.output());
            assertTrue(r.output().contains(weights + ": does not match its manifest")
                    && r.output().contains("checksum mismatch"), r.output());
        }
        assertFalse(Files.exists(dir.resolve("s.png")));
        var inspect = cliInProcess("inspect", "--checkpoint", weights.toString());
        assertEquals(0, inspect.code(), inspect.output());
        assertTrue(inspect.output().contains("complete    no: step-00000001.safetensors: checksum mismatch"), inspect.output());
    }

    /** 7. Reproduced with {@code resume RUN --steps 1} on a run at step 2: a NullPointerException's text. */
    @Test
    void resumingToAStepAlreadyReachedSaysSo(@TempDir Path dir) {
        Path run = dir.resolve("run");
        assertEquals(0, cliInProcess(args(new String[]{"train", "--steps", "2", "--out", run.toString()}, SMALL)).code());
        for (String steps : new String[]{"1", "2"}) {
            var r = cliInProcess("resume", run.toString(), "--steps", steps, "--no-eval");
            assertEquals(1, r.code(), r.output());
            assertTrue(r.output().contains("is already at step 2, nothing to train up to step " + steps)
                    && !r.output().contains("Exception"), r.output());
        }
    }

    /**
     * 8. Reproduced by killing a run after it had logged steps past its last checkpoint, with a write in flight:
     * the resumed run left the {@code .tmp} file and logged those steps a second time.
     */
    @Test
    void aResumeRemovesCrashLeftoversAndLogsEachStepOnce(@TempDir Path dir) throws Exception {
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 64, 1),
                SyntheticShapes.generate("test", 16, 2))) {
            TrainingRun.run(CheckpointsTestConfigs.tiny(), data, TrainingRun.Options.of(dir, 6).seed(3).logEvery(1).checkpointEvery(3));
            // as if killed after logging step 6 but before its checkpoint was complete, with writes in flight
            Path checkpoints = dir.resolve("checkpoints");
            Files.delete(checkpoints.resolve("step-00000006.manifest.json"));
            Files.delete(checkpoints.resolve("step-00000006.safetensors"));
            Files.write(checkpoints.resolve(".step-00000006.safetensors.5f3a9c.tmp"), new byte[1000]);
            Files.write(checkpoints.resolve(".step-00000006.optim.pt.tmp"), new byte[1000]);   // older builds' name
            Files.write(dir.resolve("images/.samples-00000006.png.77aa.tmp"), new byte[10]);
            Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\":6,\"loss_d\":0.6", java.nio.file.StandardOpenOption.APPEND);
            assertEquals(checkpoints.resolve("step-00000003.safetensors"), Checkpoints.resolve(dir));

            TrainingRun.resume(TrainingRun.Resumable.find(dir), data, TrainingRun.Options.of(dir, 6).seed(3).logEvery(1).checkpointEvery(3));
            assertEquals(List.of(), hiddenTemporaryFiles(checkpoints));
            assertEquals(List.of(), hiddenTemporaryFiles(dir.resolve("images")));
            List<Long> lossSteps = new ArrayList<>();
            for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
                var n = Json.MAPPER.readTree(line);                    // every line is complete JSON
                if (n.has("loss_d")) lossSteps.add(n.get("step").asLong());
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), lossSteps);
        }
    }

    /**
     * 9a. Reproduced by writing NaN into G's Adam moments in a checkpoint (with a matching manifest): {@code resume
     * --steps 3} exited 0 with all 1,909,520 values of G NaN in the step-3 checkpoint. Now loading it stops with
     * exit 3, and {@link Checkpoints#save} refuses such a state.
     */
    @Test
    void aCheckpointWithNonFiniteOptimiserStateOrWeightsIsRefusedWithExit3(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, cliInProcess(args(new String[]{"train", "--steps", "2", "--out", run.toString()}, SMALL)).code());
        Path weights = run.resolve("checkpoints/step-00000002.safetensors");
        var loaded = Checkpoints.load(run);
        Checkpoints.restoreTrainingState(loaded);
        StepTrainer t = loaded.trainer();
        for (Tensor p : Modules.parameters(t.model()).values())          // NaN gradients into G's Adam state: G's
            p.sum().mul(new Scalar(Double.NaN)).backward();              // update ends the step, so before the fix
        t.optimizers().get("optG").step();                               // its NaN weights went into the checkpoint
        assertNotNull(t.optimizers().get("optG").firstNonFinite());
        assertNull(t.optimizers().get("optD").firstNonFinite());
        t.loadState(Safetensors.read(weights).tensors());               // finite weights again, damaged moments
        var e = assertThrows(NonFiniteException.class, () -> Checkpoints.save(dir.resolve("other"), t, RunSettings.NONE));
        assertTrue(e.getMessage().contains("optimiser state") && e.getMessage().contains("no checkpoint written"),
                e.getMessage());
        OutputArchive root = new OutputArchive();                       // written anyway, as a damaged file would be
        for (var o : t.optimizers().entrySet()) {
            OutputArchive a = new OutputArchive();
            o.getValue().save(a);
            root.write(o.getKey(), a);
        }
        for (var g : t.generators().entrySet()) root.write(g.getKey(), g.getValue().get_state());
        root.write("step", new IValue(2L));
        Path optim = run.resolve("checkpoints/step-00000002.optim.pt");
        Archives.save(root, optim);
        refreshManifest(weights);
        assertNull(Checkpoints.verify(weights));

        var r = cliInProcess("resume", run.toString(), "--steps", "3", "--no-eval");
        assertEquals(3, r.code(), r.output());
        assertTrue(r.output().contains(optim + ": optimiser state") && r.output().contains("NaN"), r.output());
        assertEquals(List.of(weights), Checkpoints.list(run.resolve("checkpoints")));

        var st = Safetensors.read(weights);                             // and NaN in a weight
        Map<String, Tensor> tensors = new LinkedHashMap<>(st.tensors());
        tensors.get("G.fc1.weight").view(-1).narrow(0, 3, 1).fill_(new Scalar(Double.NaN));
        Safetensors.write(weights, tensors, st.metadata());
        refreshManifest(weights);
        var s = cliInProcess("sample", "--checkpoint", run.toString(), "--out", dir.resolve("s.png").toString());
        assertEquals(3, s.code(), s.output());
        assertTrue(s.output().contains("tensor G.fc1.weight holds NaN or Inf"), s.output());
        var inspect = cliInProcess("inspect", "--checkpoint", run.toString());
        assertTrue(inspect.output().contains("finite      no: G.fc1.weight"), inspect.output());
    }

    /** Rewrites a checkpoint's manifest for its current files (what a damaged state with a valid manifest needs). */
    static void refreshManifest(Path weights) throws IOException {
        Path manifest = weights.resolveSibling(weights.getFileName().toString().replace(".safetensors", ".manifest.json"));
        ObjectNode m = (ObjectNode) Json.MAPPER.readTree(manifest.toFile());
        ObjectNode files = (ObjectNode) m.get("files");
        for (var it = files.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            Path f = weights.resolveSibling(name);
            ((ObjectNode) files.get(name)).put("bytes", Files.size(f)).put("sha256", Checkpoints.sha256(f));
        }
        Files.write(manifest, Json.MAPPER.writeValueAsBytes(m));
    }

    /**
     * 9b. Reported with a huge learning rate: gradient norms became Infinity (written as the JSON string
     * "Infinity") and losses 1e25, exit 0. Reproduced here on the old code: images of 1e19 make every gradient finite
     * but their squared sum overflow float32 (grad_norm_d Infinity, loss 8.9e16, the step taken). Now the step stops
     * before the optimiser (exit 3 in the CLI) and the weights stay.
     */
    @Test
    void anInfiniteGradientNormStopsBeforeTheOptimiserStep() {
        BiganTrainer t = new BiganTrainer(CheckpointsTestConfigs.tiny(), 5);
        Map<String, float[]> before = new LinkedHashMap<>();
        Modules.parameters(t.model()).forEach((k, v) -> before.put(k, io.bigbigan.bindings.Tensors.toFloats(v)));
        try (StepScope s = StepScope.open()) {
            Tensor huge = torch.full(new long[]{8, 784}, new Scalar(1e19));
            var e = assertThrows(NonFiniteException.class, () -> t.step(() -> huge));
            assertTrue(e.getMessage().contains("gradient norm of D is Infinity at step 1"), e.getMessage());
        }
        Modules.parameters(t.model()).forEach((k, v) ->
                org.junit.jupiter.api.Assertions.assertArrayEquals(before.get(k), io.bigbigan.bindings.Tensors.toFloats(v), k));
        assertEquals(0, t.stepCount());
    }

    /** 9c. Non-finite numbers are written as null: every metrics line is standard JSON with numeric columns. */
    @Test
    void nonFiniteMetricsAreWrittenAsNull(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("step", 1);
        rec.put("grad_norm_d", Double.POSITIVE_INFINITY);
        rec.put("loss_d", Double.NaN);
        rec.put("acc_d", 0.5f);
        rec.put("tiny", Float.NEGATIVE_INFINITY);
        try (MetricsLog log = new MetricsLog(f)) {
            log.write(rec);
        }
        assertEquals("{\"step\":1,\"grad_norm_d\":null,\"loss_d\":null,\"acc_d\":0.5,\"tiny\":null}",
                Files.readString(f).strip());
        var tree = Json.MAPPER.createObjectNode().put("x", Double.NaN);   // trees too (diagnostics.json)
        assertEquals("{\"x\":null}", Json.MAPPER.writeValueAsString(tree));
    }

    /** A valid PNG of {@code w x h} grey pixels of one value (small on disk: it deflates to ~1/1000). */
    static void uniformPng(Path f, int w, int h, int value) throws IOException {
        java.io.ByteArrayOutputStream idat = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.DeflaterOutputStream(idat, new java.util.zip.Deflater(6), 1 << 16)) {
            byte[] row = new byte[w + 1];                               // filter byte 0, then the row
            java.util.Arrays.fill(row, 1, row.length, (byte) value);
            for (int y = 0; y < h; y++) z.write(row);
        }
        try (var out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(f)))) {
            out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            chunk(out, "IHDR", java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0)
                    .put((byte) 0).put((byte) 0).put((byte) 0).array());
            chunk(out, "IDAT", idat.toByteArray());
            chunk(out, "IEND", new byte[0]);
        }
    }

    private static void chunk(java.io.DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt(data.length);
        out.write(t);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }

    /**
     * 3 and 10 (hint). Reproduced with a 389 KB PNG of 20000 x 20000 pixels in a {@code folder:} data set: the heap
     * ran out ("image folder decoding failed: java.lang.OutOfMemoryError: Java heap space", no file named), also with
     * {@code --on-bad-image skip}. Now its header is read first: refused naming the file and the limit, or skipped.
     */
    @Test
    void aHugeImageIsRefusedFromItsHeaderNamingTheFileOrSkipped(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("imgs");
        for (int i = 0; i < 8; i++) {
            Files.createDirectories(data.resolve("c" + i % 2));
            uniformPng(data.resolve("c" + i % 2 + "/" + i + ".png"), 28, 28, 30 * i);
        }
        Path huge = data.resolve("c1/huge.png");
        uniformPng(huge, 20_000, 20_000, 0);
        assertTrue(Files.size(huge) < 1_000_000, "size " + Files.size(huge));
        var tooLarge = assertThrows(io.bigbigan.model.images.ImageFiles.TooLargeException.class,
                () -> io.bigbigan.model.images.ImageFiles.read(huge, io.bigbigan.model.images.ImageFiles.DEFAULT_MAX_PIXELS));
        assertTrue(tooLarge.getMessage().startsWith("20000x20000 = 400,000,000 pixels exceeds the limit of 50,000,000"),
                tooLarge.getMessage());
        String[] train = {"train", "--data", "folder:" + data, "--steps", "1", "--batch", "4", "--no-eval",
                "--out", dir.resolve("run").toString()};
        var fail = cliInProcess(train);
        assertEquals(1, fail.code(), fail.output());
        assertTrue(fail.output().contains(huge + ": cannot decode image (20000x20000 = 400,000,000 pixels exceeds")
                && fail.output().contains("use --on-bad-image skip") && !fail.output().contains("OnBadImage"),
                fail.output());
        var skip = cliInProcess(args(train, "--on-bad-image", "skip"));
        assertEquals(0, skip.code(), skip.output());
        var limit = cliInProcess(args(train, "--max-image-pixels", "500", "--overwrite"));   // 28 x 28 = 784 pixels: all refused
        assertEquals(1, limit.code(), limit.output());
        assertTrue(limit.output().contains("28x28 = 784 pixels exceeds the limit of 500"), limit.output());
    }

    /**
     * 10. Reproduced: {@code --steps 0}, {@code --batch 1}, {@code sample --count 0} exited 1 (not 2, usage);
     * {@code --out} at a file printed only the path; {@code train --resume --nproc 2} of a one-rank run printed its
     * refusal once per rank.
     */
    @Test
    void messagesAndExitCodesOfBadOptions(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, cliInProcess(args(new String[]{"train", "--steps", "1", "--out", run.toString()}, SMALL)).code());
        for (String[] bad : List.of(new String[]{"train", "--steps", "0"}, new String[]{"train", "--batch", "1"},
                new String[]{"train", "--log-every", "0"}, new String[]{"train", "--epochs", "-1"},
                new String[]{"train", "--data", "folder:" + dir, "--image-size", "0"},
                new String[]{"train", "--train-limit", "0"}, new String[]{"train", "--threads", "-2"},
                new String[]{"sample", "--checkpoint", run.toString(), "--count", "0"},
                new String[]{"train", "--nproc", "0"}, new String[]{"train", "--on-bad-image", "maybe"})) {
            var r = cliInProcess(args(bad, "--out", dir.resolve("unused").toString()));
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.output());
            assertTrue(r.output().contains("usage error: " + bad[bad.length - 2]), r.output());
        }
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        var out = cliInProcess("train", "--steps", "1", "--out", file.toString());
        assertEquals(2, out.code(), out.output());
        assertTrue(out.output().contains("--out " + file + ": is a file"), out.output());
        var diagnose = cliInProcess("diagnose", "--checkpoint", run.toString(), "--out", file.toString());
        assertEquals(2, diagnose.code(), diagnose.output());
        assertTrue(diagnose.output().contains("--out " + file + ": is a file; name a folder"), diagnose.output());
        var ranks = cliInProcess("train", "--resume", "--nproc", "2", "--out", run.toString(), "--steps", "3");
        assertEquals(1, ranks.code(), ranks.output());
        assertEquals(1, ranks.output().split("was trained on 1 rank\\(s\\); resume it with --nproc 1", -1).length - 1,
                ranks.output());
        assertFalse(ranks.output().contains("[rank"), ranks.output());
    }
}
