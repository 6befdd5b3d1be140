package io.bigbigan.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bigbigan.bindings.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A self-contained HTML report of one run: charts of every numeric series of {@code metrics.jsonl} (losses,
 * D accuracies, reconstruction errors, the periodic linear-probe accuracy, gradient norms, ...), the best checkpoint
 * ({@code checkpoints/best.json}), the newest sample and reconstruction grids, diagnostic sheets and evaluation
 * tables. Images are embedded as base64 PNG data URIs, and the charts are drawn by uPlot, whose script and stylesheet
 * are inlined with the data, so the file opens offline, without a server.
 *
 * <p>The page is a sequence of sections ({@code SECTIONS}); a new kind of content is one more section.
 *
 * <p>Charts ({@code charts.js}): one {@code <div class="chart">} per group; every x axis runs from step 0 to the
 * run's last logged step, so charts line up and a series logged once is a marker at its step rather than a lone dot
 * in the middle of a narrow axis. Each series has its own colour, dash pattern and marker (filled dots and rings of
 * two sizes alternate, a ring showing the dot beneath it), so points at the same place stay distinguishable; the
 * legend below the plot shows each series' value at the cursor's step (the last step's until the cursor moves). The y axis is logarithmic where a chart's values are all positive and span a
 * factor of {@link #LOG_SCALE_RATIO} or more ({@code logScale}). A series identical to an earlier one of its chart
 * (for {@code bigan-mlp}, {@code loss_d_sxz} is {@code loss_d}) is drawn once, its legend naming both. After
 * rendering, {@code <body data-rendered="N">} holds the number of charts drawn, and every chart's
 * {@code data-plot-box} and {@code data-legend-box} their page rectangles "x,y,width,height" and
 * {@code data-x-ticks}/{@code data-y-ticks} the labelled tick values (hooks for headless-browser tests).
 */
public final class RunReport {
    private static final ObjectMapper JSON = io.bigbigan.bindings.Json.MAPPER;

    /** A chart's y axis is logarithmic when its largest value is at least this many times its smallest. */
    public static final double LOG_SCALE_RATIO = 30;

    private RunReport() {}

    /** What to put in the report besides the run folder's own files. */
    public record Inputs(Path run, List<Path> diagnostics, List<Path> evaluations) {}

    /** The run's metrics, read once for every section: key -> step -> value. */
    record Context(Inputs in, Map<String, TreeMap<Long, Double>> series) {
        Path run() {
            return in.run();
        }
    }

    /** One part of the page: appends its HTML (a heading and its content, or nothing) to {@code h}. */
    @FunctionalInterface
    interface Section {
        void append(StringBuilder h, Context c) throws IOException;
    }

    /** The page's sections, in order. */
    static final List<Section> SECTIONS = List.of(RunReport::summary, RunReport::curves, RunReport::best,
            RunReport::grids, RunReport::diagnostics, RunReport::evaluations,
            (h, c) -> h.append(AnomalySection.html(c.run().resolve("anomaly"))), RunReport::charts);

    /** Builds the HTML and writes it to {@code out} atomically; returns the number of chart groups. */
    public static int write(Inputs in, Path out) throws IOException {
        String html = render(in);
        AtomicFiles.writeStream(out, os -> os.write(html.getBytes(StandardCharsets.UTF_8)));
        return groups(readMetrics(in.run().resolve("metrics.jsonl"))).size();
    }

    /** The report's HTML. */
    public static String render(Inputs in) throws IOException {
        Path run = in.run();
        if (!Files.isDirectory(run)) throw new IllegalArgumentException("--run " + run + ": no such folder");
        Context c = new Context(in, readMetrics(run.resolve("metrics.jsonl")));
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(esc("bigbigan report: " + run.getFileName())).append("</title>\n<style>")
                .append(resource("uplot/uPlot.min.css"))
                .append("\nbody{font-family:sans-serif;margin:24px;color:#222}h1{font-size:22px}h2{font-size:18px;"
                        + "margin-top:28px;border-bottom:1px solid #ccc}figure{display:inline-block;margin:8px;"
                        + "vertical-align:top}figcaption{font-size:12px;color:#555;max-width:36em}pre{background:#f6f6f6;padding:8px;"
                        + "font-size:12px;overflow:auto}.chart{display:inline-block;border:1px solid #ddd;margin:6px;padding:4px;"
                        + "background:#fff;vertical-align:top}.u-title{font-size:13px}.u-legend{font-size:11px;max-width:430px}"
                        + "img{image-rendering:pixelated;max-width:100%}")
                .append("</style></head>\n<body data-rendered=\"0\">\n<h1>").append(esc("Run " + run.toAbsolutePath()))
                .append("</h1>\n");
        for (Section s : SECTIONS) s.append(h, c);
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void summary(StringBuilder h, Context c) {
        var series = c.series();
        h.append("<p>Last logged step: ").append(lastStep(series));
        for (String k : List.of("loss_d", "loss_eg", "acc_d")) {
            var m = series.get(k);
            if (m != null && !m.isEmpty())
                h.append(String.format(java.util.Locale.ROOT, "; %s %.4f", esc(k), m.lastEntry().getValue()));
        }
        h.append("</p>\n");
    }

    private static void curves(StringBuilder h, Context c) {
        h.append("<h2>Training curves</h2>\n");
        if (c.series().isEmpty()) h.append("<p>No metrics.jsonl in this run.</p>\n");
        else h.append("<p class=\"hint\">Hover a chart for the values at a step; drag to zoom, double-click to reset.</p>\n");
        h.append("<div id=\"charts\"></div>\n");
    }

    private static void best(StringBuilder h, Context c) throws IOException {
        Path best = c.run().resolve("checkpoints").resolve("best.json");
        if (Files.isRegularFile(best)) {
            h.append("<h2>Best checkpoint (linear probe)</h2>\n<pre>").append(esc(Files.readString(best))).append("</pre>\n");
        }
    }

    private static void grids(StringBuilder h, Context c) throws IOException {
        h.append("<h2>Samples and reconstructions</h2>\n");
        Path images = c.run().resolve("images");
        for (String prefix : List.of("samples-", "reconstructions-")) {
            Path latest = newest(images, prefix);
            if (latest != null) figure(h, latest, gridCaption(latest));
        }
    }

    private static void diagnostics(StringBuilder h, Context c) throws IOException {
        List<Path> diag = new ArrayList<>();
        for (Path d : c.in().diagnostics()) if (Files.isDirectory(d)) diag.addAll(pngs(d));
        if (diag.isEmpty()) return;
        h.append("<h2>Diagnostics</h2>\n");
        for (Path p : diag) figure(h, p, diagnosticCaption(p));
        for (Path d : c.in().diagnostics()) {
            Path j = d.resolve("diagnostics.json");
            if (Files.isRegularFile(j)) h.append("<pre>").append(esc(Files.readString(j))).append("</pre>\n");
        }
    }

    private static void evaluations(StringBuilder h, Context c) throws IOException {
        List<Path> evals = new ArrayList<>();
        if (Files.isRegularFile(c.run().resolve("evaluation.txt"))) evals.add(c.run().resolve("evaluation.txt"));
        evals.addAll(c.in().evaluations());
        if (evals.isEmpty()) return;
        h.append("<h2>Evaluation</h2>\n");
        for (Path e : evals) {
            if (!Files.isRegularFile(e)) throw new IllegalArgumentException("--evaluation " + e + ": no such file");
            h.append("<h3>").append(esc(e.getFileName().toString())).append("</h3>\n<pre class=\"evaluation\">")
                    .append(esc(Files.readString(e))).append("</pre>\n");
        }
    }

    /** The chart data, uPlot and the script that draws the charts into {@code #charts}. */
    private static void charts(StringBuilder h, Context c) throws IOException {
        var series = c.series();
        ObjectNode data = JSON.createObjectNode();
        data.put("lastStep", lastStep(series));
        ObjectNode charts = data.putObject("charts");
        for (var g : groups(series).entrySet()) {
            ObjectNode chart = charts.putObject(g.getKey());
            ObjectNode lines = chart.putObject("series"), labels = chart.putObject("labels");
            List<Double> values = new ArrayList<>();
            for (var e : distinct(g.getValue(), series).entrySet()) {
                String key = e.getKey();
                ArrayNode pts = lines.putArray(key);
                series.get(key).forEach((step, v) -> pts.addArray().add(step).add(v));
                values.addAll(series.get(key).values());
                labels.put(key, String.join(" = ", e.getValue()));
            }
            chart.put("log", logScale(values));
        }
        h.append("<script type=\"application/json\" id=\"data\">")
                .append(JSON.writeValueAsString(data).replace("</", "<\\/")).append("</script>\n");
        h.append("<!-- uPlot, inlined below:\n").append(resource("uplot/LICENSE").replace("--", "- -")).append("-->\n");
        h.append("<script>\n").append(resource("uplot/uPlot.iife.min.js")).append("\n</script>\n");
        h.append("<script>\n").append(resource("charts.js")).append("</script>\n");
    }

    /**
     * Whether a chart of these values gets a logarithmic y axis: every finite value positive, and the largest at
     * least {@link #LOG_SCALE_RATIO} times the smallest (gradient norms of different networks, a loss falling by
     * orders of magnitude).
     */
    static boolean logScale(java.util.Collection<Double> values) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double v : values) {
            if (!Double.isFinite(v)) continue;
            if (v <= 0) return false;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return hi > 0 && hi >= LOG_SCALE_RATIO * lo;
    }

    private static long lastStep(Map<String, TreeMap<Long, Double>> series) {
        return series.values().stream().filter(m -> !m.isEmpty()).mapToLong(TreeMap::lastKey).max().orElse(0);
    }

    /** A text file of this package's resources (the build copies uPlot in beside {@code charts.js}). */
    static String resource(String name) throws IOException {
        try (var in = RunReport.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("resource " + name + " missing from the trainer jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Every numeric key except step/epoch, by key, step -> value. */
    static Map<String, TreeMap<Long, Double>> readMetrics(Path f) throws IOException {
        Map<String, TreeMap<Long, Double>> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(f)) return out;
        int lineNo = 0;
        try (Stream<String> lines = Files.lines(f)) {
            for (String line : (Iterable<String>) lines::iterator) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    continue;   // a line cut short by a crash: the rest of the log is still useful
                }
                if (n == null || !n.has("step")) continue;
                long step = n.get("step").asLong();
                for (var it = n.fields(); it.hasNext(); ) {
                    var e = it.next();
                    if (e.getKey().equals("step") || e.getKey().equals("epoch") || !e.getValue().isNumber()) continue;
                    out.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(step, e.getValue().asDouble());
                }
            }
        }
        return out;
    }

    /** Chart groups in display order: losses, D accuracy, linear probe, reconstruction, then the rest. */
    static Map<String, List<String>> groups(Map<String, TreeMap<Long, Double>> series) {
        Map<String, List<String>> g = new LinkedHashMap<>();
        for (String name : List.of("Losses", "D accuracy", "Linear probe top-1", "Probe 1-NN",
                "Linear probe top-1, 1% of the labels", "Probe 1-NN, 1% of the labels", "Reconstruction error",
                "Gradient norms", "Encoder sigma", "Spectral norm sigma", "Throughput (images/s)", "Other"))
            g.put(name, new ArrayList<>());
        for (String k : series.keySet()) {
            String group = k.startsWith("loss") ? "Losses" : k.startsWith("acc") ? "D accuracy"
                    : k.startsWith("probe_top1_1pct") ? "Linear probe top-1, 1% of the labels"
                    : k.startsWith("probe_1nn_1pct") ? "Probe 1-NN, 1% of the labels"
                    : k.startsWith("probe_top1") ? "Linear probe top-1" : k.startsWith("probe_1nn") ? "Probe 1-NN"
                    : k.endsWith("_error") ? "Reconstruction error" : k.startsWith("grad_norm") ? "Gradient norms"
                    : k.startsWith("e_sigma") ? "Encoder sigma" : k.startsWith("sn_sigma") ? "Spectral norm sigma"
                    : k.equals("images_per_s") ? "Throughput (images/s)" : "Other";
            g.get(group).add(k);
        }
        g.values().removeIf(List::isEmpty);
        return g;
    }

    /**
     * The series of one chart without repeats: each key whose points equal those of an earlier key is dropped and
     * named with it. Returns kept key -> the keys it stands for (itself first), in chart order.
     */
    static Map<String, List<String>> distinct(List<String> keys, Map<String, TreeMap<Long, Double>> series) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String key : keys) {
            String same = out.keySet().stream().filter(k -> series.get(k).equals(series.get(key))).findFirst()
                    .orElse(null);
            if (same != null) out.get(same).add(key);
            else out.put(key, new ArrayList<>(List.of(key)));
        }
        return out;
    }

    /** What a training grid shows (the file names written by {@code TrainingRun}). */
    static String gridCaption(Path png) {
        String name = png.getFileName().toString();
        String step = name.replaceAll("\\D", "").replaceFirst("^0+(?=\\d)", "");
        if (name.startsWith("samples-"))
            return "Samples G(z) at step " + step + ", the same latents z at every step (" + name + ")";
        if (name.startsWith("reconstructions-"))
            return "Reconstructions at step " + step + ": test images x, each followed by G(E(x)) (" + name + ")";
        return name;
    }

    /**
     * What a diagnostic sheet of {@code bigbigan diagnose} shows (its file names), with the figures of
     * {@code diagnostics.json} beside it where they belong; other PNGs keep their file name.
     */
    static String diagnosticCaption(Path png) throws IOException {
        String name = png.getFileName().toString();
        Path jf = png.resolveSibling("diagnostics.json");
        JsonNode j = Files.isRegularFile(jf) ? JSON.readTree(jf.toFile()) : JSON.createObjectNode();
        String caption = switch (name) {
            case "iterated-reconstructions.png" -> "Iterated reconstructions: each row starts with a test image x = R_0,"
                    + " then R_i = G(E(R_(i-1))) for i = 1, 2, ..." + numbers(j.get("iterated_reconstruction_error"),
                    "; mean ||R_i - x|| for i = 0, 1, ...: ", v -> String.format(java.util.Locale.ROOT, "%.3f", v));
            case "interpolation-data.png" -> "Interpolation between data: each row is G(z) for z on the line from"
                    + " E(x_a) (left) to E(x_b) (right) of two test images";
            case "interpolation-prior.png" -> "Interpolation between prior samples: each row is G(z) for z on the"
                    + " line from z_a (left) to z_b (right), both drawn from the prior";
            case "truncation.png" -> "Truncation: one row per threshold"
                    + numbers(j.get("truncation_rows"), " (top to bottom: ",
                    v -> java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString()) + (j.has("truncation_rows") ? "; 0 = none)" : "")
                    + ", the same noise in every row; smaller thresholds trade variety for typical images";
            case "nearest-neighbours.png" -> "Nearest neighbours: each row is a test image followed by its nearest"
                    + " training images in E's code space" + (j.has("nearest_neighbours_same_class")
                    ? String.format(java.util.Locale.ROOT, "; %.0f%% of them share the query's class",
                    100 * j.get("nearest_neighbours_same_class").asDouble()) : "");
            case "filters.png" -> "E's first-layer filters" + (j.has("filters_from")
                    ? " (" + j.get("filters_from").asText() + ")" : "") + ", each scaled to its own range";
            default -> null;
        };
        return caption == null ? name : caption + " (" + name + ")";
    }

    private static String numbers(JsonNode array, String prefix, java.util.function.DoubleFunction<String> format) {
        if (array == null || !array.isArray()) return "";
        List<String> v = new ArrayList<>();
        array.forEach(n -> v.add(n.isNumber() ? format.apply(n.asDouble()) : n.asText()));
        return prefix + String.join(", ", v);
    }

    private static Path newest(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) return null;
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".png"))
                    .max(Comparator.comparing(p -> p.getFileName().toString())).orElse(null);
        }
    }

    private static List<Path> pngs(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    private static void figure(StringBuilder h, Path png, String caption) throws IOException {
        h.append("<figure><img alt=\"").append(esc(caption)).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(Files.readAllBytes(png)))
                .append("\"><figcaption>").append(esc(caption)).append("</figcaption></figure>\n");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
