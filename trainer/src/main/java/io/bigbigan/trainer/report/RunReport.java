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
 * tables. Images are embedded as base64 PNG data URIs and the charts are drawn as inline SVG by a small inline
 * script from the embedded data, so the file opens offline, without a server.
 *
 * <p>Charts: one {@code <svg class="chart">} per group with a plot area, axes with round tick values ("nice
 * numbers": steps of 1, 2 or 5 x 10^k) and a legend below the plot area, so it never covers a line. Each series is a
 * {@code <polyline class="series">} plus {@code <circle class="point">} markers when it has few points, so a series
 * logged once (a 3-step run) still shows its value. A series identical to an earlier one of its chart (for
 * {@code bigan-mlp}, {@code loss_d_sxz} is {@code loss_d}) is drawn once, its legend naming both. After rendering,
 * {@code <body data-rendered="N">} holds the number of charts drawn and every chart's {@code data-plot-box} and
 * {@code data-legend-box} their page rectangles "x,y,width,height" (hooks for headless-browser tests).
 */
public final class RunReport {
    private static final ObjectMapper JSON = io.bigbigan.bindings.Json.MAPPER;

    private RunReport() {}

    /** What to put in the report besides the run folder's own files. */
    public record Inputs(Path run, List<Path> diagnostics, List<Path> evaluations) {}

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
        Map<String, TreeMap<Long, Double>> series = readMetrics(run.resolve("metrics.jsonl"));
        Map<String, List<String>> groups = groups(series);

        ObjectNode data = JSON.createObjectNode();
        ObjectNode charts = data.putObject("charts");
        for (var g : groups.entrySet()) {
            ObjectNode chart = charts.putObject(g.getKey());
            ObjectNode lines = chart.putObject("series"), labels = chart.putObject("labels");
            for (var e : distinct(g.getValue(), series).entrySet()) {
                String key = e.getKey();
                ArrayNode pts = lines.putArray(key);
                series.get(key).forEach((step, v) -> pts.addArray().add(step).add(v));
                labels.put(key, String.join(" = ", e.getValue()));
            }
        }

        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(esc("bigbigan report: " + run.getFileName())).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:24px;color:#222}h1{font-size:22px}h2{font-size:18px;"
                        + "margin-top:28px;border-bottom:1px solid #ccc}figure{display:inline-block;margin:8px;"
                        + "vertical-align:top}figcaption{font-size:12px;color:#555;max-width:36em}pre{background:#f6f6f6;padding:8px;"
                        + "font-size:12px;overflow:auto}.chart{border:1px solid #ddd;margin:6px;background:#fff;vertical-align:top}"
                        + ".legend{font-size:11px}img{image-rendering:pixelated;max-width:100%}")
                .append("</style></head>\n<body data-rendered=\"0\">\n<h1>").append(esc("Run " + run.toAbsolutePath()))
                .append("</h1>\n");
        summary(h, series, run);

        h.append("<h2>Training curves</h2>\n");
        if (groups.isEmpty()) h.append("<p>No metrics.jsonl in this run.</p>\n");
        h.append("<div id=\"charts\"></div>\n");

        Path best = run.resolve("checkpoints").resolve("best.json");
        if (Files.isRegularFile(best)) {
            h.append("<h2>Best checkpoint (linear probe)</h2>\n<pre>").append(esc(Files.readString(best))).append("</pre>\n");
        }

        h.append("<h2>Samples and reconstructions</h2>\n");
        Path images = run.resolve("images");
        for (String prefix : List.of("samples-", "reconstructions-")) {
            Path latest = newest(images, prefix);
            if (latest != null) figure(h, latest, gridCaption(latest));
        }

        List<Path> diag = new ArrayList<>();
        for (Path d : in.diagnostics()) if (Files.isDirectory(d)) diag.addAll(pngs(d));
        if (!diag.isEmpty()) {
            h.append("<h2>Diagnostics</h2>\n");
            for (Path p : diag) figure(h, p, diagnosticCaption(p));
            for (Path d : in.diagnostics()) {
                Path j = d.resolve("diagnostics.json");
                if (Files.isRegularFile(j)) h.append("<pre>").append(esc(Files.readString(j))).append("</pre>\n");
            }
        }

        List<Path> evals = new ArrayList<>();
        if (Files.isRegularFile(run.resolve("evaluation.txt"))) evals.add(run.resolve("evaluation.txt"));
        evals.addAll(in.evaluations());
        if (!evals.isEmpty()) {
            h.append("<h2>Evaluation</h2>\n");
            for (Path e : evals) {
                if (!Files.isRegularFile(e)) throw new IllegalArgumentException("--evaluation " + e + ": no such file");
                h.append("<h3>").append(esc(e.getFileName().toString())).append("</h3>\n<pre class=\"evaluation\">")
                        .append(esc(Files.readString(e))).append("</pre>\n");
            }
        }

        h.append(AnomalySection.html(run.resolve("anomaly")));
        h.append("<script type=\"application/json\" id=\"data\">")
                .append(JSON.writeValueAsString(data).replace("</", "<\\/")).append("</script>\n");
        h.append("<script>\n").append(SCRIPT).append("</script>\n</body></html>\n");
        return h.toString();
    }

    private static void summary(StringBuilder h, Map<String, TreeMap<Long, Double>> series, Path run) {
        long lastStep = series.values().stream().filter(m -> !m.isEmpty()).mapToLong(TreeMap::lastKey).max().orElse(0);
        h.append("<p>Last logged step: ").append(lastStep);
        for (String k : List.of("loss_d", "loss_eg", "acc_d")) {
            var m = series.get(k);
            if (m != null && !m.isEmpty())
                h.append(String.format(java.util.Locale.ROOT, "; %s %.4f", esc(k), m.lastEntry().getValue()));
        }
        h.append("</p>\n");
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
        for (String name : List.of("Losses", "D accuracy", "Linear probe top-1", "Probe 1-NN", "Reconstruction error",
                "Gradient norms", "Encoder sigma", "Spectral norm sigma", "Throughput (images/s)", "Other"))
            g.put(name, new ArrayList<>());
        for (String k : series.keySet()) {
            String group = k.startsWith("loss") ? "Losses" : k.startsWith("acc") ? "D accuracy"
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

    /** Draws every chart of the embedded data as an SVG chart: plot area, nice ticks, markers, legend below. */
    private static final String SCRIPT = """
            (function () {
              var data = JSON.parse(document.getElementById('data').textContent);
              var colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
              var NS = 'http://www.w3.org/2000/svg';
              var host = document.getElementById('charts');
              var drawn = 0;
              function el(name, attrs, parent) {
                var e = document.createElementNS(NS, name);
                for (var k in attrs) e.setAttribute(k, attrs[k]);
                if (parent) parent.appendChild(e);
                return e;
              }
              // An axis from min to max with round ticks: a step of 1, 2 or 5 x 10^k ("nice numbers", Heckbert 1990)
              // giving at most n intervals, the ends rounded out to multiples of it; integer axes step by >= 1.
              function axis(min, max, n, integer) {
                if (!(max > min)) {
                  var pad = integer ? 1 : (min !== 0 ? Math.abs(min) * 0.1 : 1);
                  min -= pad; max += pad;
                }
                var raw = (max - min) / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
                var step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
                if (integer) step = Math.max(1, Math.round(step));
                var lo = Math.floor(min / step + 1e-9) * step, hi = Math.ceil(max / step - 1e-9) * step;
                var decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
                var ticks = [];
                for (var i = 0; lo + i * step <= hi + step * 1e-6; i++) ticks.push(lo + i * step);
                return {lo: lo, hi: hi, ticks: ticks, label: function (v) { return v.toFixed(decimals); }};
              }
              function box(e) {
                var r = e.getBoundingClientRect();
                return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]
                    .map(function (v) { return v.toFixed(1); }).join(',');
              }
              Object.keys(data.charts).forEach(function (title) {
                var chart = data.charts[title], series = chart.series;
                var W = 460, L = 58, R = 16, T = 28, PH = 190;           // plot area: x L..W-R, y T..T+PH
                var xs = [], ys = [];
                Object.keys(series).forEach(function (k) {
                  series[k].forEach(function (p) { if (isFinite(p[1])) { xs.push(p[0]); ys.push(p[1]); } });
                });
                if (!xs.length) return;
                var xa = axis(Math.min.apply(null, xs), Math.max.apply(null, xs), 5, true);
                var ya = axis(Math.min.apply(null, ys), Math.max.apply(null, ys), 4, false);
                var sx = function (v) { return L + (v - xa.lo) / (xa.hi - xa.lo) * (W - L - R); };
                var sy = function (v) { return T + PH - (v - ya.lo) / (ya.hi - ya.lo) * PH; };
                var svg = el('svg', {'class': 'chart', width: W, 'data-title': title}, host);
                el('text', {x: L, y: 17, 'font-size': 13, 'font-weight': 'bold'}, svg).textContent = title;
                var plot = el('rect', {'class': 'plot', x: L, y: T, width: W - L - R, height: PH, fill: 'none'}, svg);
                ya.ticks.forEach(function (v) {
                  el('line', {x1: L, y1: sy(v), x2: W - R, y2: sy(v), stroke: '#eee'}, svg);
                  el('text', {x: L - 5, y: sy(v) + 4, 'font-size': 10, 'text-anchor': 'end'}, svg).textContent = ya.label(v);
                });
                xa.ticks.forEach(function (v) {
                  el('line', {x1: sx(v), y1: T + PH, x2: sx(v), y2: T + PH + 4, stroke: '#888'}, svg);
                  el('text', {x: sx(v), y: T + PH + 15, 'font-size': 10, 'text-anchor': 'middle'}, svg).textContent = xa.label(v);
                });
                el('line', {x1: L, y1: T + PH, x2: W - R, y2: T + PH, stroke: '#888'}, svg);
                el('line', {x1: L, y1: T, x2: L, y2: T + PH, stroke: '#888'}, svg);
                el('text', {x: (L + W - R) / 2, y: T + PH + 29, 'font-size': 10, 'text-anchor': 'middle'}, svg).textContent = 'step';
                var legend = el('g', {'class': 'legend'}, svg);
                var lx = L, ly = T + PH + 46, row = 16;
                Object.keys(series).forEach(function (k, idx) {
                  var c = colors[idx % colors.length];
                  var pts = series[k].filter(function (p) { return isFinite(p[1]); });
                  el('polyline', {'class': 'series', 'data-key': k, fill: 'none', stroke: c, 'stroke-width': 1.5,
                                  points: pts.map(function (p) { return sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1); }).join(' ')}, svg);
                  if (pts.length <= 30) pts.forEach(function (p) {
                    el('circle', {'class': 'point', 'data-key': k, cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1),
                                  r: pts.length === 1 ? 3.5 : 2, fill: c}, svg);
                  });
                  var item = el('g', {}, legend);
                  el('line', {x1: 0, y1: -4, x2: 14, y2: -4, stroke: c, 'stroke-width': 2.5}, item);
                  var t = el('text', {x: 18, y: 0, 'font-size': 11, fill: '#333'}, item);
                  t.textContent = chart.labels[k] || k;
                  var w = 18 + t.getComputedTextLength() + 14;
                  if (lx > L && lx + w > W - R) { lx = L; ly += row; }
                  item.setAttribute('transform', 'translate(' + lx + ',' + ly + ')');
                  lx += w;
                });
                svg.setAttribute('height', ly + 10);
                svg.setAttribute('viewBox', '0 0 ' + W + ' ' + (ly + 10));
                svg.setAttribute('data-plot-box', box(plot));
                svg.setAttribute('data-legend-box', box(legend));
                drawn++;
              });
              document.body.setAttribute('data-rendered', String(drawn));
            })();
            """;
}
