package io.bigbigan.api;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.SafetensorsException;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.nativelib.NativeMemory;
import io.bigbigan.nativelib.LibraryVersions;
import io.bigbigan.model.ModelConfig;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The inference bundle: one safetensors file holding only G's and E's weights and buffers (the EMA copies by
 * default; batch-norm statistics and spectral-norm vectors included, no D, no optimiser state) under the
 * PyTorch-style names of a checkpoint ({@code G.*}, {@code E.*}), with in its {@code __metadata__}:
 * <ul>
 *   <li>{@code format} = {@value #FORMAT}, {@code format_version} (this code writes {@value #VERSION} and reads up to
 *       it);</li>
 *   <li>{@code preset}, {@code config} (the run configuration JSON) and {@code config_format_version} (the checkpoint
 *       format version whose configuration schema {@code config} follows);</li>
 *   <li>{@code preprocessing} ({@link Preprocessing} JSON: image size, channels, value range, padding/resizing);</li>
 *   <li>{@code tensors_sha256}: SHA-256 of the data section (every tensor's little-endian bytes in file order), so a
 *       damaged bundle is rejected;</li>
 *   <li>provenance: {@code source}, {@code step}, {@code weights} ({@code ema} or {@code live}), {@code data},
 *       {@code libtorch} and {@code javacpp_preset} (the versions that wrote the weights; older bundles hold the
 *       joined jar version as {@code pytorch}).</li>
 * </ul>
 * Because a bundle is a safetensors file, Python reads it directly; {@link #exportStateDict} writes the plain
 * state-dict flavour ({@code format} = {@value #STATE_DICT_FORMAT}), and {@link #fromStateDict} reads such files back,
 * also ones written by PyTorch without metadata (then the preset's configuration must be given).
 *
 * <p><b>Advanced entry point.</b> This class hands out the raw weights as LibTorch tensors
 * ({@code org.bytedeco.pytorch.Tensor}, JavaCPP); {@link BigBiganModel} is the entry point for applications and has
 * no JavaCPP type in its signatures. A {@link Contents} owns its tensors: close it (try-with-resources) to release
 * their native memory; {@link BigBiganModel#of} copies them, so the contents may be closed right after. A training
 * checkpoint is read by the trainer, not here: {@code bigbigan convert CHECKPOINT OUT.bundle} makes a bundle of it.
 */
public final class Bundle {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Bundle.class);

    /** Metadata {@code format} of a bundle. */
    public static final String FORMAT = "bigbigan-bundle";
    /** Metadata {@code format} of an exported state dict. */
    public static final String STATE_DICT_FORMAT = "bigbigan-state-dict";
    /** The bundle format version this code writes; it reads versions 1 up to this one. */
    public static final int VERSION = 1;
    /** Metadata {@code format} of a training checkpoint's weights file (written by the trainer). */
    public static final String CHECKPOINT_FORMAT = "bigbigan-checkpoint";
    /** The configuration schema version assumed for a file that records no {@code config_format_version}. */
    static final int DEFAULT_CONFIG_FORMAT_VERSION = 2;

    private static final ObjectMapper JSON = io.bigbigan.bindings.Json.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private Bundle() {}

    /** What a file holds, judged from its safetensors metadata. */
    public enum Kind {
        /** A training checkpoint (weights file, checkpoint folder or run folder). */
        CHECKPOINT,
        /** An inference bundle. */
        BUNDLE,
        /** Any other safetensors file: a state dict of G and E (exported, or written by PyTorch). */
        STATE_DICT
    }

    /**
     * The run configuration a bundle stores: kept as the JSON the trainer wrote (so that it is written back
     * unchanged), with the preset's name and the model part parsed; the training part is not interpreted here.
     *
     * @param preset        the preset the configuration started from
     * @param json          the whole run configuration as JSON
     * @param formatVersion the checkpoint format version whose configuration schema {@code json} follows
     * @param model         the architecture (builds G and E)
     */
    public record Config(String preset, String json, int formatVersion, ModelConfig model) {
        /** Checks that every field is given. */
        public Config {
            if (preset == null || json == null || model == null)
                throw new IllegalArgumentException("configuration: preset, json and model are required");
        }

        /**
         * Parses a run configuration's JSON: its {@code preset} and {@code model} (a model without {@code kind}, as
         * format 1 wrote, is the BiGAN MLP).
         *
         * @throws IllegalArgumentException naming the offending key or value
         */
        public static Config parse(String json, int formatVersion) {
            if (json == null) throw new IllegalArgumentException("no configuration");
            try {
                JsonNode root = JSON.readTree(json);
                JsonNode preset = root == null ? null : root.get("preset");
                JsonNode model = root == null ? null : root.get("model");
                if (preset == null || !preset.isTextual() || model == null || !model.isObject())
                    throw new IllegalArgumentException("configuration needs a preset name and a model object");
                return new Config(preset.asText(), json, formatVersion, JSON.treeToValue(model, ModelConfig.class));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("unreadable format-" + formatVersion + " configuration: "
                        + e.getOriginalMessage(), e);
            }
        }

        /** The run configuration JSON, unchanged. */
        public String toJson() { return json; }
    }

    /**
     * A bundle's content. It owns the tensors: {@link #close()} releases them.
     *
     * @param config        the run configuration (its model part builds G and E)
     * @param preprocessing how images become inputs
     * @param tensors       G's and E's state by PyTorch-style name (LibTorch tensors on the CPU, owned by this record)
     * @param provenance    further metadata (source, step, weights, data, format_version when read)
     */
    public record Contents(Config config, Preprocessing preprocessing, Map<String, Tensor> tensors,
                           Map<String, String> provenance) implements AutoCloseable {
        /** Releases the tensors' native memory; the contents must not be used afterwards. */
        @Override
        public void close() {
            tensors.values().forEach(Tensor::close);
        }
    }

    /**
     * Writes a bundle atomically.
     *
     * @throws IllegalArgumentException when the tensors do not fit the configuration's G and E
     */
    public static void write(Path file, Contents c) {
        Map<String, Tensor> tensors = checkFits(c.config(), c.preprocessing(), c.tensors(), file.toString());
        Map<String, String> meta = new LinkedHashMap<>();
        c.provenance().forEach((k, v) -> { if (!k.equals("format_version") && !k.equals("format")) meta.put(k, v); });
        meta.put("format", FORMAT);
        meta.put("format_version", Integer.toString(VERSION));
        meta.put("preset", c.config().preset());
        meta.put("config", c.config().toJson());
        meta.put("config_format_version", Integer.toString(c.config().formatVersion()));
        meta.put("preprocessing", c.preprocessing().toJson());
        meta.put("tensors_sha256", dataSha256(tensors));
        LibraryVersions v = LibraryVersions.of(c.provenance());                 // kept when re-writing a bundle
        (v != null ? v : LibraryVersions.current()).putInto(meta);
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Reads and verifies a bundle (format, version, checksum, names and shapes against its configuration).
     *
     * @throws IllegalArgumentException with a one-line reason naming the file: not a bundle, truncated or corrupt,
     *                                  a newer format version, checksum mismatch, tensors not matching the model
     */
    public static Contents read(Path file) {
        return read(file, true);
    }

    /** As {@link #read(Path)}; {@code checkShapes} false leaves the name/shape check to the caller's own load. */
    static Contents read(Path file, boolean checkShapes) {
        var st = readSafetensors(file);
        Map<String, String> meta = st.metadata();
        String format = meta.get("format");
        if (!FORMAT.equals(format))
            throw new IllegalArgumentException(file + ": not an inference bundle (metadata format is '" + format
                    + "'" + (CHECKPOINT_FORMAT.equals(format) || STATE_DICT_FORMAT.equals(format)
                    ? "; make one with: bigbigan convert " + file + " OUT.bundle" : "") + ")");
        int version = intMeta(file, meta, "format_version");
        if (version > VERSION)
            throw new IllegalArgumentException(file + ": bundle format version " + version
                    + " is newer than this program reads (" + VERSION + "); upgrade bigbigan");
        if (version < 1) throw new IllegalArgumentException(file + ": invalid bundle format version " + version);
        String expected = meta.get("tensors_sha256");
        if (expected == null) throw new IllegalArgumentException(file + ": bundle has no tensors_sha256 checksum");
        if (!expected.equals(dataSha256(st.tensors())))
            throw new IllegalArgumentException(file + ": checksum mismatch (the tensor data is damaged)");
        Config config = configOf(file, meta);
        Preprocessing pre;
        try {
            pre = Preprocessing.fromJson(meta.get("preprocessing"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        requireFinite(file, st.tensors());
        Map<String, Tensor> tensors = checkShapes ? checkFits(config, pre, st.tensors(), file.toString()) : st.tensors();
        return new Contents(config, pre, tensors, new LinkedHashMap<>(meta));
    }

    /**
     * Classifies a path: a folder is a checkpoint (run or checkpoint folder); a file by its metadata format.
     *
     * @throws IllegalArgumentException when it does not exist or is not a safetensors file
     */
    public static Kind detect(Path path) {
        if (Files.isDirectory(path)) return Kind.CHECKPOINT;
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException(path + ": no such file or folder");
        Map<String, String> meta;
        try {
            meta = Safetensors.readMetadata(path);
        } catch (SafetensorsException e) {
            throw new IllegalArgumentException(path + ": truncated, corrupt or not a bundle/checkpoint/safetensors file ("
                    + withoutPath(path, e.getMessage()) + ")", e);
        }
        String f = meta.get("format");
        if (FORMAT.equals(f)) return Kind.BUNDLE;
        if (CHECKPOINT_FORMAT.equals(f)) return Kind.CHECKPOINT;
        return Kind.STATE_DICT;
    }

    /**
     * Reads a G/E state dict in safetensors form: our export (its metadata carries the configuration) or a file
     * written by PyTorch ({@code safetensors.torch.save_file(model.state_dict(), ...)}), which needs the preset's
     * configuration ({@code bigbigan convert --preset} gives it from the trainer's presets).
     *
     * @param preset    the configuration the weights belong to; null to take the file's metadata
     * @param imageSize the training images' side; 0 takes the file's preprocessing or the preset's network size
     * @throws IllegalArgumentException when neither names a configuration, or the tensors do not fit it
     */
    public static Contents fromStateDict(Path file, Config preset, int imageSize) {
        var st = readSafetensors(file);
        Map<String, String> meta = st.metadata();
        Config config;
        if (meta.containsKey("config")) {
            config = configOf(file, meta);
            if (preset != null && !preset.preset().equals(config.preset()))
                throw new IllegalArgumentException(file + ": holds preset " + config.preset() + ", not " + preset.preset());
        } else if (preset != null) {
            config = preset;
        } else {
            throw new IllegalArgumentException(file + ": no configuration in its metadata; name the preset (--preset)");
        }
        Preprocessing pre;
        if (imageSize <= 0 && meta.containsKey("preprocessing")) {
            try {
                pre = Preprocessing.fromJson(meta.get("preprocessing"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
        } else {
            pre = Preprocessing.forModel(config.model(), imageSize);
        }
        requireFinite(file, st.tensors());
        Map<String, Tensor> tensors = checkFits(config, pre, st.tensors(), file + " (preset " + config.preset() + ")");
        Map<String, String> prov = new LinkedHashMap<>();
        for (String k : List.of("source", "step", "weights", "data"))
            if (meta.containsKey(k)) prov.put(k, meta.get(k));
        prov.putIfAbsent("source", file.getFileName().toString());
        return new Contents(config, pre, tensors, prov);
    }

    /**
     * Writes a bundle's content as a plain state dict: the same tensor names, which are exactly the state-dict keys
     * of the PyTorch modules described in docs/bundles.md, and the configuration and preprocessing in the metadata.
     */
    public static void exportStateDict(Contents c, Path out) {
        Map<String, String> meta = new LinkedHashMap<>(c.provenance());
        meta.keySet().removeAll(List.of("format", "format_version", "tensors_sha256"));
        meta.put("format", STATE_DICT_FORMAT);
        meta.put("preset", c.config().preset());
        meta.put("config", c.config().toJson());
        meta.put("config_format_version", Integer.toString(c.config().formatVersion()));
        meta.put("preprocessing", c.preprocessing().toJson());
        Safetensors.write(out, c.tensors(), meta);
    }

    /**
     * Parameter counts of the networks a bundle's configuration builds, by network ({@code G}, {@code E}; buffers
     * such as batch-norm statistics excluded).
     */
    public static Map<String, Long> parameterCounts(Contents c) {
        Networks n = new Networks(c.config().model(), c.preprocessing());
        try {
            Map<String, Long> counts = new TreeMap<>();
            Modules.parameters(n).forEach((k, v) -> counts.merge(k.substring(0, k.indexOf('.')), v.numel(), Long::sum));
            return counts;
        } finally {
            n.close();
        }
    }

    /** SHA-256 (hex) of the tensors' bytes in map order: the data section of the safetensors file they make. */
    @SuppressWarnings({"try", "restricted"})
    static String dataSha256(Map<String, Tensor> tensors) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Tensor t : tensors.values()) {
            long bytes = t.numel() * NativeMemory.elementSize(t.scalar_type().intern());
            if (bytes == 0) continue;
            try (StepScope ignored = StepScope.open()) {
                Tensor c = t.detach().cpu().contiguous();
                MemorySegment src = MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(bytes);
                for (long off = 0; off < bytes; off += 1 << 30)
                    md.update(src.asSlice(off, Math.min(1L << 30, bytes - off)).asByteBuffer());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static io.bigbigan.bindings.SafetensorsFile readSafetensors(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file");
        try {
            return Safetensors.read(file);
        } catch (SafetensorsException e) {
            throw new IllegalArgumentException(file + ": truncated, corrupt or not a safetensors file ("
                    + withoutPath(file, e.getMessage()) + ")", e);
        }
    }

    private static Config configOf(Path file, Map<String, String> meta) {
        int cv = meta.containsKey("config_format_version") ? intMeta(file, meta, "config_format_version")
                : DEFAULT_CONFIG_FORMAT_VERSION;
        try {
            return Config.parse(meta.get("config"), cv);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": bad configuration in metadata: " + e.getMessage(), e);
        }
    }

    private static int intMeta(Path file, Map<String, String> meta, String key) {
        try {
            return Integer.parseInt(meta.getOrDefault(key, "?"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": unreadable " + key + " '" + meta.get(key) + "'");
        }
    }

    /**
     * Checks names, shapes and types by loading into freshly built networks; the message summarises the mismatches.
     * Floating-point tensors of another precision than the networks' (F16, BF16, F64) are converted to it, with a
     * warning naming them, and so are whole-number scalars where the networks hold an integer counter (a batch norm's
     * {@code num_batches_tracked} written as a float); integer or boolean tensors where the networks hold floating-point ones (or the reverse)
     * are refused.
     *
     * @return the tensors in the networks' types
     */
    static Map<String, Tensor> checkFits(Config config, Preprocessing pre, Map<String, Tensor> tensors, String what) {
        Networks n = new Networks(config.model(), pre);
        try {
            Map<String, Tensor> expected = Modules.state(n), out = new LinkedHashMap<>();
            List<String> converted = new ArrayList<>();
            tensors.forEach((k, t) -> {
                Tensor want = expected.get(k);
                boolean counter = want != null && t.is_floating_point() && !want.is_floating_point()
                        && want.scalar_type().intern() != org.bytedeco.pytorch.global.torch.ScalarType.Bool
                        && t.numel() == 1 && org.bytedeco.pytorch.global.torch.equal(t, t.round());
                if (want != null && (counter || t.is_floating_point() && want.is_floating_point()
                        && t.scalar_type().intern() != want.scalar_type().intern())) {
                    converted.add(k + " " + Safetensors.dtypeName(t.scalar_type()));
                    t = t.to(want.scalar_type());
                }
                out.put(k, t);
            });
            n.load(out);
            if (!converted.isEmpty())
                LOG.warn("{}: converted {} tensor(s) to the networks' {}: {}", what, converted.size(),
                        Safetensors.dtypeName(expected.values().stream().filter(Tensor::is_floating_point).findFirst()
                                .orElseThrow().scalar_type()), converted.size() > 3
                                ? String.join(", ", converted.subList(0, 3)) + " and " + (converted.size() - 3) + " more"
                                : String.join(", ", converted));
            return out;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": weights do not match preset " + config.preset() + " ("
                    + summarise(e.getMessage()) + ")", e);
        } finally {
            n.close();
        }
    }

    /** Refuses weights holding NaN or Inf, naming the first such tensor (exit 3 in the CLI, as for checkpoints). */
    private static void requireFinite(Path file, Map<String, Tensor> tensors) {
        String bad = io.bigbigan.bindings.Tensors.firstNonFinite(tensors);
        if (bad != null)
            throw new io.bigbigan.bindings.NonFiniteException(file + ": tensor " + bad + " holds NaN or Inf; the"
                    + " weights are damaged (a run that diverged, or corrupted data)");
    }

    static String summarise(String message) {
        List<String> lines = new ArrayList<>(message.lines().skip(1).map(String::trim).toList());
        int n = lines.size();
        String head = String.join("; ", lines.subList(0, Math.min(3, n)));
        return n > 3 ? head + "; and " + (n - 3) + " more" : head;
    }

    private static String withoutPath(Path file, String message) {
        String p = file.toString();
        return message != null && message.startsWith(p) ? message.substring(p.length()).replaceFirst("^:\\s*", "") : message;
    }
}
