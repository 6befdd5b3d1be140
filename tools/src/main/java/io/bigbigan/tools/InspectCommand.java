package io.bigbigan.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.trainer.run.TrainingRun;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = {"Describe a checkpoint: preset, step, data, format and library versions,",
        "parameter counts per network, completeness against its manifest, SHA-256, and the configuration."},
        footer = {"", "Example:", "  bigbigan inspect --checkpoint runs/bigan-mlp-synthetic"})
final class InspectCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Option(names = "--json", description = "Print the description as one JSON object instead (schema in README, Commands).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path file = Checkpoints.locate(checkpointOption.checkpoint);   // a damaged file named directly is described too
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
            j.put("data", meta.get(TrainingRun.DATA));
            Map<String, String> rest = new LinkedHashMap<>(meta);              // every key, the config parsed below
            rest.remove("config");
            j.put("metadata", rest);
            j.put("parameters", Modules.parameterCount(loaded.trainer().model()));
            j.put("tensor_elements", counts);
            ObjectMapper mapper = new ObjectMapper();
            j.put("config", mapper.readTree(loaded.config().toJson()));
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(j));
            return 0;
        }
        System.out.println("file        " + file + " (" + Files.size(file) + " bytes)");
        System.out.println("sha256      " + Checkpoints.sha256(file));
        System.out.println("complete    " + (problem == null ? "yes" : "no: " + problem));
        System.out.println("finite      " + (nonFinite == null ? "yes" : "no: " + nonFinite + " holds NaN or Inf"));
        System.out.println("preset      " + loaded.config().preset());
        System.out.println("step        " + loaded.step());
        System.out.println("data        " + meta.getOrDefault(TrainingRun.DATA, "?"));
        System.out.println("format      " + meta.getOrDefault("format", "?") + " v" + meta.getOrDefault("format_version", "?"));
        System.out.println("pytorch     " + meta.getOrDefault("pytorch", "?"));
        System.out.println("parameters  " + String.format("%,d", Modules.parameterCount(loaded.trainer().model()))
                + " (G, E, D); tensor elements by prefix (incl. buffers): " + counts);
        System.out.println("config      " + loaded.config().toJson());
        return 0;
    }
}
