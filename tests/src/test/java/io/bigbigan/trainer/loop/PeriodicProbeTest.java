package io.bigbigan.trainer.loop;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The periodic linear probe (all labels and 1% of them) is logged, the best checkpoint by it is recorded and survives pruning. */
class PeriodicProbeTest {
    @Test
    void probeIsLoggedAndTheBestCheckpointIsKept(@TempDir Path dir) throws Exception {
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 256, 1),
                SyntheticShapes.generate("test", 64, 2))) {
            TrainingRun.run(CheckpointsTestConfigs.tiny(), data, TrainingRun.Options.of(dir, 12).seed(3).logEvery(4).checkpointEvery(1).keepCheckpoints(1).evalEvery(4));
        }
        var probes = Files.readAllLines(dir.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("probe_top1 E(x)")).toList();
        assertEquals(3, probes.size(), "probes at steps 4, 8, 12");
        for (String probe : probes) {                       // with every label of the probe's rows, and with 1%
            var r = new ObjectMapper().readTree(probe);
            for (String key : new String[]{"probe_top1 ", "probe_1nn ", "probe_top1_1pct ", "probe_1nn_1pct "})
                for (String space : new String[]{"raw pixels", "E(x)"}) {
                    double v = r.get(key + space).asDouble();
                    assertTrue(v > 0 && v <= 1, key + space + " " + v);
                }
        }
        var best = new ObjectMapper().readTree(dir.resolve("checkpoints/best.json").toFile());
        long bestStep = best.get("step").asLong();
        double acc = best.get("linear_probe_top1").asDouble();
        assertTrue(acc > 0 && acc <= 1, "accuracy " + acc);
        var kept = Checkpoints.list(dir.resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(kept.contains(String.format("step-%08d.safetensors", bestStep)), kept + " keeps best " + bestStep);
        assertTrue(kept.contains("step-00000012.safetensors"), kept.toString());
        assertTrue(kept.size() <= 2, "only the newest and the best remain: " + kept);
    }
}
