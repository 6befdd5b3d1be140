package io.bigbigan.examples;

import io.bigbigan.api.AnomalyScore;
import io.bigbigan.api.AnomalyScorer;
import io.bigbigan.api.BigBiganModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Example application of the library API ({@link io.bigbigan.api} only): flags the unusual images in a folder by
 * how badly the model reconstructs them, ||x - G(E(x))|| ({@link AnomalyScorer}, {@link AnomalyScore#RECON}). A
 * model trained on the kind of images the folder should hold reconstructs those better than images unlike them.
 *
 * <p>An image is flagged when its robust z-score, (score - median) / (1.4826 * MAD) with MAD the median absolute
 * deviation of the folder's scores, exceeds {@code threshold} (a scale-free rule: scores differ between models and
 * image sizes). Usage, from {@code examples/} with a JDK >= 25 (see examples/README.md):
 * <pre>
 *   mvn -q compile exec:exec -Dexample=io.bigbigan.examples.FlagUnusualImages -Dbigbigan.bundle=model.bundle \
 *       -Dfolder=photos/ -Darg=3.5
 * </pre>
 */
public final class FlagUnusualImages {
    private FlagUnusualImages() {}

    /** The default robust z-score above which an image is flagged. */
    public static final double DEFAULT_THRESHOLD = 3.5;

    /**
     * One image's score.
     *
     * @param file    the image
     * @param score   its reconstruction error
     * @param z       its robust z-score within the folder
     * @param flagged whether z exceeds the threshold
     */
    public record Scored(Path file, double score, double z, boolean flagged) {}

    /** Every image under {@code folder} (recursive .png/.jpg/.jpeg) with its score, most unusual first. */
    public static List<Scored> score(BigBiganModel model, Path folder, double threshold) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(folder)) {
            files = s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
            }).sorted().toList();
        }
        int n = files.size();
        AnomalyScorer scorer = new AnomalyScorer(model);
        double[] s = new double[n];
        for (int i = 0; i < n; i += 64) {                                  // batches of 64 images
            double[] b = scorer.scoreFiles(files.subList(i, Math.min(n, i + 64)), AnomalyScore.RECON);
            System.arraycopy(b, 0, s, i, b.length);
        }
        double median = median(s);
        double[] dev = new double[n];
        for (int i = 0; i < n; i++) dev[i] = Math.abs(s[i] - median);
        double scale = 1.4826 * Math.max(median(dev), 1e-12);              // the MAD as a normal's sigma
        List<Scored> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double z = (s[i] - median) / scale;
            out.add(new Scored(files.get(i), s[i], z, z > threshold));
        }
        out.sort(Comparator.comparingDouble(Scored::score).reversed());
        return out;
    }

    /** Prints the folder's images, most unusual first, and the flagged ones: {@code BUNDLE FOLDER [THRESHOLD]}. */
    public static void main(String[] args) {
        if (args.length < 2 || args.length > 3 || args[0].isBlank() || args[1].isBlank()) {
            System.err.println("usage: FlagUnusualImages BUNDLE FOLDER [THRESHOLD (robust z-score, default 3.5)]");
            System.exit(2);
        }
        double threshold = args.length == 3 && !args[2].isBlank() ? Double.parseDouble(args[2]) : DEFAULT_THRESHOLD;
        try (BigBiganModel model = BigBiganModel.load(Path.of(args[0]))) {
            List<Scored> scored = score(model, Path.of(args[1]), threshold);
            int flagged = 0;
            for (Scored x : scored) {
                System.out.printf(Locale.ROOT, "%s %10.4f  z %6.2f  %s%n", x.flagged() ? "UNUSUAL" : "       ",
                        x.score(), x.z(), x.file());
                if (x.flagged()) flagged++;
            }
            if (!scored.isEmpty()) System.out.println("most unusual: " + scored.get(0).file());
            System.out.println(flagged + " unusual image(s) of " + scored.size());
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("FlagUnusualImages: error: " + e.getMessage());
            System.exit(1);
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length == 0 ? 0 : c[c.length / 2];
    }
}
