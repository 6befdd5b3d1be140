package io.bigbigan.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The anomaly-detection part of a run's HTML report, from what {@code evaluate --metrics anomaly --anomaly-out DIR}
 * wrote there: the AUROC/AUPRC table, one histogram per score of normal against anomalous test images (inline SVG,
 * no script) and the sheet of the top anomalies beside their reconstructions. Self-contained: it renders its own
 * markup so that the report's chart code can change independently.
 */
public final class AnomalySection {
    private AnomalySection() {}

    /** The figures and histograms file. */
    public static final String JSON = "anomaly.json";
    /** The top anomalies sheet (x | G(E(x)), most unusual first). */
    public static final String SHEET = "top-anomalies.png";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * {@code figures} with a {@code histograms} entry added: per score name, {@code bins} equal-width bins over the
     * score's range ({@code min}, {@code max}) with the counts of normal and anomalous images.
     */
    public static Map<String, Object> withHistograms(Map<String, Object> figures, Map<String, double[]> scores,
                                                     boolean[] anomalous, int bins) {
        Map<String, Object> out = new LinkedHashMap<>(figures);
        Map<String, Object> hist = new LinkedHashMap<>();
        for (var e : scores.entrySet()) {
            double[] s = e.getValue();
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double v : s) {
                if (!Double.isFinite(v)) continue;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (lo > hi) continue;
            int[] normal = new int[bins], anomaly = new int[bins];
            for (int i = 0; i < s.length; i++) {
                if (!Double.isFinite(s[i])) continue;
                int b = hi == lo ? 0 : Math.min(bins - 1, (int) ((s[i] - lo) / (hi - lo) * bins));
                (anomalous[i] ? anomaly : normal)[b]++;
            }
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("min", lo);
            h.put("max", hi);
            h.put("normal", normal);
            h.put("anomalous", anomaly);
            hist.put(e.getKey(), h);
        }
        out.put("histograms", hist);
        return out;
    }

    /** The section's HTML, or an empty string when {@code dir} holds no {@link #JSON}. */
    public static String html(Path dir) throws IOException {
        Path json = dir.resolve(JSON);
        if (!Files.isRegularFile(json)) return "";
        JsonNode root = MAPPER.readTree(json.toFile());
        StringBuilder h = new StringBuilder("<h2>Anomaly detection</h2>\n");
        h.append("<p>").append(RunReport.esc(String.format(Locale.ROOT, "Anomaly classes %s: %d of %d test images;"
                        + " baselines on %d normal training images.", root.path("anomaly_classes"),
                root.path("anomalous_images").asInt(), root.path("test_images").asInt(),
                root.path("normal_train_images").asInt()))).append("</p>\n");
        h.append("<table class=\"anomaly\"><tr><th>score</th><th></th><th>AUROC</th><th>AUPRC</th></tr>\n");
        for (JsonNode r : root.path("rows"))
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%.4f</td><td>%.4f</td></tr>%n",
                    RunReport.esc(r.path("score").asText()), RunReport.esc(r.path("formula").asText()),
                    r.path("auroc").asDouble(), r.path("auprc").asDouble()));
        h.append("</table>\n");
        var it = root.path("histograms").fields();
        while (it.hasNext()) {
            var e = it.next();
            h.append(histogram(e.getKey(), e.getValue()));
        }
        Path sheet = dir.resolve(SHEET);
        if (Files.isRegularFile(sheet))
            h.append("<figure><img alt=\"top anomalies\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(Files.readAllBytes(sheet)))
                    .append("\"><figcaption>").append(RunReport.esc("The most unusual test images by "
                            + root.path("sheet_score").asText() + " (x | G(E(x)), most unusual first; labels "
                            + root.path("sheet_labels") + ")")).append("</figcaption></figure>\n");
        return h.toString();
    }

    /** One histogram: normal counts in blue, anomalous in red, each scaled to its own total. */
    static String histogram(String name, JsonNode h) {
        List<Integer> normal = ints(h.path("normal")), anomalous = ints(h.path("anomalous"));
        int bins = normal.size(), w = 300, ht = 120, pad = 4;
        double nTotal = Math.max(1, normal.stream().mapToInt(Integer::intValue).sum());
        double aTotal = Math.max(1, anomalous.stream().mapToInt(Integer::intValue).sum());
        double peak = 1e-12;
        for (int i = 0; i < bins; i++) peak = Math.max(peak, Math.max(normal.get(i) / nTotal, anomalous.get(i) / aTotal));
        double bw = (w - 2.0 * pad) / Math.max(1, bins);
        StringBuilder s = new StringBuilder("<figure><svg class=\"anomaly-histogram\" width=\"" + w + "\" height=\"" + ht
                + "\" viewBox=\"0 0 " + w + " " + ht + "\">");
        for (int i = 0; i < bins; i++) {
            s.append(bar(pad + i * bw, bw, normal.get(i) / nTotal / peak, ht - pad, "#1f77b4"));
            s.append(bar(pad + i * bw, bw, anomalous.get(i) / aTotal / peak, ht - pad, "#d62728"));
        }
        s.append("</svg><figcaption>").append(RunReport.esc(String.format(Locale.ROOT,
                "%s from %.4g to %.4g: normal (blue) vs anomalous (red), each as a fraction of its images", name,
                h.path("min").asDouble(), h.path("max").asDouble()))).append("</figcaption></figure>\n");
        return s.toString();
    }

    private static String bar(double x, double width, double fraction, double base, String colour) {
        double height = fraction * (base - 4);
        return String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                + "fill-opacity=\"0.5\"/>", x, base - height, width, height, colour);
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode v : a) out.add(v.asInt());
        return out;
    }
}
