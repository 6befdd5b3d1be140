package io.bigbigan.trainer.loop;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.bindings.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The best checkpoint of a run by the periodic linear-probe top-1 accuracy of the (EMA) encoder, recorded in
 * {@code checkpoints/best.json} and kept when older checkpoints are pruned.
 */
final class BestCheckpoint {
    private static final ObjectMapper JSON = io.bigbigan.bindings.Json.MAPPER;
    private final Path dir;
    private long step = -1;
    private String space;
    private double value = Double.NEGATIVE_INFINITY;

    private BestCheckpoint(Path dir) {
        this.dir = dir;
    }

    /** The record in {@code dir} (none yet when the file is absent). */
    static BestCheckpoint read(Path dir) {
        BestCheckpoint b = new BestCheckpoint(dir);
        Path f = dir.resolve("best.json");
        if (Files.isRegularFile(f)) {
            try {
                var n = JSON.readTree(f.toFile());
                b.step = n.get("step").asLong();
                b.space = n.get("feature_space").asText();
                b.value = n.get("linear_probe_top1").asDouble();
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(f + ": unreadable best-checkpoint record: " + e.getMessage(), e);
            }
        }
        return b;
    }

    /** Offers a measurement; returns whether it is a new best. */
    boolean offer(long atStep, String featureSpace, double accuracy) {
        if (accuracy <= value) return false;
        step = atStep;
        space = featureSpace;
        value = accuracy;
        return true;
    }

    /** The best step, or -1. */
    long step() {
        return step;
    }

    /** Writes {@code best.json} atomically. */
    void write() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("checkpoint", String.format("step-%08d.safetensors", step));
        m.put("feature_space", space);
        m.put("linear_probe_top1", value);
        try {
            byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
            AtomicFiles.writeStream(dir.resolve("best.json"), os -> os.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(dir.resolve("best.json") + ": " + e.getMessage(), e);
        }
    }
}
