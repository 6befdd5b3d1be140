package io.bigbigan.bindings;

import org.bytedeco.pytorch.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of a safetensors file, as returned by {@link Safetensors#read}.
 *
 * @param tensors  tensors by name, in header order; each is a CPU tensor that owns its memory (copied off the file)
 * @param metadata the {@code __metadata__} string map (empty when the file has none), in header order
 */
public record SafetensorsFile(Map<String, Tensor> tensors, Map<String, String> metadata) {
    /** Keeps the given order; both maps become unmodifiable. */
    public SafetensorsFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
}
