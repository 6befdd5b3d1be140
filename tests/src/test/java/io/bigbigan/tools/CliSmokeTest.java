package io.bigbigan.tools;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every CLI command, smoke-run on small data: exit code, output files and the lines users read. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliSmokeTest {
    @TempDir
    static Path dir;
    static Path run;

    /**
     * Exit code, standard output and standard error of one command: {@code err} what picocli's error writer
     * received (usage and error lines), {@code log} what went to {@code System.err} (progress, notices).
     */
    record Result(int code, String out, String err, String log) {}

    static Result cli(String... args) {
        StringWriter err = new StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), log = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        int code;
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream es = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            System.setErr(es);              // before the command line is built: it must not see this stream as its err
            CommandLine cl = BigbiganCli.commandLine();
            cl.setErr(new PrintWriter(err, true));
            code = cl.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        String o = out.toString(StandardCharsets.UTF_8), l = log.toString(StandardCharsets.UTF_8);
        System.out.print(o);
        System.err.print(l);
        return new Result(code, o, err.toString(), l);
    }

    @BeforeAll
    static void setUp() {
        run = dir.resolve("run");
    }

    @Test
    @Order(1)
    void train() throws Exception {
        Result r = cli("train", "--steps", "30", "--batch", "32", "--train-limit", "600", "--test-limit", "300",
                "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("done: 30 steps"), r.out());
        assertTrue(r.out().contains("raw pixels") && r.out().contains("E(x)"), r.out());
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-00000030.safetensors")));
        assertTrue(Files.isRegularFile(run.resolve("evaluation.txt")));
        // a short run logs every step by default
        try (var lines = Files.lines(run.resolve("metrics.jsonl"))) {
            assertEquals(30, lines.filter(l -> l.contains("\"loss_d\"")).count());
        }
        // the final evaluation reports each feature space as it finishes, as evaluate does
        assertTrue(r.log().contains("evaluating the encoder on 600 train / 300 test images"), r.log());
        for (String space : java.util.List.of("raw pixels", "E(x)", "E penultimate"))
            assertTrue(r.log().contains(space + ": k-NN done in ") && r.log().contains(space + ": linear probe done in "),
                    space + " in " + r.log());
    }

    @Test
    void logEveryDefaultScalesWithTheSteps() {
        assertEquals(1, TrainCommand.defaultLogEvery(1));
        assertEquals(1, TrainCommand.defaultLogEvery(20));
        assertEquals(1, TrainCommand.defaultLogEvery(99));
        assertEquals(2, TrainCommand.defaultLogEvery(100));
        assertEquals(30, TrainCommand.defaultLogEvery(1500));
        assertEquals(50, TrainCommand.defaultLogEvery(2500));
        assertEquals(50, TrainCommand.defaultLogEvery(1_000_000));
    }

    @Test
    @Order(2)
    void evaluate() {
        Result r = cli("evaluate", "--checkpoint", run.toString(), "--train-limit", "600", "--test-limit", "300");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("step 30") && r.out().contains("raw pixels") && r.out().contains(", fp32"), r.out());
        Result bf16 = cli("evaluate", "--checkpoint", run.toString(), "--train-limit", "600", "--test-limit", "300",
                "--metrics", "knn,recon", "--precision", "bf16");
        assertEquals(0, bf16.code(), bf16.err());
        assertTrue(bf16.out().contains(", bf16") && bf16.out().contains("E penultimate")
                && bf16.out().contains("reconstruction"), bf16.out());
        Result bad = cli("evaluate", "--checkpoint", run.toString(), "--precision", "fp16");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--precision") && bad.err().contains("fp32, bf16 or auto"), bad.err());
    }

    @Test
    @Order(3)
    void sample() throws Exception {
        Path png = dir.resolve("s.png");
        Result r = cli("sample", "--checkpoint", run.toString(), "--count", "12", "--cols", "4", "--scale", "1",
                "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        var img = ImageIO.read(png.toFile());
        assertEquals(4 * 28 + 3 * 2, img.getWidth());
        assertEquals(3 * 28 + 2 * 2, img.getHeight());
    }

    @Test
    @Order(4)
    void reconstruct() {
        Path png = dir.resolve("r.png");
        Result r = cli("reconstruct", "--checkpoint", run.resolve("checkpoints/step-00000030.safetensors").toString(),
                "--count", "10", "--test-limit", "300", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(png));
        assertTrue(r.out().contains("reconstruction error"), r.out());
    }

    @Test
    @Order(4)
    void inspect() {
        Result r = cli("inspect", "--checkpoint", run.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("step        30") && r.out().contains("complete    yes")
                && r.out().contains("parameters  6,771,523") && r.out().matches("(?s).*sha256 +[0-9a-f]{64}.*"), r.out());
        Result json = cli("inspect", "--checkpoint", run.toString(), "--json");
        assertEquals(0, json.code(), json.err());
        var j = assertDoesNotThrow(() -> new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()));
        assertEquals(30, j.get("step").asLong());
        assertEquals(6_771_523, j.get("parameters").asLong());
        assertTrue(j.get("complete").asBoolean() && j.get("problem").isNull());
        assertTrue(r.out().contains("sha256      " + j.get("sha256").asText()), r.out());
        assertEquals("bigan-mlp", j.get("config").get("preset").asText());
        assertEquals("bigbigan-checkpoint", j.get("metadata").get("format").asText());
        assertEquals(Long.parseLong(r.out().replaceAll("(?s).*\\{D=(\\d+),.*", "$1")), j.get("tensor_elements").get("D").asLong());
        assertTrue(r.out().contains("libtorch    2.10.0\n") && r.out().contains("javacpp     preset 1.5.13 "), r.out());
        // provenance: the program that wrote the checkpoint, and when
        String version = io.bigbigan.nativelib.Provenance.projectVersion();
        assertTrue(r.out().contains("bigbigan    " + version + "\n") && r.out().matches("(?s).*\nwritten     \\d{4}-.*")
                && r.out().contains("java        " + System.getProperty("java.version")) && r.out().contains("os          "),
                r.out());
        assertEquals(version, j.get("bigbigan_version").asText());
        assertDoesNotThrow(() -> java.time.Instant.parse(j.get("written_at").asText()));
        assertTrue(j.get("java").isTextual() && j.get("os").isTextual(), json.out());
        assertEquals(java.util.List.of("bigbigan " + version),                 // --version
                java.util.List.of(BigbiganCli.commandLine().getCommandSpec().version()));
        // a checkpoint written before provenance was recorded: ? in text, null in JSON
        Path old = dir.resolve("old.safetensors");
        var st = io.bigbigan.bindings.Safetensors.read(run.resolve("checkpoints/step-00000030.safetensors"));
        var meta = new java.util.LinkedHashMap<>(st.metadata());
        meta.keySet().removeAll(java.util.List.of("bigbigan_version", "written_at", "java", "os"));
        io.bigbigan.bindings.Safetensors.write(old, st.tensors(), meta);
        Result o = cli("inspect", "--checkpoint", old.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("bigbigan    ?\nwritten     ?\njava        ?\nos          ?\n"), o.out());
        Result oj = cli("inspect", "--checkpoint", old.toString(), "--json");
        var ojj = assertDoesNotThrow(() -> new com.fasterxml.jackson.databind.ObjectMapper().readTree(oj.out()));
        for (String k : new String[]{"bigbigan_version", "written_at", "java", "os"})
            assertTrue(ojj.get(k).isNull(), oj.out());
    }

    @Test
    @Order(5)
    void infoAndBench() {
        Result info = cli("info");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("pytorch   2.10.0"), info.out());
        assertTrue(info.out().contains("cpu       flags") && info.out().contains("--precision auto:"), info.out());
        Result bench = cli("bench", "--steps", "3", "--warmup", "1", "--threads", "2", "--batch", "16");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.out().contains("params 6771523"), bench.out());
        assertTrue(bench.out().matches("(?s).*ms/step \\d+\\.\\d+.*"), bench.out());
        // bigan-mlp at batch 16, per sample G 1,902,592 + E 1,902,592 MACs once (the E/G update reuses the D
        // update's E(x) and G(z)) and D 2 x 2,952,192 MACs in each update: 16 x 15,613,952 MACs x 2 FLOPs = 0.50 GFLOP
        assertTrue(bench.out().contains("device cpu") && bench.out().contains("(forward 0.50,"), bench.out());
        assertTrue(bench.out().matches("(?s).*achieved \\d+\\.\\d+ TFLOP/s = \\d+\\.\\d GFLOP/s.*"), bench.out());
        assertTrue(bench.out().matches("(?s).*gemm ceiling \\(torch.mm 2048\\^3, 2 threads\\): fp32 \\d+\\.\\d GFLOP/s, "
                + "bf16 \\d+\\.\\d GFLOP/s.*this step: \\d+\\.\\d% of the fp32 ceiling.*"), bench.out());
        Result bf16 = cli("bench", "--steps", "2", "--warmup", "1", "--batch", "16", "--precision", "bf16", "--profile",
                "--no-ceiling");
        assertEquals(0, bf16.code(), bf16.err());
        assertTrue(bf16.out().contains("precision bf16") && bf16.out().contains("E/G step: backward")
                && !bf16.out().contains("gemm ceiling"), bf16.out());
        Result auto = cli("bench", "--steps", "1", "--warmup", "0", "--batch", "16", "--precision", "auto", "--no-ceiling");
        assertEquals(0, auto.code(), auto.err());
        String expected = io.bigbigan.nativelib.CpuFeatures.host().nativeBf16() ? "bf16" : "fp32";
        assertTrue(auto.out().contains("precision " + expected), auto.out());
    }

    @Test
    @Order(6)
    void presetsAndBigBiganBench() {
        Result presets = cli("presets", "--preset", "bigbigan-32", "--json");
        assertEquals(0, presets.code(), presets.err());
        assertTrue(presets.out().contains("4,369,236") && presets.out().contains("F 1,051,265"), presets.out());
        Result bench = cli("bench", "--preset", "bigbigan-32", "--batch", "4", "--steps", "2", "--warmup", "0",
                "--profile");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.out().contains("params 4369236") && bench.out().contains("D step: backward"), bench.out());
        assertTrue(bench.out().contains("channels-last"), bench.out());
        Path bb = dir.resolve("bb");
        Result train = cli("train", "--preset", "bigbigan-32", "--steps", "2", "--batch", "4", "--train-limit", "64",
                "--test-limit", "32", "--out", bb.toString(), "--log-every", "1");
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("E mu") && train.out().contains("E pooled"), train.out());
        Result resume = cli("resume", bb.toString(), "--steps", "3", "--train-limit", "64", "--test-limit", "32",
                "--no-eval");
        assertEquals(0, resume.code(), resume.err());
        assertTrue(Files.isRegularFile(bb.resolve("checkpoints/step-00000003.manifest.json")));
        Result sample = cli("sample", "--checkpoint", bb.toString(), "--count", "4", "--out", dir.resolve("bb.png").toString());
        assertEquals(0, sample.code(), sample.err());
        Result live = cli("sample", "--checkpoint", bb.toString(), "--weights", "live", "--count", "4", "--out",
                dir.resolve("bb-live.png").toString());
        assertEquals(0, live.code(), live.err());
        // fp64 through the whole command: the end-of-run grids and reconstructions feed float32 latents to a
        // float64 G (they used to fail after training with "mat1 and mat2 must have the same dtype")
        Path bb64 = dir.resolve("bb64");
        Result fp64 = cli("train", "--preset", "bigbigan-32", "--steps", "1", "--batch", "4", "--train-limit", "64",
                "--test-limit", "32", "--out", bb64.toString(), "--precision", "fp64");
        assertEquals(0, fp64.code(), fp64.err());
        assertTrue(fp64.out().contains("fp64") && fp64.out().contains("E pooled"), fp64.out());
    }

    /**
     * {@code sample} writes images at the data's own size: bigbigan-32 trained on 28 px shapes (padded to 32 px)
     * gives 28 px images, the centre of G(z); --individual images are not enlarged unless --scale says so.
     */
    @Test
    @Order(7)
    void samplesHaveTheDataSize() throws Exception {
        Path bb = dir.resolve("bb"), indiv = dir.resolve("bb-indiv"), grid = dir.resolve("bb-grid.png");
        Result r = cli("sample", "--checkpoint", bb.toString(), "--count", "4", "--cols", "2", "--seed", "3",
                "--individual", indiv.toString(), "--out", grid.toString());
        assertEquals(0, r.code(), r.err());
        var one = ImageIO.read(indiv.resolve("sample-0000.png").toFile());
        assertEquals(28, one.getWidth());
        assertEquals(28, one.getHeight());
        var g = ImageIO.read(grid.toFile());
        assertEquals(2 * 28 * 2 + 2, g.getWidth(), "the grid keeps its default 2x scale, of 28 px images");
        // the same pixels as the centre 28 x 28 of G(z) for the same seed
        var loaded = io.bigbigan.trainer.checkpoint.Checkpoints.load(bb);
        try (var s = io.bigbigan.bindings.StepScope.open()) {
            var z = loaded.model().sampleLatent(4, org.bytedeco.pytorch.global.torch.createCPUGenerator(3), 0);
            var full = loaded.model().generate(z);                                        // [4, 1, 32, 32]
            assertEquals(32, full.size(3));
            var expected = io.bigbigan.trainer.report.ImageGrid.render(full.narrow(0, 0, 1).narrow(2, 2, 28).narrow(3, 2, 28),
                    1, 0, 1);
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    assertEquals(expected.getRaster().getSample(x, y, 0), one.getRaster().getSample(x, y, 0), x + "," + y);
        }
        Path scaled = dir.resolve("bb-indiv-3x");
        assertEquals(0, cli("sample", "--checkpoint", bb.toString(), "--count", "1", "--scale", "3", "--individual",
                scaled.toString(), "--out", dir.resolve("bb-3x.png").toString()).code());
        assertEquals(84, ImageIO.read(scaled.resolve("sample-0000.png").toFile()).getWidth());
        assertEquals(2, cli("sample", "--checkpoint", bb.toString(), "--scale", "0").code());   // out of range: usage
    }

    @Test
    @Order(7)
    void errorsAreOneClearLine() {
        Result missing = cli("evaluate", "--checkpoint", dir.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope") && missing.err().contains("no such checkpoint"), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertFalse(missing.err().contains("at io.bigbigan"), "no stack trace without --verbose");

        Result preset = cli("train", "--preset", "nonsense", "--steps", "1");
        assertEquals(2, preset.code());                                   // not one of the choices: usage
        assertTrue(preset.err().contains("unknown preset 'nonsense'"), preset.err());

        Result data = cli("train", "--data", dir.resolve("no-such-data").toString(), "--steps", "1");
        assertEquals(1, data.code());
        assertTrue(data.err().contains("no-such-data"), data.err());

        if (!org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            Result cuda = cli("sample", "--checkpoint", dir.resolve("nope").toString(), "--device", "cuda");
            assertEquals(1, cuda.code());
            assertTrue(cuda.err().contains("--device") && cuda.err().contains("no CUDA device"), cuda.err());
        }
        Result device = cli("bench", "--device", "tpu");
        assertEquals(1, device.code());
        assertTrue(device.err().contains("--device") && device.err().contains("expected cpu, cuda or cuda:N"), device.err());

        Result usage = cli("train", "--stepz", "1");
        assertEquals(2, usage.code());
    }

    @Test
    @Order(8)
    void convertEncodeSampleCompletionAndEncodeBench() throws Exception {
        Path bundle = dir.resolve("m.bundle"), st = dir.resolve("m.safetensors"), back = dir.resolve("m2.bundle");
        Result conv = cli("convert", run.toString(), bundle.toString());
        assertEquals(0, conv.code(), conv.err());
        assertTrue(conv.out().contains("(bundle, preset bigan-mlp, 27 tensors"), conv.out());
        assertEquals(0, cli("convert", bundle.toString(), st.toString()).code());
        assertEquals(0, cli("convert", st.toString(), back.toString()).code());
        assertTrue(Files.size(back) * 4 < Files.size(run.resolve("checkpoints/step-00000030.safetensors"))
                + Files.size(run.resolve("checkpoints/step-00000030.optim.pt")));
        // inspect reads bundles and exported state dicts; --model and --checkpoint name the same option everywhere
        Result ib = cli("inspect", "--model", back.toString());
        assertEquals(0, ib.code(), ib.err());
        assertTrue(ib.out().contains("kind        inference bundle") && ib.out().contains("complete    yes")
                && ib.out().contains("preset      bigan-mlp") && ib.out().contains("step        30 (live weights")
                && ib.out().contains("parameters  3,816,258 (E 1,906,738, G 1,909,520)")
                && ib.out().contains("libtorch    2.10.0") && ib.out().contains("javacpp     preset 1.5.13"), ib.out());
        Result ibj = cli("inspect", "--model", back.toString(), "--json");
        assertEquals(0, ibj.code(), ibj.err());
        var bj = assertDoesNotThrow(() -> new com.fasterxml.jackson.databind.ObjectMapper().readTree(ibj.out()));
        assertEquals("bundle", bj.get("kind").asText());
        assertTrue(bj.get("complete").asBoolean());
        assertEquals(30, bj.get("step").asLong());
        assertEquals(3_816_258, bj.get("parameters").asLong());
        assertEquals(1_906_738, bj.get("parameters_per_network").get("E").asLong());
        assertEquals("2.10.0", bj.get("libtorch").asText());
        assertEquals("bigan-mlp", bj.get("config").get("preset").asText());
        assertTrue(ib.out().contains("sha256      " + bj.get("sha256").asText()), ib.out());
        Result is = cli("inspect", "--checkpoint", st.toString());
        assertEquals(0, is.code(), is.err());
        assertTrue(is.out().contains("kind        state dict") && is.out().contains("parameters  3,816,258"), is.out());
        Path foreign = dir.resolve("foreign.safetensors");
        io.bigbigan.bindings.Safetensors.write(foreign, java.util.Map.of("w", io.bigbigan.bindings.Tensors.zeros(2)), java.util.Map.of());
        Result nf = cli("inspect", "--model", foreign.toString());
        assertEquals(1, nf.code());
        assertTrue(nf.err().contains("foreign.safetensors") && nf.err().contains("neither a bigbigan checkpoint nor a bundle"), nf.err());
        Result sb = cli("sample", "--model", back.toString(), "--out", dir.resolve("sb.png").toString());
        assertEquals(1, sb.code());
        assertTrue(sb.err().contains("m2.bundle: an inference bundle, not a training checkpoint"), sb.err());
        assertEquals(0, cli("sample", "--model", run.toString(), "--count", "2", "--out", dir.resolve("sm.png").toString()).code());
        assertEquals(0, cli("encode", "--checkpoint", back.toString(), images(dir).toString(), "--out",
                dir.resolve("alias.csv").toString()).code());

        Path cut = dir.resolve("cut.bundle");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(back), 5000));
        Result bad = cli("convert", cut.toString(), dir.resolve("x.safetensors").toString());
        assertEquals(1, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("cut.bundle") && bad.err().contains("truncated"), bad.err());

        // encode: a folder of images -> .npy + ids; a data set split -> .csv and .safetensors with labels
        Path images = images(dir);
        Path npy = dir.resolve("f.npy");
        Result enc = cli("encode", "--model", back.toString(), images.toString(), "--out", npy.toString());
        assertEquals(0, enc.code(), enc.err());
        assertTrue(enc.out().contains("wrote 5 x 1024 pooled features"), enc.out());
        Result encBf16 = cli("encode", "--model", back.toString(), images.toString(), "--precision", "bf16", "--out",
                dir.resolve("f16.npy").toString());
        assertEquals(0, encBf16.code(), encBf16.err());
        assertEquals(Files.size(npy), Files.size(dir.resolve("f16.npy")), "bf16 features are written as float32");
        byte[] b = Files.readAllBytes(npy);
        String header = new String(b, 10, 118, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': (5, 1024)") && header.contains("'<f4'"), header);
        assertEquals(128 + 5 * 1024 * 4, b.length);
        var ids = Files.readAllLines(dir.resolve("f.ids.csv"));
        assertEquals(6, ids.size());
        assertTrue(ids.get(1).startsWith("0,") && ids.get(1).endsWith("img3.png,"), ids.toString());   // path order

        Path classed = dir.resolve("classed");
        for (String c : new String[]{"cats", "ants"}) {
            Files.createDirectories(classed.resolve(c));
            Files.copy(images.resolve("img0.png"), classed.resolve(c).resolve("x.png"));
        }
        Path lab = dir.resolve("lab.csv");
        enc = cli("encode", "--model", back.toString(), classed.toString(), "--out", lab.toString());
        assertEquals(0, enc.code(), enc.err());
        assertTrue(enc.out().contains("classes from sub-folders: 0=ants 1=cats"), enc.out());
        var labRows = Files.readAllLines(lab);
        assertTrue(labRows.get(1).contains("ants") && labRows.get(1).split(",")[1].equals("0")
                && labRows.get(2).split(",")[1].equals("1"), labRows.toString());

        Path csv = dir.resolve("f.csv");
        enc = cli("encode", "--model", run.toString(), "--data", "synthetic", "--test-limit", "40", "--features", "latent",
                "--out", csv.toString());
        assertEquals(0, enc.code(), enc.err());
        var rows = Files.readAllLines(csv);
        assertEquals(41, rows.size());
        assertTrue(rows.get(0).startsWith("id,label,f0,f1") && rows.get(0).endsWith(",f49"), rows.get(0));
        assertTrue(rows.get(1).matches("0,\\d,.*") && rows.get(1).split(",").length == 52, rows.get(1));
        Path sf = dir.resolve("f.safetensors");
        enc = cli("encode", "--model", back.toString(), "--data", "synthetic", "--test-limit", "20", "--features", "latent",
                "--out", sf.toString());
        assertEquals(0, enc.code(), enc.err());
        var read = io.bigbigan.bindings.Safetensors.read(sf);
        assertEquals(java.util.List.of(20L, 50L), java.util.Arrays.stream(read.tensors().get("features").sizes().vec().get()).boxed().toList());
        assertEquals(20, read.tensors().get("labels").numel());
        assertTrue(read.metadata().get("ids").startsWith("[\"0\",\"1\""), read.metadata().get("ids"));
        // the same model from the checkpoint (live weights: no EMA in bigan-mlp) and from the bundle agree exactly
        float[] fromRun = io.bigbigan.bindings.Tensors.toFloats(read.tensors().get("features").select(0, 0));
        String[] cells = rows.get(1).split(",");
        for (int j = 0; j < 50; j++) assertEquals(Float.parseFloat(cells[2 + j]), fromRun[j]);

        // bn-crelu: pooled features batch-normalised with the training split's statistics, then [relu(x), relu(-x)]
        String[] split = {"--data", "synthetic", "--train-limit", "100", "--test-limit", "20"};
        Path pooledTrain = dir.resolve("pooled-train.safetensors"), pooledTest = dir.resolve("pooled-test.safetensors"),
                bn = dir.resolve("bn-test.safetensors");
        assertEquals(0, cli(concat(new String[]{"encode", "--model", back.toString(), "--split", "train", "--out",
                pooledTrain.toString()}, split)).code());
        assertEquals(0, cli(concat(new String[]{"encode", "--model", back.toString(), "--out", pooledTest.toString()},
                split)).code());
        enc = cli(concat(new String[]{"encode", "--model", back.toString(), "--features", "bn-crelu", "--eval-batch", "7",
                "--out", bn.toString()}, split));
        assertEquals(0, enc.code(), enc.err());
        assertTrue(enc.out().contains("wrote 20 x 2048 bn-crelu features"), enc.out());
        try (io.bigbigan.bindings.StepScope sc = io.bigbigan.bindings.StepScope.open()) {
            var expected = io.bigbigan.trainer.eval.BatchNormCrelu.statistics(io.bigbigan.bindings.Safetensors
                    .read(pooledTrain).tensors().get("features")).apply(io.bigbigan.bindings.Safetensors.read(pooledTest)
                    .tensors().get("features"));                                       // [20, 2048]
            var got = io.bigbigan.bindings.Safetensors.read(bn);
            assertTrue(org.bytedeco.pytorch.global.torch.allclose(expected, got.tensors().get("features"), 1e-5, 1e-5, false));
            assertEquals("bn-crelu", got.metadata().get("feature"));
        }
        Result noData = cli("encode", "--model", back.toString(), images.toString(), "--features", "bn-crelu", "--out",
                dir.resolve("x.npy").toString());
        assertEquals(2, noData.code());                                           // a usage error
        assertTrue(noData.err().contains("--features bn-crelu needs --data"), noData.err());

        // sample: seeded, truncated, one PNG per image
        Path indiv = dir.resolve("indiv");
        Result s1 = cli("sample", "--checkpoint", run.toString(), "--count", "3", "--seed", "5", "--truncation", "0.5",
                "--scale", "1", "--individual", indiv.toString(), "--out", dir.resolve("t1.png").toString());
        assertEquals(0, s1.code(), s1.err());
        assertEquals(28, ImageIO.read(indiv.resolve("sample-0002.png").toFile()).getWidth());
        assertEquals(0, cli("sample", "--checkpoint", run.toString(), "--count", "3", "--seed", "5", "--truncation", "0.5",
                "--out", dir.resolve("t2.png").toString(), "--scale", "1").code());
        assertEquals(0, cli("sample", "--checkpoint", run.toString(), "--count", "3", "--seed", "6", "--truncation", "0.5",
                "--out", dir.resolve("t3.png").toString(), "--scale", "1").code());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("t1.png")), Files.readAllBytes(dir.resolve("t2.png"))));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("t1.png")), Files.readAllBytes(dir.resolve("t3.png"))));
        assertEquals(2, cli("sample", "--checkpoint", run.toString(), "--truncation", "-1").code());   // usage

        Result completion = cli("completion");
        assertEquals(0, completion.code(), completion.err());
        assertTrue(completion.out().contains("complete -F") && completion.out().contains("convert")
                && completion.out().contains("encode"), completion.out().substring(0, 200));

        Result bench = cli("bench", "--encode", back.toString(), "--checkpoint", run.toString(), "--callers", "1,2",
                "--encode-batch", "8", "--seconds", "0.2");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.out().contains("load") && bench.out().contains("images/s"), bench.out());
        assertTrue(bench.out().matches("(?s).*concurrent +2 +8 +\\d+\\.\\d.*") && bench.out().matches("(?s).*locked +1 +8 .*"),
                bench.out());
    }

    /** Five 28x28 grey PNGs in {@code dir/images} (two in the sub-folder {@code b}), written once. */
    static Path images(Path dir) throws java.io.IOException {
        Path images = dir.resolve("images");
        if (Files.isDirectory(images)) return images;
        Files.createDirectories(images.resolve("b"));
        for (int i = 0; i < 5; i++) {
            var img = new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            img.getRaster().setSample(i, i, 0, 255);
            ImageIO.write(img, "png", images.resolve((i < 3 ? "" : "b/") + "img" + i + ".png").toFile());
        }
        return images;
    }

    @Test
    @Order(9)
    void everyCommandsHelpHasAnExampleAndTheTopLevelHelpListsExitCodes() {
        var cl = BigbiganCli.commandLine();
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            assertEquals(0, cli(e.getKey(), "--help").code(), e.getKey() + " --help");
            String usage = e.getValue().getUsageMessage();
            assertTrue(usage.contains("Example"), e.getKey() + " --help has no example:\n" + usage);
        }
        assertEquals(0, cli("help", "encode").code());
        String top = cl.getUsageMessage();
        String flowing = top.replaceAll("\\s+", " ");                     // the footer is wrapped at the width
        assertTrue(flowing.contains("Exit codes: 0 success, 1 error, 2 usage error") && flowing.contains(" 3 NaN/Inf")
                && flowing.contains("4 training stopped"), top);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
