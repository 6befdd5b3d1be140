package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.api.BigBiganModel;
import io.bigbigan.api.FeatureKind;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.data.DataException;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.OnBadImage;
import io.bigbigan.trainer.data.SkippedImage;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.BatchNormCrelu;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "encode", mixinStandardHelpOptions = true, description = {"Encode images with E into a features file: image files and folders (PNG/JPEG,",
        "recursive; ids are the paths; labels when every image lies in a class sub-folder of a given folder)",
        "or a --data set split (ids are indices, with labels).",
        "The format follows --out's extension: .npy (+ NAME.ids.csv), .safetensors or .csv."},
        footer = {"", "Examples:", "  bigbigan encode --model model.bundle photos/ --out features.npy",
                "  bigbigan encode --model runs/bigan-mlp-synthetic --data synthetic --split test --out test.safetensors"})
final class EncodeCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Parameters(arity = "0..*", paramLabel = "INPUT", description = "Image files or folders (instead of --data).")
    List<Path> inputs = new ArrayList<>();

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--split", defaultValue = "test", description = "With --data: train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--features", defaultValue = "pooled", description = {"latent (E(x) / mu), sampled (z drawn from E's",
            "posterior with --seed), pooled (penultimate / pooled backbone features) or bn-crelu (the pooled features",
            "batch-normalised with the --data training split's mean and variance, then [relu(x), relu(-x)]: the",
            "\"E pooled BN+CReLU\" row of evaluate; needs --data) (default: ${DEFAULT-VALUE})."})
    String features;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the posterior noise for --features sampled (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"--eval-batch", "--batch"}, defaultValue = "128", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", defaultValue = "0", description = "LibTorch threads (default: one per core).")
    int threads;

    @Option(names = "--out", required = true, description = "Features file: .npy, .safetensors or .csv.")
    Path out;

    @Override
    public Integer call() {
        if (batch < 1) throw new OptionException("--eval-batch must be at least 1, got " + batch);
        FeatureFiles.formatOf(out);
        Outputs.file("--out", out);
        boolean bnCrelu = BN_CRELU.contains(features.trim().toLowerCase(Locale.ROOT));
        FeatureKind kind = bnCrelu ? FeatureKind.POOLED : FeatureKind.parse(features);
        if (inputs.isEmpty() == (dataOptions.data == null))
            throw new OptionException("give image files/folders or --data, not both or neither");
        if (bnCrelu && dataOptions.data == null)
            throw new OptionException("--features bn-crelu needs --data: the batch-norm statistics are those of"
                    + " its training split (as evaluate computes them)");
        Torch.setThreads(threads);
        List<String> ids = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        int[] labels = null;
        try (BigBiganModel model = modelOption.open(false)) {
            if (!inputs.isEmpty()) {
                List<Path> files = listImages(inputs);
                int[] classes = classLabels(inputs, files);
                OnBadImage policy = dataOptions.folderSettings(1, 1).onBadImage();
                List<SkippedImage> skipped = new ArrayList<>();
                List<Integer> kept = new ArrayList<>();
                for (int i = 0; i < files.size(); i += batch) {
                    var images = new ArrayList<java.awt.image.BufferedImage>();
                    for (int j = i; j < Math.min(files.size(), i + batch); j++) {
                        var img = decode(files.get(j), dataOptions.maxImagePixels, policy, skipped);
                        if (img == null) continue;
                        images.add(img);
                        ids.add(files.get(j).toString());
                        kept.add(j);
                    }
                    if (!images.isEmpty()) rows.addAll(List.of(model.encode(images, kind, seed + i)));
                }
                if (!skipped.isEmpty()) System.err.println(SkippedImage.line(Path.of("encode"), skipped));
                if (rows.isEmpty())
                    throw new DataException("none of the " + files.size() + " image files could be decoded");
                labels = classes == null ? null : kept.stream().mapToInt(j -> classes[j]).toArray();
            } else {
                var pre = model.preprocessing();
                try (DatasetSplits splits = dataOptions.open("synthetic", pre.imageSize(), pre.channels())) {
                    ImageDataset d = switch (split.toLowerCase(Locale.ROOT)) {
                        case "train" -> splits.train();
                        case "test" -> splits.test();
                        default -> throw new OptionException("--split must be train or test, got '" + split + "'");
                    };
                    if (d.height() != pre.imageSize() || d.channels() != pre.channels())
                        throw new IllegalArgumentException("--data " + dataOptions.data + ": " + d.channels() + "x"
                                + d.height() + "x" + d.width() + " images, the model reads " + pre.channels() + "x"
                                + pre.imageSize() + "x" + pre.imageSize());
                    labels = new int[d.size()];
                    for (int i = 0; i < d.size(); i++) {
                        ids.add(Integer.toString(i));
                        labels[i] = d.label(i);
                    }
                    rows.addAll(List.of(encode(model, d, kind)));
                    if (bnCrelu) {
                        float[][] train = d == splits.train() ? rows.toArray(float[][]::new)
                                : encode(model, splits.train(), kind);
                        float[][] transformed = bnCrelu(train, rows.toArray(float[][]::new));
                        rows.clear();
                        rows.addAll(List.of(transformed));
                    }
                }
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("feature", bnCrelu ? "bn-crelu" : kind.name().toLowerCase(Locale.ROOT));
            meta.put("model", modelOption.model.toString());
            meta.put("preset", model.preset());
            if (dataOptions.data != null) meta.put("data", dataOptions.data + ":" + split);
            FeatureFiles.write(out, rows.toArray(float[][]::new), ids, labels, meta);
            System.out.printf(Locale.ROOT, "wrote %d x %d %s features to %s%n", rows.size(),
                    rows.isEmpty() ? 0 : rows.get(0).length, meta.get("feature"), out);
        }
        return 0;
    }

    /** The names of the BN+CReLU variant of the pooled features. */
    private static final List<String> BN_CRELU = List.of("bn-crelu", "bncrelu", "pooled-bn-crelu");

    /** The features of every image of {@code d}, {@link #batch} at a time (posterior noise seeded by seed + row). */
    private float[][] encode(BigBiganModel model, ImageDataset d, FeatureKind kind) {
        float[][] out = new float[d.size()][];
        for (int i = 0; i < d.size(); i += batch) {
            int n = Math.min(batch, d.size() - i);
            float[] px;
            try (StepScope s = StepScope.open()) {
                px = Tensors.toFloats(d.batch(i, i + n));                      // [n, C, S, S] in [0, 1]
            }
            System.arraycopy(model.encodePixels(px, n, kind, seed + i), 0, out, i, n);
        }
        return out;
    }

    /** {@link BatchNormCrelu} of {@code rows} with the statistics of {@code train} (both [R, D] pooled features). */
    static float[][] bnCrelu(float[][] train, float[][] rows) {
        try (StepScope s = StepScope.open()) {
            var stats = BatchNormCrelu.statistics(matrix(train));
            float[] flat = Tensors.toFloats(stats.apply(matrix(rows)));         // [R, 2D]
            int w = 2 * rows[0].length;
            float[][] out = new float[rows.length][];
            for (int i = 0; i < rows.length; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * w, (i + 1) * w);
            return out;
        }
    }

    private static org.bytedeco.pytorch.Tensor matrix(float[][] rows) {
        int d = rows[0].length;
        float[] flat = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * d, d);
        return Tensors.of(flat, rows.length, d);
    }

    /**
     * Labels from class sub-folders: when every file lies below a given folder in a sub-folder, the first
     * sub-folder's name is its class (labels are indices of the sorted names, printed); else null.
     */
    static int[] classLabels(List<Path> inputs, List<Path> files) {
        String[] cls = new String[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            for (Path in : inputs)
                if (Files.isDirectory(in) && f.startsWith(in) && in.relativize(f).getNameCount() > 1)
                    cls[i] = in.relativize(f).getName(0).toString();
            if (cls[i] == null) return null;
        }
        List<String> names = java.util.Arrays.stream(cls).distinct().sorted().toList();
        int[] labels = new int[cls.length];
        for (int i = 0; i < cls.length; i++) labels[i] = names.indexOf(cls[i]);
        StringBuilder sb = new StringBuilder("classes from sub-folders:");
        for (int k = 0; k < names.size(); k++) sb.append(' ').append(k).append('=').append(names.get(k));
        System.out.println(sb);
        return labels;
    }

    /** The image in {@code f}, or a one-line error naming it (the rules of {@link #decode} under {@code fail}). */
    static java.awt.image.BufferedImage readImage(Path f, long maxPixels) {
        return decode(f, maxPixels, OnBadImage.FAIL, new ArrayList<>());
    }

    /**
     * The image in {@code f}, read with the rules and messages of image folders ({@code --data folder:DIR}): under
     * {@code --on-bad-image fail} a bad file stops the command, named; under {@code skip} it is added to
     * {@code skipped} and null returned. A file too large for the heap always stops it (that depends on memory, not
     * on the file).
     */
    private static java.awt.image.BufferedImage decode(Path f, long maxPixels, OnBadImage policy,
                                                       List<SkippedImage> skipped) {
        String error;
        try {
            return io.bigbigan.model.images.ImageFiles.read(f, maxPixels);   // checks the size in the header first
        } catch (io.bigbigan.model.images.ImageFiles.TooLargeException e) {
            error = e.getMessage();
        } catch (IOException | RuntimeException e) {
            error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        } catch (OutOfMemoryError e) {
            throw new DataException(f + ": out of Java heap while decoding it; lower --max-image-pixels (now "
                    + String.format("%,d", maxPixels) + ") or raise the heap (BIGBIGAN_JAVA_OPTS=-Xmx4g)");
        }
        if (policy == OnBadImage.FAIL)
            throw new DataException(f + ": cannot decode image (" + error + "); use --on-bad-image skip to leave bad files out");
        skipped.add(new SkippedImage(f, error));
        return null;
    }

    /** Files as given, folders expanded recursively to their PNG/JPEG/BMP/GIF files in path order. */
    static List<Path> listImages(List<Path> inputs) {
        List<Path> out = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isRegularFile(p)) out.add(p);
            else if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).filter(EncodeCommand::isImageName).sorted().forEach(out::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(p + ": cannot list: " + e.getMessage(), e);
                }
            } else throw new IllegalArgumentException(p + ": no such file or folder");
        }
        if (out.isEmpty()) throw new IllegalArgumentException(inputs + ": no images found (.png, .jpg, .jpeg, .bmp, .gif)");
        return out;
    }

    static boolean isImageName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp") || n.endsWith(".gif");
    }
}
