package io.bigbigan.trainer.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.Json;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Metrics as JSON lines ({@code metrics.jsonl}), one object per record, flushed as written. Numbers that are NaN or
 * infinite are written as {@code null} ({@link Json}), so every line is standard JSON.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = Json.MAPPER;
    private final Path file;
    private final BufferedWriter out;

    public MetricsLog(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open metrics log: " + e.getMessage(), e);
        }
    }

    /** Appends one record. */
    public void write(Map<String, ?> record) {
        try {
            out.write(JSON.writeValueAsString(record));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write metrics: " + e.getMessage(), e);
        }
    }

    /**
     * Before a resumed run appends to {@code file}: drops the records of steps after {@code step} (the checkpoint the
     * run resumes from), which a run that was killed after its last checkpoint had logged and the resumed run logs
     * again, and any line a crash cut short. Rewritten atomically, and only when something is dropped.
     *
     * @return the number of lines dropped
     */
    public static int truncateAfter(Path file, long step) {
        if (!Files.isRegularFile(file)) return 0;
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> kept = new ArrayList<>(lines.size());
            for (String line : lines) {
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    continue;                                   // cut short by the crash
                }
                if (n != null && n.isObject() && (!n.has("step") || n.get("step").asLong() <= step)) kept.add(line);
            }
            int dropped = lines.size() - kept.size();
            if (dropped == 0) return 0;
            byte[] text = kept.isEmpty() ? new byte[0]
                    : (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8);
            AtomicFiles.writeStream(file, os -> os.write(text));
            return dropped;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot truncate the metrics log to step " + step + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
