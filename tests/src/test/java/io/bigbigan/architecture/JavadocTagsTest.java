package io.bigbigan.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A block tag ({@code @throws}, {@code @param}, {@code @return}, ...) counts only at the start of a comment line;
 * written after text inside a one-line comment ({@code /** Loads it. @throws X when ... *}{@code /}) javadoc prints it
 * as a literal "@throws" in the sentence, and doclint does not notice. This scan does, in every module's main sources.
 */
class JavadocTagsTest {
    private static final Pattern INLINE_BLOCK_TAG = Pattern.compile(
            "/\\*\\*.*\\S\\s+@(throws|exception|param|return|see|since|deprecated)\\b.*\\*/");
    private static final List<String> MODULES = List.of("native", "bindings", "model", "trainer", "api", "tools");

    @Test
    void blockTagsStartTheirLine() throws IOException {
        Path root = ModelKindSitesTest.root();
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        for (String module : MODULES) {
            Path src = root.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(src)) continue;
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    scanned++;
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++)
                        if (INLINE_BLOCK_TAG.matcher(lines.get(i)).find())
                            offenders.add(root.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertTrue(scanned > 100, "scanned only " + scanned + " sources under " + root);
        assertEquals(List.of(), offenders, "block tags inside one-line Javadoc comments (javadoc prints them as text)");
    }
}
