package io.bigbigan.trainer.eval.generation;

import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.SafetensorsFile;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.eval.GaussianStatistics;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A file cache of real-data feature statistics (mean and covariance, float64), so reference statistics are computed
 * once per (dataset spec, split, extractor and its weights, sample count). Each entry is a safetensors file named by
 * the SHA-256 of its key, holding {@code mean [D]}, {@code covariance [D, D]} and the key and row count in its
 * metadata; an entry whose stored key differs from the requested one (or that cannot be read) is recomputed and
 * replaced. A {@code null} directory disables caching.
 */
public final class ReferenceStatistics {
    private final Path dir;

    /** A cache in {@code dir} (created on first write), or no cache when {@code dir} is null. */
    public ReferenceStatistics(Path dir) {
        this.dir = dir;
    }

    /** What identifies a set of reference statistics. */
    public record Key(String dataset, String split, String extractor, long samples) {
        /** The canonical key string stored in the cache entry. */
        public String text() {
            return "data=" + dataset + ";split=" + split + ";extractor=" + extractor + ";samples=" + samples;
        }
    }

    /** Where an entry came from. */
    public enum Source { CACHE, COMPUTED }

    /** Statistics with their origin. */
    public record Entry(GaussianStatistics statistics, Source source, Path file) {}

    /** The cache file of {@code key} (null without a cache directory). */
    public Path file(Key key) {
        if (dir == null) return null;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.text().getBytes(StandardCharsets.UTF_8));
            return dir.resolve("refstats-" + HexFormat.of().formatHex(h).substring(0, 24) + ".safetensors");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The cached statistics of {@code key}, or {@code compute}'s result (then stored).
     *
     * @throws IOException when the cache directory cannot be written
     */
    public Entry get(Key key, Supplier<GaussianStatistics> compute) throws IOException {
        Path f = file(key);
        if (f != null && Files.isRegularFile(f)) {
            GaussianStatistics cached = read(f, key);
            if (cached != null) return new Entry(cached, Source.CACHE, f);
        }
        GaussianStatistics s = compute.get();
        if (f != null) {
            Files.createDirectories(dir);
            try (StepScope scope = StepScope.open()) {
                Map<String, Tensor> t = new LinkedHashMap<>();
                t.put("mean", s.mean());
                t.put("covariance", s.covariance());
                Safetensors.write(f, t, Map.of("key", key.text(), "count", Long.toString(s.count())));
            }
        }
        return new Entry(s, Source.COMPUTED, f);
    }

    /** The entry's statistics when its key matches, else null (a stale or foreign file). */
    private static GaussianStatistics read(Path f, Key key) {
        try (StepScope scope = StepScope.open()) {
            Map<String, String> meta = Safetensors.readMetadata(f);
            if (!key.text().equals(meta.get("key"))) return null;
            SafetensorsFile sf = Safetensors.read(f);
            return GaussianStatistics.restore(Long.parseLong(meta.get("count")), sf.tensors().get("mean"),
                    sf.tensors().get("covariance"));
        } catch (RuntimeException e) {
            return null;    // unreadable entry: recompute and overwrite
        }
    }
}
