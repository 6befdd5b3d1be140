package io.bigbigan.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Which model kind" is answered in {@code model/} only ({@code ModelConfig.modelKind()}): outside it, the concrete
 * configurations and kinds may be named only by the presets that build them, the one exhaustive trainer factory
 * and the two step trainers' own type guards. A new switch or instanceof over the kinds anywhere else fails here;
 * ask the {@code ModelKind} instead (or add the answer to it).
 *
 * <p>A source scan, not a bytecode one: it sees imports, fully qualified names and plain references alike.
 */
class ModelKindSitesTest {
    private static final Pattern KIND_TYPES = Pattern.compile(
            "\\b(BiganMlpConfig|BigBiganConfig|BiganMlpKind|BigBiganKind)\\b");
    /** By file name, so that moving them between trainer packages needs no edit here. */
    private static final Set<String> ALLOWED = Set.of(
            "Presets.java", "Trainers.java", "BiganTrainer.java", "BigBiganTrainer.java");
    private static final List<String> MODULES = List.of("native", "bindings", "trainer", "api", "tools");

    @Test
    void onlyTheFactoryThePresetsAndTheTrainersNameTheKinds() throws IOException {
        Path root = root();
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        for (String module : MODULES) {
            Path src = root.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(src)) continue;
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    scanned++;
                    String rel = root.relativize(f).toString().replace('\\', '/');
                    if (module.equals("trainer") && ALLOWED.contains(f.getFileName().toString())) continue;
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++)
                        if (KIND_TYPES.matcher(lines.get(i)).find()) offenders.add(rel + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertTrue(scanned > 100, "scanned only " + scanned + " sources under " + root);
        assertEquals(List.of(), offenders, "model-kind types named outside model/ (ask ModelConfig.modelKind())");
    }

    /** The repository root: the nearest directory up from the working directory holding {@code model/src}. */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent())
            if (Files.isDirectory(q.resolve("model/src/main/java"))) return q;
        throw new IllegalStateException("no repository root above " + p);
    }
}
