package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.bigbigan.tools.CliSmokeTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code resume} keeps the run's configuration: an option that sets part of it is accepted only with the run's value;
 * another value is a usage error naming the option and the run's value, and nothing is trained. Also torchrun's
 * local-rank conventions of {@code train}.
 */
class ResumeOptionsTest {
    @TempDir
    Path dir;

    @Test
    void aConflictingOptionOnResumeIsAUsageErrorNamingIt() {
        Path run = dir.resolve("run");
        var train = cli("train", "--steps", "1", "--batch", "16", "--train-limit", "64", "--test-limit", "32",
                "--no-eval", "--out", run.toString());
        assertEquals(0, train.code(), train.err());
        for (String[] bad : new String[][]{{"--batch", "32", "batch 16"}, {"--loss", "hinge", "loss log"},
                {"--preset", "bigbigan-32", "preset bigan-mlp"}, {"--precision", "fp64", "precision fp32"},
                {"--objective", "joint_only", "objective full"}}) {
            var r = cli("resume", run.toString(), "--steps", "2", "--no-eval", bad[0], bad[1]);
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().contains(bad[0] + " " + bad[1] + ": the run being resumed") && r.err().contains(bad[2]),
                    r.err());
            assertTrue(!r.out().contains("training "), "refused before training: " + r.out());
        }
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-00000001.safetensors")));
        assertTrue(!Files.exists(run.resolve("checkpoints/step-00000002.safetensors")), "nothing was trained");
        var same = cli("resume", run.toString(), "--steps", "2", "--no-eval", "--batch", "16", "--loss", "log");
        assertEquals(0, same.code(), same.err());
        assertTrue(same.out().contains("resuming from step 1") && same.out().contains("batch 16"), same.out());
    }

    @Test
    void localRankPicksTheGpuAsUnderTorchrun() {
        assertEquals("cuda:1", DistributedOptions.localDevice("cuda", Map.of("LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "2")));
        assertEquals("cuda:3", DistributedOptions.localDevice("cuda", Map.of("LOCAL_RANK", "3")));
        assertEquals("cuda", DistributedOptions.localDevice("cuda", Map.of()));
        assertEquals("cuda:0", DistributedOptions.localDevice("cuda:0", Map.of("LOCAL_RANK", "1")), "an index given wins");
        assertEquals("cpu", DistributedOptions.localDevice("cpu", Map.of("LOCAL_RANK", "1")));
        var e = assertThrows(OptionException.class,
                () -> DistributedOptions.localDevice("cuda", Map.of("LOCAL_RANK", "2", "LOCAL_WORLD_SIZE", "2")));
        assertTrue(e.getMessage().contains("LOCAL_RANK must be in 0..1"), e.getMessage());
        assertThrows(OptionException.class, () -> DistributedOptions.localDevice("cuda", Map.of("LOCAL_RANK", "x")));
    }

    @Test
    void nprocPerNodeIsAnAliasOfNproc() {
        var parsed = BigbiganCli.commandLine().parseArgs("train", "--nproc-per-node", "3");
        TrainCommand train = (TrainCommand) parsed.subcommand().commandSpec().userObject();
        assertEquals(3, train.dist.nproc);
    }
}
