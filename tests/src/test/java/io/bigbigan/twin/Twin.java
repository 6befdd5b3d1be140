package io.bigbigan.twin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the PyTorch twin ({@code python/bigbigan_torch}) with Debian's {@code /usr/bin/python3} (or
 * {@code $BIGBIGAN_PYTHON}), which must have torch. Tests skip when it has none, except under CI (env {@code CI}
 * set), where they fail: {@code .ci/run} installs {@code python3-torch}.
 */
final class Twin {
    static final Path PYTHON = Path.of(System.getenv().getOrDefault("BIGBIGAN_PYTHON", "/usr/bin/python3"));
    private static Boolean hasTorch;

    private Twin() {}

    /** One line of a check's report.json: the relative difference {@code rel} and its tolerance {@code tol}. */
    record Check(String name, double rel, double tol) {}

    /** Skips the test when python3 with torch is missing, unless under CI. */
    static synchronized void requireTorch() {
        if (hasTorch == null) {
            try {
                Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                hasTorch = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException | InterruptedException e) {
                hasTorch = false;
            }
        }
        if (System.getenv("CI") == null) assumeTrue(hasTorch, PYTHON + " with torch is not installed (python3-torch)");
        assertTrue(hasTorch, "CI must install python3-torch for " + PYTHON + " (.ci/run)");
    }

    /**
     * The folder a check writes its files to: {@code tmp}, or {@code $BIGBIGAN_TWIN_DIR/name} when that variable is
     * set (to keep the files of a failing check for a closer look with the twin).
     */
    static Path workDir(Path tmp, String name) {
        String keep = System.getenv("BIGBIGAN_TWIN_DIR");
        try {
            return Files.createDirectories(keep == null ? tmp : Path.of(keep, name));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The repository's {@code python/} folder (found upwards from the working directory). */
    static Path pythonDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
            if (Files.isDirectory(p.resolve("python/bigbigan_torch"))) return p.resolve("python");
        throw new IllegalStateException("python/bigbigan_torch not found above " + Path.of("").toAbsolutePath());
    }

    /** Runs {@code python3 -m bigbigan_torch.checks ARGS}; fails the test on a non-zero exit. Returns the output. */
    static String run(String... args) {
        requireTorch();
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), "-m", "bigbigan_torch.checks"));
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("PYTHONPATH", pythonDir().toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the twin did not finish within 10 min: " + String.join(" ", cmd));
            }
            System.out.print(out);
            assertEquals(0, p.exitValue(), "twin failed: " + String.join(" ", cmd) + "\n" + out);
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The checks {@code dir/report.json} lists. */
    static List<Check> report(Path dir) {
        try {
            JsonNode rows = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
            List<Check> out = new ArrayList<>();
            for (JsonNode r : rows) out.add(new Check(r.get("name").asText(), r.get("rel").asDouble(), r.get("tol").asDouble()));
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Asserts every check of {@code dir/report.json} is within its tolerance; returns the largest relative difference. */
    static double assertAgree(Path dir, String what) {
        List<Check> checks = report(dir);
        assertTrue(checks.size() > 3, "too few checks in " + dir.resolve("report.json"));
        StringBuilder bad = new StringBuilder();
        double max = 0;
        for (Check c : checks) {
            max = Math.max(max, c.rel());
            if (!(c.rel() <= c.tol())) bad.append("\n  ").append(c.name()).append(": ").append(c.rel()).append(" > ").append(c.tol());
        }
        System.out.printf(java.util.Locale.ROOT, "%s: %d checks, largest relative difference %.3e%n", what, checks.size(), max);
        assertTrue(bad.isEmpty(), what + ": the twin differs from Java:" + bad);
        return max;
    }
}
