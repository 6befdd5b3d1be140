package io.bigbigan.tools;

import io.bigbigan.support.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs that must not die of memory, in new JVMs with the launcher's settings: JavaCPP caps native memory at 4x the
 * Java heap (8 GB under the launcher's -Xmx2g), and evaluation once sent 1000 test images through E and G in one
 * batch (8.7 GB for bigbigan-32), failing after training with no checkpoint.
 */
class BoundedMemoryTest {
    @Test
    void bigbiganTrainsEndToEndUnderTheLauncherSettings(@TempDir Path dir) throws Exception {
        List<String> flags = ChildJvm.launcherFlags();
        assertTrue(flags.contains("-Xmx2g") && flags.contains("--enable-native-access=ALL-UNNAMED"), flags.toString());
        Path run = dir.resolve("run");
        var r = ChildJvm.cli(flags, dir.resolve("train.log"), 900, "train", "--preset", "bigbigan-32",
                "--train-limit", "300", "--test-limit", "1000", "--batch", "16", "--steps", "2", "--out", run.toString());
        System.out.printf("bigbigan-32 train under %s: exit %d, peak resident memory %.0f MiB%n", flags, r.code(),
                r.peakResidentBytes() / 1048576.0);
        assertEquals(0, r.code(), r.output());
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-00000002.manifest.json")), r.output());
        assertTrue(Files.isRegularFile(run.resolve("evaluation.txt")), r.output());
        assertTrue(r.output().contains("reconstruction error (1000 random test images)"), r.output());
        assertTrue(r.output().contains("E pooled BN+CReLU"), r.output());
    }

    @Test
    void evaluationMemoryStaysFlatWhenTheTestSplitGrowsFourfold(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        var t = CliSmokeTest.cli("train", "--preset", "bigbigan-32", "--train-limit", "64", "--test-limit", "16",
                "--batch", "8", "--steps", "1", "--no-eval", "--out", run.toString());
        assertEquals(0, t.code(), t.err());
        List<String> flags = List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Xmx1g");
        long[] peak = new long[2];
        int[] testImages = {250, 1000};
        for (int i = 0; i < 2; i++) {
            var r = ChildJvm.cli(flags, dir.resolve("eval-" + testImages[i] + ".log"), 900, "evaluate", "--checkpoint",
                    run.toString(), "--train-limit", "500", "--test-limit", Integer.toString(testImages[i]),
                    "--metrics", "recon,knn,linear", "--threads", "2");
            assertEquals(0, r.code(), r.output());
            assertTrue(r.output().contains("reconstruction (" + Math.min(1000, testImages[i]) + " random test images)"),
                    r.output());
            assertTrue(r.peakResidentBytes() > 0, r.output());
            peak[i] = r.peakResidentBytes();
        }
        double growth = (peak[1] - peak[0]) / 1048576.0;
        System.out.printf("evaluate peak resident memory: %d test images %.0f MiB, %d test images %.0f MiB (%+.0f MiB)%n",
                testImages[0], peak[0] / 1048576.0, testImages[1], peak[1] / 1048576.0, growth);
        assertTrue(growth < 150, "peak memory grew by " + growth + " MiB with 4x the test images");
    }
}
