package io.bigbigan.trainer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs k-NN and the linear probe on several named feature spaces (e.g. "raw pixels", "E(x)", "E penultimate") and
 * formats the results as an aligned text table, so encoder features can be compared with raw pixels.
 * Independent of any model: callers extract the features and pass them in.
 *
 * <pre>{@code
 * List<RepresentationReport.Row> rows = RepresentationReport.run(spaces, RepresentationReport.Config.defaults(), System.out::println);
 * System.out.print(RepresentationReport.table(rows));
 * }</pre>
 * prints (names left-aligned, numbers right-aligned)
 * <pre>
 * feature space  dim    1-NN    5-NN   20-NN  linear top-1  linear top-5
 * raw pixels     784  85.12%  85.54%  84.10%        84.30%        99.10%
 * E(x)           256  80.03%  82.11%  81.95%        83.37%        99.02%
 * </pre>
 * (numbers illustrative).
 */
public final class RepresentationReport {
    private RepresentationReport() {}

    /**
     * What to run for every feature space.
     *
     * @param knn     k-NN settings (every k gets a column; k above a space's train rows are skipped); null: no k-NN
     * @param probe   linear-probe settings; null: no linear probe (at least one of the two is required)
     * @param knnGrid also run k-NN with every metric and vote rule (L2 and cosine x majority and distance-weighted)
     */
    public record Config(KNearestNeighbors.Config knn, LinearProbe.Config probe, boolean knnGrid) {
        public Config {
            if (knn == null && probe == null) throw new IllegalArgumentException("k-NN or probe settings are required");
        }

        /** Without the full k-NN grid. */
        public Config(KNearestNeighbors.Config knn, LinearProbe.Config probe) {
            this(knn, probe, false);
        }

        /** This configuration with or without the full k-NN grid (L2 and cosine, majority and distance-weighted). */
        public Config withKnnGrid(boolean on) {
            return new Config(knn, probe, on);
        }

        /** {@link KNearestNeighbors.Config#defaults()} and {@link LinearProbe.Config#defaults()}. */
        public static Config defaults() {
            return new Config(KNearestNeighbors.Config.defaults(), LinearProbe.Config.defaults());
        }
    }

    /**
     * The results for one feature space.
     *
     * @param name  display name
     * @param dim   feature dimension
     * @param knn   k-NN accuracies (null when k-NN was not run)
     * @param probe linear-probe outcome (null when the probe was not run)
     * @param grid  the k-NN results of every metric and vote rule (empty unless {@link Config#knnGrid()})
     */
    public record Row(String name, long dim, KNearestNeighbors.Result knn, LinearProbe.Result probe,
                      List<KNearestNeighbors.Result> grid) {
        public Row {
            grid = List.copyOf(grid);
        }

        /** A row without the k-NN grid. */
        public Row(String name, long dim, KNearestNeighbors.Result knn, LinearProbe.Result probe) {
            this(name, dim, knn, probe, List.of());
        }
    }

    /**
     * Evaluates every feature space in map order.
     *
     * @param spaces   feature sets by display name (use a {@link java.util.LinkedHashMap} to fix the row order)
     * @param config   what to run
     * @param progress receives one line per finished evaluation (may be {@code null})
     * @throws IllegalArgumentException when {@code spaces} is empty
     */
    public static List<Row> run(Map<String, FeatureSet> spaces, Config config, Consumer<String> progress) {
        if (spaces == null || spaces.isEmpty()) throw new IllegalArgumentException("no feature spaces to evaluate");
        List<Row> rows = new ArrayList<>();
        for (var e : spaces.entrySet()) {
            FeatureSet fs = e.getValue();
            KNearestNeighbors.Config kc = config.knn() == null ? null : config.knn().upTo(fs.trainRows());
            KNearestNeighbors.Result knn = kc == null ? null : KNearestNeighbors.evaluate(fs, kc);
            if (progress != null && knn != null)
                progress.accept(String.format(Locale.ROOT, "%s: k-NN done in %.1f s", e.getKey(), knn.seconds()));
            List<KNearestNeighbors.Result> grid = new ArrayList<>();
            if (config.knnGrid() && kc != null) {
                for (KNearestNeighbors.Metric m : KNearestNeighbors.Metric.values())
                    for (KNearestNeighbors.Vote v : KNearestNeighbors.Vote.values())
                        grid.add(m == kc.metric() && v == kc.vote() ? knn
                                : KNearestNeighbors.evaluate(fs, kc.withMetric(m).withVote(v)));
                if (progress != null) progress.accept(e.getKey() + ": k-NN grid done");
            }
            LinearProbe.Result probe = config.probe() == null ? null : LinearProbe.evaluate(fs, config.probe());
            if (progress != null && probe != null)
                progress.accept(String.format(Locale.ROOT, "%s: linear probe done in %.1f s (l2 %s, %d L-BFGS iterations%s)",
                        e.getKey(), probe.seconds(), probe.bestL2(), probe.iterations(),
                        probe.converged() ? "" : ", not converged"));
            rows.add(new Row(e.getKey(), fs.dim(), knn, probe, grid));
        }
        return rows;
    }

    /**
     * An aligned text table with one line per row: feature space, dim, accuracy per k-NN k, linear top-1 and, when
     * any row has more than 5 classes, linear top-5, then the probe's chosen L2 coefficient (scikit-learn's
     * {@code C = 1 / (l2 N)} reproduces the linear figures). Accuracies are percentages with two decimals; every line
     * ends with a newline.
     */
    public static String table(List<Row> rows) {
        if (rows.isEmpty()) return "";
        List<Integer> ks = new ArrayList<>(new java.util.TreeSet<>(rows.stream().filter(r -> r.knn() != null)
                .flatMap(r -> r.knn().accuracyByK().keySet().stream()).toList()));
        boolean linear = rows.stream().anyMatch(r -> r.probe() != null);
        boolean top5 = rows.stream().anyMatch(r -> r.probe() != null && !Double.isNaN(r.probe().testTop5()));

        List<String> header = new ArrayList<>(List.of("feature space", "dim"));
        for (int k : ks) header.add(k + "-NN");
        if (linear) header.add("linear top-1");
        if (top5) header.add("linear top-5");
        if (linear) header.add("probe l2");

        List<List<String>> cells = new ArrayList<>();
        cells.add(header);
        for (Row r : rows) {
            List<String> line = new ArrayList<>(List.of(r.name(), Long.toString(r.dim())));
            for (int k : ks) {
                Double a = r.knn() == null ? null : r.knn().accuracyByK().get(k);
                line.add(a == null ? "-" : percent(a));
            }
            if (linear) line.add(r.probe() == null ? "-" : percent(r.probe().testTop1()));
            if (top5) line.add(r.probe() == null || Double.isNaN(r.probe().testTop5()) ? "-" : percent(r.probe().testTop5()));
            if (linear) line.add(r.probe() == null ? "-" : String.format(Locale.ROOT, "%.0e", r.probe().bestL2()));
            cells.add(line);
        }
        return align(cells, 1);
    }

    /**
     * The k-NN grid as an aligned text table: one line per feature space, metric and vote rule, one column per k;
     * empty when no row has a grid.
     */
    public static String gridTable(List<Row> rows) {
        List<List<String>> cells = new ArrayList<>();
        List<Integer> ks = new ArrayList<>();
        for (Row r : rows) for (var g : r.grid()) for (int k : g.accuracyByK().keySet()) if (!ks.contains(k)) ks.add(k);
        if (ks.isEmpty()) return "";
        ks.sort(null);
        List<String> header = new ArrayList<>(List.of("feature space", "metric", "vote"));
        for (int k : ks) header.add(k + "-NN");
        cells.add(header);
        for (Row r : rows)
            for (var g : r.grid()) {
                List<String> line = new ArrayList<>(List.of(r.name(), g.metric().name().toLowerCase(Locale.ROOT),
                        g.vote() == KNearestNeighbors.Vote.MAJORITY ? "majority" : "distance"));
                for (int k : ks) {
                    Double a = g.accuracyByK().get(k);
                    line.add(a == null ? "-" : percent(a));
                }
                cells.add(line);
            }
        return align(cells, 3);
    }

    /**
     * The rows as data for JSON, the numbers of {@link #table} and {@link #gridTable} as fractions (0.8512 where the
     * table prints 85.12%), one map per feature space:
     * {@code {"features", "dim", "knn": {"metric", "vote", "test_images", "accuracy": {"1": a, "5": a, ...}},
     * "linear": {"top1", "top5", "classes", "fit_images", "holdout_images", "holdout_accuracy", "l2",
     * "iterations", "converged"}, "knn_grid": [knn objects]}}; "knn", "linear" and "knn_grid" only when they were run, a value that
     * is not a number (top-5 with 5 classes or fewer) is null.
     */
    public static List<Map<String, Object>> data(List<Row> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("features", r.name());
            m.put("dim", r.dim());
            if (r.knn() != null) m.put("knn", knnData(r.knn()));
            if (r.probe() != null) {
                LinearProbe.Result p = r.probe();
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("top1", finite(p.testTop1()));
                l.put("top5", finite(p.testTop5()));
                l.put("classes", p.numClasses());
                l.put("fit_images", p.fitRows());
                l.put("holdout_images", p.holdoutRows());
                l.put("holdout_accuracy", finite(p.holdoutAccuracy()));
                l.put("l2", p.bestL2());
                l.put("iterations", p.iterations());
                l.put("converged", p.converged());
                m.put("linear", l);
            }
            if (!r.grid().isEmpty()) m.put("knn_grid", r.grid().stream().map(RepresentationReport::knnData).toList());
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> knnData(KNearestNeighbors.Result k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", k.metric().name().toLowerCase(Locale.ROOT));
        m.put("vote", k.vote() == KNearestNeighbors.Vote.MAJORITY ? "majority" : "distance");
        m.put("test_images", k.testRows());
        Map<String, Object> acc = new LinkedHashMap<>();
        k.accuracyByK().forEach((kk, a) -> acc.put(Integer.toString(kk), finite(a)));
        m.put("accuracy", acc);
        return m;
    }

    /** {@code v}, or null when it is NaN or infinite (JSON has no such numbers). */
    public static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Aligns {@code cells} (header first): the first {@code textColumns} columns left-aligned, numbers right-aligned. */
    private static String align(List<List<String>> cells, int textColumns) {
        int[] width = new int[cells.getFirst().size()];
        for (List<String> line : cells)
            for (int c = 0; c < line.size(); c++) width[c] = Math.max(width[c], line.get(c).length());
        StringBuilder out = new StringBuilder();
        for (List<String> line : cells) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < line.size(); c++) {
                if (c > 0) sb.append("  ");
                sb.append(pad(line.get(c), width[c], c >= textColumns));
            }
            out.append(sb.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    private static String percent(double a) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * a);
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }
}
