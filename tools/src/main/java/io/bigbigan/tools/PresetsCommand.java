package io.bigbigan.tools;

import io.bigbigan.bindings.Modules;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "presets", mixinStandardHelpOptions = true, description = {"List the presets with their parameter counts per network: G, E, D, and for BigBiGAN",
        "D's parts F, H and J. Counts come from building each model."},
        footer = {"", "Examples:", "  bigbigan presets", "  bigbigan presets --preset bigbigan-32 --json"})
final class PresetsCommand implements Callable<Integer> {
    @Option(names = "--preset", description = "Only this preset (building the largest takes minutes and several GB).")
    String preset;

    @Option(names = "--json", description = "Also print each preset's configuration as JSON.")
    boolean json;

    @Override
    public Integer call() {
        List<String> names = preset != null ? List.of(preset) : Presets.names();
        System.out.printf("%-18s %14s %14s %14s %14s  %s%n", "preset", "G", "E", "D", "total", "D parts / notes");
        for (String name : names) {
            RunConfig config = Presets.get(name);
            var kind = config.model().modelKind();
            try (Module model = kind.build()) {
                long g = count(model, "G"), e = count(model, "E"), d = count(model, "D");
                StringBuilder notes = new StringBuilder();
                kind.discriminatorParts(model).forEach((part, m) -> notes.append(notes.isEmpty() ? "" : "  ")
                        .append(String.format("%s %,d", part, Modules.parameterCount(m))));
                System.out.printf("%-18s %,14d %,14d %,14d %,14d  %s%n", name, g, e, d, g + e + d, notes);
            }
            if (json) System.out.println(config.toJson());
        }
        return 0;
    }

    private static long count(Module root, String child) {
        long n = 0;
        for (var e : Modules.parameters(root).entrySet())
            if (e.getKey().startsWith(child + ".")) n += e.getValue().numel();
        return n;
    }
}
