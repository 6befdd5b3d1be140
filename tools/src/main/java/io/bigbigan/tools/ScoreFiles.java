package io.bigbigan.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.eval.anomaly.ScoreKind;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files {@code bigbigan score} writes, by {@code --out}'s extension:
 * <ul>
 *   <li>{@code .csv}: header {@code id,label,<score>,...}, one row per image ({@code label} empty when unknown);</li>
 *   <li>{@code .json}: {@code {"scores": [names], "rows": [{"id", "label", <score>: value, ...}]}};</li>
 *   <li>{@code .npy}: float32 [N, K] in the order of the scores named, plus {@code <name>.ids.csv}
 *       ({@code row,id,label}), as {@code encode} writes features.</li>
 * </ul>
 */
final class ScoreFiles {
    private ScoreFiles() {}

    /** Scores of N images: {@code labels} null when unknown. */
    record Table(List<ScoreKind> kinds, Map<ScoreKind, double[]> scores, List<String> ids, int[] labels) {}

    /**
     * {@code csv}, {@code json} or {@code npy}.
     *
     * @throws OptionException for another extension
     */
    static String formatOf(Path out) {
        String n = out.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String ext : List.of("csv", "json", "npy")) if (n.endsWith("." + ext)) return ext;
        throw new OptionException("--out " + out + ": expected a .csv, .json or .npy file");
    }

    static void write(Path out, String format, Table t) {
        int n = t.ids().size();
        try {
            switch (format) {
                case "npy" -> {
                    float[][] rows = new float[n][t.kinds().size()];
                    for (int j = 0; j < t.kinds().size(); j++) {
                        double[] s = t.scores().get(t.kinds().get(j));
                        for (int i = 0; i < n; i++) rows[i][j] = (float) s[i];
                    }
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put("scores", String.join(",", t.kinds().stream().map(ScoreKind::id).toList()));
                    FeatureFiles.write(out, rows, t.ids(), t.labels(), meta);
                }
                case "json" -> {
                    Map<String, Object> root = new LinkedHashMap<>();
                    root.put("scores", t.kinds().stream().map(ScoreKind::id).toList());
                    List<Map<String, Object>> rows = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        Map<String, Object> r = new LinkedHashMap<>();
                        r.put("id", t.ids().get(i));
                        r.put("label", t.labels() == null ? null : t.labels()[i]);
                        for (ScoreKind k : t.kinds()) r.put(k.id(), t.scores().get(k)[i]);
                        rows.add(r);
                    }
                    root.put("rows", rows);
                    byte[] bytes = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
                    AtomicFiles.writeStream(out, os -> os.write(bytes));
                }
                default -> FeatureFiles.writeCsv(out, t.kinds().stream().map(ScoreKind::id).toList(), t.ids(),
                        t.labels(), (i, sb) -> {
                            for (ScoreKind k : t.kinds()) sb.append(',').append(t.scores().get(k)[i]);
                        });
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    /** A PNG of image pairs (x, G(E(x))), two pairs per row, each image drawn at {@code size} x {@code size}. */
    static void writeSheet(Path png, List<BufferedImage> pairs, int size) throws IOException {
        int pad = 2, perRow = 4, cells = pairs.size(), rows = (cells + perRow - 1) / perRow;
        BufferedImage sheet = new BufferedImage(perRow * (size + pad) + pad, rows * (size + pad) + pad,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            for (int i = 0; i < cells; i++)
                g.drawImage(pairs.get(i), pad + (i % perRow) * (size + pad), pad + (i / perRow) * (size + pad),
                        size, size, null);
        } finally {
            g.dispose();
        }
        AtomicFiles.writeStream(png, os -> ImageIO.write(sheet, "png", os));
    }
}
