package io.bigbigan.trainer.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.SyntheticShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Once the EMA copies start averaging, the periodic reconstruction check also measures the live G and E. The EMA
 * pair alone misled a Fashion-MNIST run (bigbigan-32-narrow, EMA 0.9999 from step 2,000): at step 5,745 EMA G(E(x))
 * was no closer to x than to another image (11.07 vs 11.15), read as "E and G stopped inverting each other", while
 * the live pair reconstructed 8.70 vs 10.62: the EMA copies were still 69% the step-2,000 weights.
 */
class LiveReconstructionTest {
    @Test
    void liveReconstructionIsLoggedOnceTheEmaAverages(@TempDir Path dir) throws Exception {
        RunConfig preset = Presets.get("bigbigan-32-narrow");
        RunConfig config = preset.withTrain(preset.train().withBatchSize(4).withEma(new EmaConfig(true, 0.9999, 2)));
        try (DatasetSplits data = new DatasetSplits(SyntheticShapes.generate("train", 32, 1),
                SyntheticShapes.generate("test", 16, 2))) {
            TrainingRun.run(config, data, TrainingRun.Options.of(dir, 6).seed(3).logEvery(2).imageEvery(2));
        }
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> recon = Files.readAllLines(dir.resolve("metrics.jsonl")).stream().map(l -> {
            try {
                return json.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).filter(r -> r.has("recon_error")).toList();
        assertEquals(List.of(2L, 4L, 6L), recon.stream().map(r -> r.get("step").asLong()).toList());
        assertFalse(recon.get(0).has("live_recon_error"), "at the start step the EMA copies are the live weights");
        for (JsonNode r : recon.subList(1, 3)) {
            double live = r.get("live_recon_error").asDouble(), ema = r.get("recon_error").asDouble();
            assertTrue(live > 0 && Double.isFinite(r.get("live_mismatched_recon_error").asDouble()), r.toString());
            assertNotEquals(ema, live, "the live pair differs from the EMA pair once it averages: " + r);
        }
    }
}
