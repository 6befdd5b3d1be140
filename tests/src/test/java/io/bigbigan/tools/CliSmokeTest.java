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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every CLI command, smoke-run on small data: exit code, output files and the lines users read. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliSmokeTest {
    @TempDir
    static Path dir;
    static Path run;

    /** Exit code, standard output and standard error of one command. */
    record Result(int code, String out, String err) {}

    static Result cli(String... args) {
        StringWriter err = new StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        CommandLine cl = BigbiganCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code;
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        String o = out.toString(StandardCharsets.UTF_8);
        System.out.print(o);
        return new Result(code, o, err.toString());
    }

    @BeforeAll
    static void setUp() {
        run = dir.resolve("run");
    }

    @Test
    @Order(1)
    void train() {
        Result r = cli("train", "--steps", "30", "--batch", "32", "--train-limit", "600", "--test-limit", "300",
                "--out", run.toString(), "--log-every", "10");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("done: 30 steps"), r.out());
        assertTrue(r.out().contains("raw pixels") && r.out().contains("E(x)"), r.out());
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-00000030.safetensors")));
        assertTrue(Files.isRegularFile(run.resolve("evaluation.txt")));
    }

    @Test
    @Order(2)
    void evaluate() {
        Result r = cli("evaluate", "--checkpoint", run.toString(), "--train-limit", "600", "--test-limit", "300");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("step 30") && r.out().contains("raw pixels"), r.out());
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
    }

    @Test
    @Order(5)
    void infoAndBench() {
        Result info = cli("info");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("pytorch   2.10.0"), info.out());
        Result bench = cli("bench", "--steps", "3", "--warmup", "1", "--threads", "2", "--batch", "16");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.out().contains("params 6771523"), bench.out());
        assertTrue(bench.out().matches("(?s).*ms/step \\d+\\.\\d+.*"), bench.out());
        // bigan-mlp at batch 16, per sample G 1,902,592 + E 1,902,592 + D 2 x 2,952,192 MACs, in the D update and
        // again in the E/G update: 2 x 16 x 9,709,568 MACs x 2 FLOPs = 0.62 GFLOP forward
        assertTrue(bench.out().contains("device cpu") && bench.out().contains("(forward 0.62,"), bench.out());
        assertTrue(bench.out().matches("(?s).*achieved \\d+\\.\\d+ TFLOP/s.*"), bench.out());
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
        assertTrue(bench.out().contains("params 4369236") && bench.out().contains("D step: D backward"), bench.out());
        Path bb = dir.resolve("bb");
        Result train = cli("train", "--preset", "bigbigan-32", "--steps", "2", "--batch", "4", "--train-limit", "64",
                "--test-limit", "32", "--out", bb.toString(), "--log-every", "1");
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("E mu") && train.out().contains("E pooled"), train.out());
        Result resume = cli("train", "--resume", "--steps", "3", "--train-limit", "64", "--test-limit", "32",
                "--out", bb.toString(), "--no-eval");
        assertEquals(0, resume.code(), resume.err());
        assertTrue(Files.isRegularFile(bb.resolve("checkpoints/step-00000003.manifest.json")));
        Result sample = cli("sample", "--checkpoint", bb.toString(), "--count", "4", "--out", dir.resolve("bb.png").toString());
        assertEquals(0, sample.code(), sample.err());
        Result live = cli("sample", "--checkpoint", bb.toString(), "--weights", "live", "--count", "4", "--out",
                dir.resolve("bb-live.png").toString());
        assertEquals(0, live.code(), live.err());
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
        assertEquals(1, preset.code());
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
}
