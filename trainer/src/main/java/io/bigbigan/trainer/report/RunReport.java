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
 * <p>Charts: one {@code <svg class="chart">} per group, one {@code <polyline class="series">} per series; after
 * rendering, {@code <body data-rendered="N">} holds the number of charts drawn (a hook for headless-browser tests).
 */
public final class RunReport {
    private static final ObjectMapper JSON = io.bigbigan.trainer.io.Json.MAPPER;

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
            for (String key : g.getValue()) {
                ArrayNode pts = chart.putArray(key);
                series.get(key).forEach((step, v) -> pts.addArray().add(step).add(v));
            }
        }

        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(esc("bigbigan report: " + run.getFileName())).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:24px;color:#222}h1{font-size:22px}h2{font-size:18px;"
                        + "margin-top:28px;border-bottom:1px solid #ccc}figure{display:inline-block;margin:8px;"
                        + "vertical-align:top}figcaption{font-size:12px;color:#555}pre{background:#f6f6f6;padding:8px;"
                        + "font-size:12px;overflow:auto}.chart{border:1px solid #ddd;margin:6px;background:#fff}"
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
            if (latest != null) figure(h, latest, latest.getFileName().toString());
        }

        List<Path> diag = new ArrayList<>();
        for (Path d : in.diagnostics()) if (Files.isDirectory(d)) diag.addAll(pngs(d));
        if (!diag.isEmpty()) {
            h.append("<h2>Diagnostics</h2>\n");
            for (Path p : diag) figure(h, p, p.getFileName().toString());
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
        for (String name : List.of("Losses", "D accuracy", "Linear probe top-1", "Reconstruction error",
                "Gradient norms", "Encoder sigma", "Spectral norm sigma", "Throughput (images/s)", "Other"))
            g.put(name, new ArrayList<>());
        for (String k : series.keySet()) {
            String group = k.startsWith("loss") ? "Losses" : k.startsWith("acc") ? "D accuracy"
                    : k.startsWith("probe_top1") ? "Linear probe top-1"
                    : k.endsWith("_error") ? "Reconstruction error" : k.startsWith("grad_norm") ? "Gradient norms"
                    : k.startsWith("e_sigma") ? "Encoder sigma" : k.startsWith("sn_sigma") ? "Spectral norm sigma"
                    : k.equals("images_per_s") ? "Throughput (images/s)" : "Other";
            g.get(group).add(k);
        }
        g.values().removeIf(List::isEmpty);
        return g;
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

    /** Draws every chart of the embedded data as an SVG line chart with axes, ticks and a legend. */
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
              function fmt(v) { return Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3); }
              Object.keys(data.charts).forEach(function (title) {
                var series = data.charts[title];
                var W = 460, H = 260, L = 56, R = 12, T = 26, B = 34;
                var xs = [], ys = [];
                Object.keys(series).forEach(function (k) {
                  series[k].forEach(function (p) { if (isFinite(p[1])) { xs.push(p[0]); ys.push(p[1]); } });
                });
                if (!xs.length) return;
                var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
                var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
                if (x1 === x0) x1 = x0 + 1;
                if (y1 === y0) { y1 = y0 + 1; y0 = y0 - 1; }
                var sx = function (v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
                var sy = function (v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); };
                var svg = el('svg', {'class': 'chart', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
                                     'data-title': title}, host);
                el('text', {x: L, y: 16, 'font-size': 13, 'font-weight': 'bold'}, svg).textContent = title;
                el('line', {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#888'}, svg);
                el('line', {x1: L, y1: T, x2: L, y2: H - B, stroke: '#888'}, svg);
                for (var i = 0; i <= 4; i++) {
                  var yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
                  el('text', {x: L - 4, y: sy(yv) + 4, 'font-size': 10, 'text-anchor': 'end'}, svg).textContent = fmt(yv);
                  el('line', {x1: L, y1: sy(yv), x2: W - R, y2: sy(yv), stroke: '#eee'}, svg);
                  el('text', {x: sx(xv), y: H - B + 14, 'font-size': 10, 'text-anchor': 'middle'}, svg).textContent = Math.round(xv);
                }
                el('text', {x: (L + W - R) / 2, y: H - 4, 'font-size': 10, 'text-anchor': 'middle'}, svg).textContent = 'step';
                Object.keys(series).forEach(function (k, idx) {
                  var pts = series[k].filter(function (p) { return isFinite(p[1]); })
                      .map(function (p) { return sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1); }).join(' ');
                  var c = colors[idx % colors.length];
                  el('polyline', {'class': 'series', 'data-key': k, points: pts, fill: 'none', stroke: c,
                                  'stroke-width': 1.3}, svg);
                  el('text', {'class': 'legend', x: W - R - 4, y: T + 12 * idx + 8, 'text-anchor': 'end', fill: c,
                              'font-size': 11}, svg).textContent = k;
                });
                drawn++;
              });
              document.body.setAttribute('data-rendered', String(drawn));
            })();
            """;
}
