package io.bigbigan.trainer.distributed;

import io.bigbigan.bindings.Safetensors;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-parallel training in real processes on 127.0.0.1 (Gloo): 2 ranks of batch b follow 1 process of batch 2b
 * (losses every step, final weights, batch-norm running statistics), and a dying rank stops the other with a clear
 * error while the last checkpoint stays usable.
 */
class DataParallelTrainingTest {
    static Process worker(Path log, Object... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                DataParallelWorker.class.getName()));
        for (Object a : args) cmd.add(a.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        return pb.start();
    }

    static int await(Process p, Path log) throws Exception {
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("worker timed out:\n" + Files.readString(log));
        }
        return p.exitValue();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static final String[] KEYS = {"loss_d", "loss_eg", "grad_norm_d", "grad_norm_g", "grad_norm_e"};

    /** Per step: the values of {@link #KEYS} from metrics.jsonl (gradient norms are of the averaged gradients). */
    static List<double[]> losses(Path metrics) throws IOException {
        return Files.readAllLines(metrics).stream().filter(l -> l.contains("\"loss_d\"")).map(l -> {
            double[] v = new double[KEYS.length];
            for (int j = 0; j < KEYS.length; j++)
                v[j] = Double.parseDouble(l.replaceAll(".*\"" + KEYS[j] + "\":([-0-9.Ee]+).*", "$1"));
            return v;
        }).toList();
    }

    /** Trains {@code steps} on 2 ranks (then resumes them to {@code steps + resumed}) against 1 process. */
    void twoRanksMatchOneProcess(Path dir, String preset, int b, int steps, int resumed, double atol) throws Exception {
        Path ref = dir.resolve("ref"), dp = dir.resolve("dp");
        Process pr = worker(dir.resolve("ref.log"), 0, 1, 0, ref, preset, 2 * b, steps + resumed, 0, 60);
        runPair(dir, dp, preset, b, steps, "fresh");
        assertEquals(0, await(pr, dir.resolve("ref.log")), () -> read(dir.resolve("ref.log")));
        compare(ref, dp, preset, b, steps, atol);
        if (resumed > 0) {
            runPair(dir, dp, preset, b, steps + resumed, "resume");
            compare(ref, dp, preset, b, steps + resumed, atol);
        }
    }

    private void runPair(Path dir, Path out, String preset, int b, int steps, String mode) throws Exception {
        int port = freePort();
        Process p0 = worker(dir.resolve("r0.log"), 0, 2, port, out, preset, b, steps, 0, 60, mode);
        Process p1 = worker(dir.resolve("r1.log"), 1, 2, port, out, preset, b, steps, 0, 60, mode);
        assertEquals(0, await(p0, dir.resolve("r0.log")), () -> read(dir.resolve("r0.log")));
        assertEquals(0, await(p1, dir.resolve("r1.log")), () -> read(dir.resolve("r1.log")));
    }

    private void compare(Path ref, Path dp, String preset, int b, int steps, double atol) throws Exception {
        List<double[]> a = losses(dp.resolve("metrics.jsonl")), r = losses(ref.resolve("metrics.jsonl"));
        assertTrue(a.size() >= steps && r.size() >= steps, a.size() + " and " + r.size() + " records");
        for (int s = 0; s < steps; s++) {
            for (int j = 0; j < KEYS.length; j++)                    // float32 sums in a different order
                assertEquals(r.get(s)[j], a.get(s)[j], 1e-5 * Math.max(1, Math.abs(r.get(s)[j])),
                        KEYS[j] + " at step " + (s + 1));
        }
        String last = String.format("checkpoints/step-%08d.safetensors", steps);
        Map<String, Tensor> wa = Safetensors.read(dp.resolve(last)).tensors(), wr = Safetensors.read(ref.resolve(last)).tensors();
        assertEquals(wr.keySet(), wa.keySet());
        int runningStats = 0;
        double worst = 0;
        java.util.TreeMap<Double, String> diffs = new java.util.TreeMap<>();
        for (String k : wr.keySet()) {
            Tensor x = wa.get(k).to(torch.ScalarType.Double), y = wr.get(k).to(torch.ScalarType.Double);
            double diff = x.sub(y).abs().max().item_double();
            worst = Math.max(worst, diff);
            diffs.put(diff, k);
            if (k.endsWith("running_var")) {
                runningStats++;
                assertTrue(y.sub(torch.ones_like(y)).abs().max().item_double() > 1e-4, k + " was updated");
            }
            if (k.endsWith("num_batches_tracked")) assertEquals(y.item_double(), x.item_double(), k);
        }
        assertTrue(runningStats > 0, "the model has batch norms");
        System.out.println("largest differences: " + diffs.descendingMap().entrySet().stream().limit(6).toList());
        assertTrue(worst <= atol, "weights differ by up to " + worst + ": " + diffs.lastEntry().getValue());
        System.out.printf("%s: 2 ranks x %d vs 1 x %d over %d steps: largest weight difference %.2e%n", preset, b,
                2 * b, steps, worst);
        var meta = Safetensors.read(dp.resolve(last)).metadata();
        assertEquals("2", meta.get("world_size"));
    }

    @Test
    void bigganMlpOnTwoRanksMatchesOneProcessWithTheDoubleBatch(@TempDir Path dir) throws Exception {
        twoRanksMatchOneProcess(dir, "bigan-mlp", 8, 2, 2, 1e-5);     // resumed on 2 ranks after step 2
        // resuming a 2-rank run in one process is refused with a clear error
        Path log = dir.resolve("resume1.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), "io.bigbigan.tools.BigbiganCli", "train", "--resume",
                "--out", dir.resolve("dp").toString(), "--steps", "6", "--train-limit", "64", "--test-limit", "16")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertEquals(1, await(p, log), read(log));
        assertTrue(read(log).contains("was trained on 2 rank(s); resume it with --nproc 2"), read(log));
    }

    @Test
    void bigBiganOnTwoRanksMatchesOneProcessWithTheDoubleBatch(@TempDir Path dir) throws Exception {
        twoRanksMatchOneProcess(dir, "bigbigan-32", 2, 2, 0, 1e-5);
    }

    @Test
    void aDyingRankStopsTheOtherWithAClearError(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path out = dir.resolve("run");
        Process p0 = worker(dir.resolve("r0.log"), 0, 2, port, out, "bigan-mlp", 8, 50, 0, 60);
        Process p1 = worker(dir.resolve("r1.log"), 1, 2, port, out, "bigan-mlp", 8, 50, 3, 60);
        assertEquals(9, await(p1, dir.resolve("r1.log")), () -> read(dir.resolve("r1.log")));
        long t0 = System.nanoTime();
        int code = await(p0, dir.resolve("r0.log"));
        double seconds = (System.nanoTime() - t0) / 1e9;
        String log = read(dir.resolve("r0.log"));
        assertNotEquals(0, code, log);
        assertTrue(log.contains("rank 0 of 2:") && log.contains("a peer rank died or did not answer within the timeout"),
                log);
        System.out.printf("rank 0 stopped %.1f s after rank 1 died%n", seconds);
        // the newest complete checkpoint is intact and loads
        Path ckpt = Checkpoints.resolve(out.resolve("checkpoints"));
        assertTrue(Files.exists(ckpt), "a checkpoint survives");
        assertEquals(null, Checkpoints.verify(ckpt));
        assertTrue(log.contains("the newest complete checkpoint is " + ckpt + " (continue with --resume)"), log);
    }

    /** A rank dying before the first checkpoint: the others' error must not claim an intact checkpoint. */
    @Test
    void aRankDyingBeforeTheFirstCheckpointSaysThereIsNone(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path out = dir.resolve("run");
        Process p0 = worker(dir.resolve("r0.log"), 0, 2, port, out, "bigan-mlp", 8, 50, 0, 60);
        Process p1 = worker(dir.resolve("r1.log"), 1, 2, port, out, "bigan-mlp", 8, 50, 1, 60);   // dies in step 1
        assertEquals(9, await(p1, dir.resolve("r1.log")), () -> read(dir.resolve("r1.log")));
        int code = await(p0, dir.resolve("r0.log"));
        String log = read(dir.resolve("r0.log"));
        assertNotEquals(0, code, log);
        assertTrue(log.contains("a peer rank died") && log.contains("no checkpoint of this run was written yet")
                && !log.contains("intact"), log);
        assertEquals(null, Checkpoints.newestComplete(out.resolve("checkpoints")));
    }

    @Test
    void aStuckRankStopsTheOtherAfterTheTimeout(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path out = dir.resolve("run");
        Process p0 = worker(dir.resolve("r0.log"), 0, 2, port, out, "bigan-mlp", 8, 50, 0, 5);
        Process p1 = worker(dir.resolve("r1.log"), 1, 2, port, out, "bigan-mlp", 8, 50, -2, 5);
        int code = await(p0, dir.resolve("r0.log"));
        boolean peerStillStuck = p1.isAlive();                 // it sleeps 60 s; the 5 s timeout ends rank 0 first
        p1.destroyForcibly();
        String log = read(dir.resolve("r0.log"));
        assertNotEquals(0, code, log);
        assertTrue(peerStillStuck, "rank 0 waited for the stuck rank instead of timing out:\n" + log);
        // the collective's timeout, or, when the stuck rank's JVM started too slowly to reach the rendezvous (a
        // loaded machine), the rendezvous timeout: either way rank 0 stops with the timeout and names itself
        assertTrue(log.contains("rank 0 of 2:") && (log.contains("Timed out")
                || log.contains("did not answer within the timeout")), log);
        assertEquals(null, Checkpoints.verify(Checkpoints.resolve(out.resolve("checkpoints"))));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
