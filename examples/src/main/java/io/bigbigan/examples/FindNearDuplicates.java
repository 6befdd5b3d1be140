package io.bigbigan.examples;

import io.bigbigan.api.BigBiganModel;
import io.bigbigan.api.FeatureKind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Example application of the library API ({@link io.bigbigan.api} only): finds near-duplicate images in a folder
 * (re-encoded, rescaled or slightly altered copies) by the distance between their encoder features.
 *
 * <p>Every image is encoded to E's pooled features, which are centred (the folder's mean vector
 * subtracted: it is the part every image shares) and L2-normalised; a pair is reported when its distance is
 * below {@code ratio} times the median distance over all pairs (a scale-free threshold: distances differ between
 * models). Usage, from {@code examples/} with a JDK >= 25 (see examples/README.md):
 * <pre>
 *   mvn -q compile exec:exec -Dbigbigan.bundle=model.bundle -Dfolder=photos/ [-Dratio=0.15]
 * </pre>
 */
public final class FindNearDuplicates {
    private FindNearDuplicates() {}

    /**
     * A near-duplicate pair.
     *
     * @param a        the first image
     * @param b        the second image (after {@code a} in path order)
     * @param distance the features' Euclidean distance after L2 normalisation
     * @param relative the distance divided by the median pairwise distance
     */
    public record Pair(Path a, Path b, double distance, double relative) {}

    /**
     * The near-duplicate pairs among the images under {@code folder} (recursive .png/.jpg/.jpeg), closest first.
     *
     * @param ratio report pairs closer than this fraction of the median pairwise distance
     */
    public static List<Pair> find(BigBiganModel model, Path folder, double ratio) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(folder)) {
            files = s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
            }).sorted().toList();
        }
        int n = files.size();
        float[][] f = new float[n][];
        for (int i = 0; i < n; i += 64) {                                  // batches of 64 images
            float[][] batch = model.encodeFiles(files.subList(i, Math.min(n, i + 64)), FeatureKind.POOLED);
            System.arraycopy(batch, 0, f, i, batch.length);
        }
        centre(f);                                                         // remove the component all images share
        for (float[] v : f) normalise(v);
        double[] d = new double[n * (n - 1) / 2];
        for (int i = 0, k = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) d[k++] = distance(f[i], f[j]);
        if (d.length == 0) return List.of();
        double median = median(d.clone());
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0, k = 0; i < n; i++)
            for (int j = i + 1; j < n; j++, k++)
                if (d[k] < ratio * median) pairs.add(new Pair(files.get(i), files.get(j), d[k], d[k] / median));
        pairs.sort((x, y) -> Double.compare(x.distance(), y.distance()));
        return pairs;
    }

    /** Prints the near-duplicate pairs of a folder: {@code BUNDLE FOLDER [RATIO]}. */
    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3 || args[0].isBlank() || args[1].isBlank()) {
            System.err.println("usage: FindNearDuplicates BUNDLE FOLDER [RATIO (default 0.15)]");
            System.exit(2);
        }
        double ratio = args.length == 3 && !args[2].isBlank() ? Double.parseDouble(args[2]) : 0.15;
        try (BigBiganModel model = BigBiganModel.load(Path.of(args[0]))) {
            List<Pair> pairs = find(model, Path.of(args[1]), ratio);
            for (Pair p : pairs)
                System.out.printf(Locale.ROOT, "%.4f (%.3f of median)  %s  %s%n", p.distance(), p.relative(), p.a(), p.b());
            System.out.println(pairs.size() + " near-duplicate pair(s)");
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("FindNearDuplicates: error: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void centre(float[][] f) {
        if (f.length < 2) return;
        double[] mean = new double[f[0].length];
        for (float[] v : f) for (int i = 0; i < v.length; i++) mean[i] += v[i] / f.length;
        for (float[] v : f) for (int i = 0; i < v.length; i++) v[i] -= (float) mean[i];
    }

    private static void normalise(float[] v) {
        double s = 0;
        for (float x : v) s += x * x;
        float inv = (float) (1 / Math.max(Math.sqrt(s), 1e-12));
        for (int i = 0; i < v.length; i++) v[i] *= inv;
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return Math.sqrt(s);
    }

    private static double median(double[] v) {
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
