package io.bigbigan.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.api.Bundle;
import io.bigbigan.nativelib.LibraryVersions;
import io.bigbigan.nativelib.Provenance;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = {"Describe a checkpoint or an inference bundle: preset, step, data, format,",
        "LibTorch and JavaCPP preset versions, what wrote a checkpoint (bigbigan version, time, Java, OS),",
        "parameter counts per network, completeness (manifest or checksum), SHA-256, and the configuration."},
        footer = {"", "Examples:", "  bigbigan inspect --checkpoint runs/bigan-mlp-synthetic", "  bigbigan inspect --model model.bundle"})
final class InspectCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Option(names = "--json", description = "Print the description as one JSON object instead (schema in docs/commands.md).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path path = checkpointOption.checkpoint;
        Bundle.Kind kind = Bundle.detect(path);
        if (kind != Bundle.Kind.CHECKPOINT) return inspectBundle(path, kind, json);
        Path file = Checkpoints.locate(path);   // a damaged file named directly is described too
        Map<String, String> meta = Safetensors.readMetadata(file);
        var loaded = Checkpoints.loadUnverified(file);
        String problem = Checkpoints.verify(file);
        String nonFinite = io.bigbigan.bindings.Tensors.firstNonFinite(loaded.trainer().state());
        Map<String, Long> counts = new TreeMap<>();
        loaded.trainer().state().forEach((k, v) -> counts.merge(k.substring(0, k.indexOf('.')), v.numel(), Long::sum));
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("file", file.toString());
            j.put("bytes", Files.size(file));
            j.put("sha256", Checkpoints.sha256(file));
            j.put("complete", problem == null);
            j.put("problem", problem);
            j.put("finite", nonFinite == null);
            j.put("non_finite_tensor", nonFinite);
            j.put("preset", loaded.config().preset());
            j.put("step", loaded.step());
            j.put("data", loaded.meta().run().data());
            putVersions(j, meta);
            putProvenance(j, loaded.meta().provenance());
            Map<String, String> rest = new LinkedHashMap<>(meta);              // every key, the config parsed below
            rest.remove("config");
            j.put("metadata", rest);
            j.put("parameters", Modules.parameterCount(loaded.trainer().model()));
            j.put("tensor_elements", counts);
            j.put("config", MAPPER.readTree(loaded.config().toJson()));
            return printJson(j);
        }
        System.out.println("file        " + file + " (" + Files.size(file) + " bytes)");
        System.out.println("sha256      " + Checkpoints.sha256(file));
        System.out.println("complete    " + (problem == null ? "yes" : "no: " + problem));
        System.out.println("finite      " + (nonFinite == null ? "yes" : "no: " + nonFinite + " holds NaN or Inf"));
        System.out.println("preset      " + loaded.config().preset());
        System.out.println("step        " + loaded.step());
        System.out.println("data        " + orUnknown(loaded.meta().run().data()));
        System.out.println("format      " + meta.getOrDefault("format", "?") + " v" + meta.getOrDefault("format_version", "?"));
        printVersions(meta);
        printProvenance(loaded.meta().provenance());
        System.out.println("parameters  " + String.format("%,d", Modules.parameterCount(loaded.trainer().model()))
                + " (G, E, D); tensor elements by prefix (incl. buffers): " + counts);
        System.out.println("config      " + loaded.config().toJson());
        return 0;
    }

    /** An inference bundle (checksum verified on reading) or an exported state dict with its configuration. */
    private static Integer inspectBundle(Path file, Bundle.Kind kind, boolean json) throws Exception {
        Map<String, String> meta = Safetensors.readMetadata(file);
        if (kind == Bundle.Kind.STATE_DICT && !meta.containsKey("config"))
            throw new IllegalArgumentException(file + ": neither a bigbigan checkpoint nor a bundle (metadata format is '"
                    + meta.get("format") + "', no configuration); a PyTorch state dict becomes a bundle with: "
                    + "bigbigan convert --preset NAME " + file + " OUT.bundle");
        Bundle.Contents c = kind == Bundle.Kind.BUNDLE ? Bundle.read(file) : Bundle.fromStateDict(file, null, 0);
        try {
            Map<String, Long> params = Bundle.parameterCounts(c);
            Map<String, Long> counts = new TreeMap<>();
            c.tensors().forEach((k, v) -> counts.merge(k.substring(0, k.indexOf('.')), v.numel(), Long::sum));
            long total = params.values().stream().mapToLong(Long::longValue).sum();
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("file", file.toString());
                j.put("bytes", Files.size(file));
                j.put("sha256", Checkpoints.sha256(file));
                j.put("kind", kind == Bundle.Kind.BUNDLE ? "bundle" : "state_dict");
                j.put("complete", kind == Bundle.Kind.BUNDLE ? Boolean.TRUE : null);   // a state dict has no checksum
                j.put("preset", c.config().preset());
                j.put("step", meta.containsKey("step") ? Long.parseLong(meta.get("step")) : null);
                j.put("weights", meta.get("weights"));
                j.put("source", meta.get("source"));
                j.put("data", meta.get("data"));
                putVersions(j, meta);
                Map<String, String> rest = new LinkedHashMap<>(meta);
                rest.remove("config");
                j.put("metadata", rest);
                j.put("parameters", total);
                j.put("parameters_per_network", params);
                j.put("tensor_elements", counts);
                j.put("preprocessing", MAPPER.readTree(c.preprocessing().toJson()));
                j.put("config", MAPPER.readTree(c.config().toJson()));
                return printJson(j);
            }
            System.out.println("file        " + file + " (" + Files.size(file) + " bytes)");
            System.out.println("sha256      " + Checkpoints.sha256(file));
            System.out.println("kind        " + (kind == Bundle.Kind.BUNDLE ? "inference bundle (G and E)"
                    : "state dict of G and E (exported; make a bundle with bigbigan convert)"));
            if (kind == Bundle.Kind.BUNDLE) System.out.println("complete    yes (tensors_sha256 matches the data)");
            System.out.println("preset      " + c.config().preset());
            System.out.println("step        " + meta.getOrDefault("step", "?") + " (" + meta.getOrDefault("weights", "?")
                    + " weights of " + meta.getOrDefault("source", "?") + ")");
            System.out.println("data        " + meta.getOrDefault("data", "?"));
            System.out.println("format      " + meta.getOrDefault("format", "?")
                    + (meta.containsKey("format_version") ? " v" + meta.get("format_version") : ""));
            printVersions(meta);
            StringBuilder per = new StringBuilder();
            params.forEach((k, v) -> per.append(per.isEmpty() ? "" : ", ").append(k).append(String.format(" %,d", v)));
            System.out.println("parameters  " + String.format("%,d", total)
                    + " (" + per + "); tensor elements by prefix (incl. buffers): " + counts);
            System.out.println("images      " + c.preprocessing().toJson());
            System.out.println("config      " + c.config().toJson());
        } finally {
            c.tensors().values().forEach(Tensor::close);
        }
        return 0;
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static Integer printJson(Map<String, Object> j) throws Exception {
        System.out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(j));
        return 0;
    }

    /** {@code libtorch} and {@code javacpp_preset} (null where the file does not say). */
    private static void putVersions(Map<String, Object> j, Map<String, String> meta) {
        LibraryVersions v = LibraryVersions.of(meta);
        j.put("libtorch", v == null ? null : v.libtorch());
        j.put("javacpp_preset", v == null ? null : v.preset());
    }

    /** The program that wrote a checkpoint, and when (null where the file does not say). */
    private static void putProvenance(Map<String, Object> j, Provenance p) {
        j.put(Provenance.BIGBIGAN_KEY, p.bigbigan());
        j.put(Provenance.WRITTEN_AT_KEY, p.writtenAt() == null ? null : p.writtenAt().toString());
        j.put(Provenance.JAVA_KEY, p.java());
        j.put(Provenance.OS_KEY, p.os());
    }

    /** The program that wrote a checkpoint, and when ({@code ?} where the file does not say). */
    private static void printProvenance(Provenance p) {
        System.out.println("bigbigan    " + orUnknown(p.bigbigan()));
        System.out.println("written     " + orUnknown(p.writtenAt()));
        System.out.println("java        " + orUnknown(p.java()));
        System.out.println("os          " + orUnknown(p.os()));
    }

    private static String orUnknown(Object value) {
        return value == null ? "?" : value.toString();
    }

    /** The LibTorch and JavaCPP preset versions that wrote the file (older files: split from the joined value). */
    private static void printVersions(Map<String, String> meta) {
        LibraryVersions v = LibraryVersions.of(meta);
        System.out.println("libtorch    " + (v == null ? "?" : v.libtorch()));
        System.out.println("javacpp     preset " + (v == null ? "?" : v.preset()) + " (org.bytedeco:pytorch)");
    }
}
