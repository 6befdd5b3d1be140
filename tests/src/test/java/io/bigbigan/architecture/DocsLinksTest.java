package io.bigbigan.architecture;

import io.bigbigan.support.ChildJvm;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README.md and docs/*.md link to each other: every relative link names a file that exists, every {@code #anchor}
 * a heading of its target (GitHub's heading ids), and README links every docs page.
 */
class DocsLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void relativeLinksAndAnchorsResolve() throws IOException {
        Path root = ChildJvm.root();
        List<String> broken = new ArrayList<>();
        for (Path page : pages(root)) {
            for (String link : links(Files.readString(page))) {
                if (link.matches("^[a-z]+:.*")) continue;                         // https:, mailto:
                int hash = link.indexOf('#');
                String file = hash < 0 ? link : link.substring(0, hash);
                Path target = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                String where = root.relativize(page) + ": (" + link + ")";
                if (!Files.exists(target)) {
                    broken.add(where + " names no file");
                } else if (hash >= 0 && !anchors(Files.readString(target)).contains(link.substring(hash + 1))) {
                    broken.add(where + " names no heading of " + root.relativize(target));
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    @Test
    void readmeLinksEveryDocsPage() throws IOException {
        Path root = ChildJvm.root();
        Set<String> linked = new HashSet<>(links(Files.readString(root.resolve("README.md"))));
        for (Path page : pages(root)) {
            String name = root.relativize(page).toString();
            if (!name.equals("README.md"))
                assertTrue(linked.contains(name), "README.md has no link to " + name);
        }
    }

    @Test
    void headingIdsFollowGitHub() {
        assertEquals(Set.of("fashion-mnist-bigan-mlp-12-epochs", "the-main-job-synthetic-shapes", "results",
                "results-1"), anchors("## Fashion-MNIST, `bigan-mlp`, 12 epochs\n### The main job (synthetic shapes)\n"
                + "# Results\n```\n# not a heading\n```\n## Results\n"));
    }

    private static List<Path> pages(Path root) throws IOException {
        List<Path> out = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
        }
        return out;
    }

    /** Link targets outside fenced code blocks. */
    private static List<String> links(String markdown) {
        List<String> out = new ArrayList<>();
        for (String line : prose(markdown)) {
            Matcher m = LINK.matcher(line);
            while (m.find()) out.add(m.group(1));
        }
        return out;
    }

    /** GitHub's ids of the headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
    static Set<String> anchors(String markdown) {
        Set<String> out = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : prose(markdown)) {
            if (!line.matches("^#{1,6} .*")) continue;
            String id = line.replaceFirst("^#+ ", "").strip().toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
            int n = seen.merge(id, 1, Integer::sum);
            out.add(n == 1 ? id : id + "-" + (n - 1));
        }
        return out;
    }

    private static List<String> prose(String markdown) {
        List<String> out = new ArrayList<>();
        boolean code = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) code = !code;
            else if (!code) out.add(line);
        }
        return out;
    }
}
