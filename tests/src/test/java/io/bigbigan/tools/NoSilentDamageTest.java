package io.bigbigan.tools;

import io.bigbigan.support.ChildJvm;
import io.bigbigan.trainer.loop.RunLock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.bigbigan.tools.CliSmokeTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No silent damage: one writer per run folder, a run folder is not trained over by accident, output paths are
 * checked before the work and named in errors, and a full disk while writing images is one line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NoSilentDamageTest {
    @TempDir
    static Path dir;
    static Path run;

    @BeforeAll
    static void setUp() {
        run = dir.resolve("run");
    }

    private static CliSmokeTest.Result train(Path out, int steps, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--steps", Integer.toString(steps), "--batch", "16", "--train-limit", "64",
                "--test-limit", "32", "--no-eval", "--log-every", "1", "--out", out.toString()));
        args.addAll(List.of(more));
        return cli(args.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void aSecondWriterIsRefusedWithTheHoldersPid() throws Exception {
        try (RunLock held = RunLock.acquire(run)) {
            var r = train(run, 2);
            assertEquals(2, r.code(), r.err());
            assertEquals("bigbigan train: error: " + run + " is in use by another bigbigan process (pid "
                    + ProcessHandle.current().pid() + "); wait for it to finish, or give another --out\n", r.err());
            assertFalse(Files.exists(run.resolve("checkpoints")));
        }
        var r = train(run, 2);                                 // released: the same folder trains
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-00000002.safetensors")));
    }

    @Test
    @Order(2)
    void trainingIntoAnEarlierRunIsRefusedUnlessOverwritten() throws Exception {
        String metrics = Files.readString(run.resolve("metrics.jsonl"));
        var r = train(run, 1);
        assertEquals(2, r.code(), r.err());
        assertEquals("bigbigan train: error: " + run + " already holds a run (checkpoints up to step 2); continue it"
                + " with bigbigan resume " + run + ", give a new --out, or --overwrite to empty it first\n", r.err());
        assertEquals(metrics, Files.readString(run.resolve("metrics.jsonl")));
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-00000002.safetensors")));

        var both = train(run, 1, "--overwrite", "--resume");
        assertEquals(2, both.code(), both.err());

        r = train(run, 1, "--overwrite");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--overwrite: emptied " + run + " (it held a run (checkpoints up to step 2))"), r.out());
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("step-00000002")).toList());
        }
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-00000001.safetensors")));
        List<String> steps = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("\"step\"")).map(l -> l.replaceAll(".*\"step\":(\\d+).*", "$1")).distinct().toList();
        assertEquals(List.of("1"), steps);
    }

    @Test
    @Order(3)
    void outputPathsAreCheckedBeforeTheWorkAndNamedInErrors() throws Exception {
        var r = cli("evaluate", "--checkpoint", run.toString(), "--json", "/nonexistent/dir/f.json");
        assertEquals(2, r.code(), r.err());
        assertEquals("bigbigan evaluate: usage error: --json /nonexistent/dir/f.json: the folder /nonexistent/dir does"
                + " not exist (see bigbigan evaluate --help)\n", r.err());
        assertFalse(r.out().contains("evaluating"), "before the evaluation: " + r.out());

        r = cli("sample", "--checkpoint", run.toString(), "--out", dir.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--out " + dir + ": is a folder; name a file"), r.err());
        r = cli("report", "--run", run.toString(), "--out", dir.toString());
        assertEquals(2, r.code(), r.err());
        assertFalse(r.err().contains(".tmp"), r.err());

        r = cli("report", "--run", run.toString(), "--out", "/proc/x.html");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--out /proc/x.html: cannot create files in /proc"), r.err());
    }

    @Test
    @Order(4)
    void leftoversOfKilledWritesBesideConvertAndEncodeOutputsAreRemoved() throws Exception {
        Path bundle = dir.resolve("model.bundle"), features = dir.resolve("f.npy");
        Path staleBundle = dir.resolve(".model.bundle.3f9ac01d.tmp"), staleFeatures = dir.resolve(".f.npy.7b2.tmp");
        Path other = dir.resolve(".other.bundle.3f9ac01d.tmp");
        for (Path p : List.of(staleBundle, staleFeatures, other)) Files.writeString(p, "partial");
        var r = cli("convert", run.toString(), bundle.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(staleBundle));
        Path png = dir.resolve("images/x.png");
        Files.createDirectories(png.getParent());
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY),
                "png", png.toFile());
        r = cli("encode", "--model", bundle.toString(), png.toString(), "--out", features.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(staleFeatures));
        assertTrue(Files.exists(other), "only the leftovers of the file written");
    }

    @Test
    @Order(5)
    void aFullDiskWhileWritingImagesIsOneLineNamingThePath() throws Exception {
        Path png = dir.resolve("big.png");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(ChildJvm.launcherFlags());
        cmd.addAll(List.of("-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), BigbiganCli.class.getName(),
                "sample", "--checkpoint", run.toString(), "--count", "100", "--scale", "4", "--out", png.toString()));
        // a file-size limit of 8 KiB: writes beyond it fail with EFBIG ("File too large"), as a full disk fails them
        String shell = "ulimit -f 8; exec " + String.join(" ", cmd.stream().map(a -> "'" + a + "'").toList());
        Path log = dir.resolve("full.log");
        Process p = new ProcessBuilder("bash", "-c", shell).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        String out = Files.readString(log);
        assertEquals(1, p.exitValue(), out);
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(List.of("bigbigan sample: error: " + png + ": File too large"), lines);
        assertFalse(Files.exists(png));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.filter(f -> f.getFileName().toString().startsWith(".big.png.")).toList());
        }
    }

    @Test
    @Order(6)
    void convertAndBundlesRefuseWrongTypesAndNonFiniteWeightsNamingTheTensor() throws Exception {
        Path bundle = dir.resolve("model.bundle"), dict = dir.resolve("model.safetensors");
        assertEquals(0, cli("convert", bundle.toString(), dict.toString()).code());
        var st = io.bigbigan.bindings.Safetensors.read(dict);
        String name = st.tensors().keySet().stream().filter(k -> k.endsWith("weight")).findFirst().orElseThrow();
        var half = new java.util.LinkedHashMap<>(st.tensors());
        half.put(name, st.tensors().get(name).to(org.bytedeco.pytorch.global.torch.ScalarType.Half));
        Path f16 = dir.resolve("f16.safetensors"), f16Bundle = dir.resolve("f16.bundle");
        io.bigbigan.bindings.Safetensors.write(f16, half, st.metadata());
        var r = cli("convert", f16.toString(), f16Bundle.toString());
        assertEquals(0, r.code(), r.err());                          // converted explicitly, with a warning
        assertEquals(org.bytedeco.pytorch.global.torch.ScalarType.Float,
                io.bigbigan.bindings.Safetensors.read(f16Bundle).tensors().get(name).scalar_type().intern());

        var bool = new java.util.LinkedHashMap<>(st.tensors());
        bool.put(name, st.tensors().get(name).gt(new org.bytedeco.pytorch.Scalar(0.0)));
        Path boolFile = dir.resolve("bool.safetensors");
        io.bigbigan.bindings.Safetensors.write(boolFile, bool, st.metadata());
        r = cli("convert", boolFile.toString(), dir.resolve("bool.bundle").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("dtype of " + name + ": BOOL vs expected F32"), r.err());
        assertFalse(Files.exists(dir.resolve("bool.bundle")));

        var nan = new java.util.LinkedHashMap<>(st.tensors());
        nan.put(name, st.tensors().get(name).clone().fill_(new org.bytedeco.pytorch.Scalar(Double.NaN)));
        Path nanFile = dir.resolve("nan.safetensors");
        io.bigbigan.bindings.Safetensors.write(nanFile, nan, st.metadata());
        r = cli("convert", nanFile.toString(), dir.resolve("nan.bundle").toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains(nanFile + ": tensor " + name + " holds NaN or Inf"), r.err());

        var c = io.bigbigan.api.Bundle.read(bundle);                 // a bundle with NaN weights (checksum intact)
        Path nanBundle = dir.resolve("nan.bundle");
        io.bigbigan.api.Bundle.write(nanBundle, new io.bigbigan.api.Bundle.Contents(c.config(), c.preprocessing(), nan,
                c.provenance()));
        r = cli("encode", "--model", nanBundle.toString(), dir.resolve("images").toString(), "--out",
                dir.resolve("nan.npy").toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains(nanBundle + ": tensor " + name + " holds NaN or Inf"), r.err());
        assertFalse(Files.exists(dir.resolve("nan.npy")));
    }

    @Test
    @Order(7)
    void aSecondSigtermStopsAtOnceAndSaysWhatStateTheRunIsIn() throws Exception {
        Path out = dir.resolve("signalled"), log = dir.resolve("signalled.log");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(ChildJvm.launcherFlags());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BigbiganCli.class.getName(), "train",
                "--steps", "100000", "--batch", "256", "--train-limit", "256", "--test-limit", "32", "--out", out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!Files.readString(log).contains("training bigan-mlp") && p.isAlive() && System.nanoTime() < deadline)
                Thread.sleep(200);
            assertTrue(Files.readString(log).contains("training bigan-mlp"), Files.readString(log));
            String pid = Long.toString(p.pid());              // the second while the first step still runs
            new ProcessBuilder("bash", "-c", "kill -TERM " + pid + "; sleep 0.05; kill -TERM " + pid).start().waitFor();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        assertEquals(143, p.exitValue(), text);
        assertTrue(text.contains("bigbigan: SIGTERM again: stopped at once (exit 143) without a checkpoint of the current"
                + " step; the run's checkpoints are complete files, so it continues from its newest one (bigbigan resume"
                + " RUN)"), text);
    }
}
