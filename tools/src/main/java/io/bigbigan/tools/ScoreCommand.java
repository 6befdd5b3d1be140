package io.bigbigan.tools;

import io.bigbigan.api.AnomalyScore;
import io.bigbigan.api.AnomalyScorer;
import io.bigbigan.api.BigBiganModel;
import io.bigbigan.api.Bundle;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.AdversarialNetworks;
import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.EncoderFeatures;
import io.bigbigan.trainer.eval.anomaly.AnomalyScores;
import io.bigbigan.trainer.eval.anomaly.ScoreKind;
import io.bigbigan.trainer.report.ImageGrid;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "score", mixinStandardHelpOptions = true, description = {"Score how unusual images are under a trained model",
        "(higher = more unusual): recon, recon-l1 (||x - G(E(x))||), disc, disc-sx, disc-sxz (D's scores, negated),",
        "feature (EGBAD's feature matching in D), combined (EGBAD's (1-a)*recon-l1 + a*feature). A bundle holds G and",
        "E only (recon, recon-l1); the D scores need the training checkpoint and --data.",
        "Writes one row per image (id, label where known, one column per score) as .csv, .json or .npy (+ .ids.csv)."},
        footer = {"", "Examples:", "  bigbigan score --model model.bundle photos/ --out scores.csv --top 10",
                "  bigbigan score --model runs/fm-no1 --data fashion-mnist --score recon,feature --out s.json --top 16 --sheet top.png"})
final class ScoreCommand implements Callable<Integer> {
    @Mixin
    CheckpointOption checkpointOption;

    @Parameters(arity = "0..*", paramLabel = "IMAGES", description = "Image files or folders (instead of --data).")
    List<Path> inputs = new ArrayList<>();

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--split", defaultValue = "test", description = "With --data: train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--score", defaultValue = "recon", paramLabel = "KIND,...", description = {"Scores, comma-separated, or all",
            "(those the model supports): " + "recon, recon-l1, disc, disc-sx, disc-sxz, feature, combined (default: ${DEFAULT-VALUE})."})
    String score;

    @Option(names = "--alpha", defaultValue = "0.1", description = "Weight of feature in combined (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--out", required = true, description = "Scores file: .csv, .json or .npy.")
    Path out;

    @Option(names = "--top", defaultValue = "0", paramLabel = "N", description = "Print the N most unusual images (by the first score).")
    int top;

    @Option(names = "--sheet", paramLabel = "FILE.png", description = "With --top: a PNG of those images beside G(E(x)).")
    Path sheet;

    @Mixin
    EvalBatchOption evalBatch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        String format = ScoreFiles.formatOf(out);
        if (top < 0) throw new OptionException("--top must be at least 0, got " + top);
        if (sheet != null && top < 1) throw new OptionException("--sheet needs --top N");
        if (sheet != null && !sheet.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"))
            throw new OptionException("--sheet " + sheet + ": expected a .png file");
        if (inputs.isEmpty() == (dataOptions.data == null))
            throw new OptionException("give image files/folders or --data, not both or neither");
        List<ScoreKind> kinds;
        try {
            kinds = score.trim().equalsIgnoreCase("all") ? null : ScoreKind.parseList(score);
        } catch (IllegalArgumentException e) {
            throw new OptionException(e.getMessage());
        }
        common.apply();
        boolean bundle = Files.isRegularFile(checkpointOption.checkpoint)
                && Bundle.detect(checkpointOption.checkpoint) == Bundle.Kind.BUNDLE;
        ScoreFiles.Table table = bundle || !inputs.isEmpty() ? withLibrary(kinds, bundle) : withCheckpoint(kinds);
        ScoreFiles.write(out, format, table);
        System.out.printf(Locale.ROOT, "wrote %d x %d scores (%s) to %s%n", table.ids().size(), table.kinds().size(),
                String.join(", ", table.kinds().stream().map(ScoreKind::id).toList()), out);
        return 0;
    }

    /** A checkpoint and --data: every score the model has (D included). */
    private ScoreFiles.Table withCheckpoint(List<ScoreKind> wanted) throws Exception {
        var opened = OpenedCheckpoint.open(checkpointOption, dataOptions, common);
        var loaded = opened.loaded();
        var model = opened.model();
        var scorer = new AnomalyScores(model, ((AdversarialNetworks) loaded.trainer().model()).discriminator(), checkAlpha());
        List<ScoreKind> kinds = wanted == null ? scorer.supported() : wanted;
        for (ScoreKind k : kinds) {
            String why = scorer.unsupported(k);
            if (why != null) throw new OptionException(why);
        }
        try (DatasetSplits splits = opened.openData()) {
            ImageDataset d = pick(splits);
            int batch = evalBatch.get(model.config());
            Map<ScoreKind, double[]> s = scorer.score(d, kinds, batch);
            List<String> ids = new ArrayList<>();
            int[] labels = new int[d.size()];
            for (int i = 0; i < d.size(); i++) {
                ids.add(Integer.toString(i));
                labels[i] = d.label(i);
            }
            var table = new ScoreFiles.Table(kinds, s, ids, labels);
            int[] order = printTop(table);
            if (sheet != null) {
                try (StepScope sc = StepScope.open()) {
                    long[] idx = Arrays.stream(order).mapToLong(i -> i).toArray();
                    var pairs = EncoderFeatures.reconstructions(model, d, Tensors.ofLongs(idx, idx.length), batch);
                    ImageGrid.writePairs(sheet, pairs.images(), pairs.reconstructions(), 4, ImageGrid.DEFAULT_PADDING, 2);
                }
                System.out.println("wrote " + sheet + " (x | G(E(x)), most unusual first)");
            }
            return table;
        }
    }

    /** Image files, or a bundle: the reconstruction scores through the library. */
    private ScoreFiles.Table withLibrary(List<ScoreKind> wanted, boolean bundle) throws Exception {
        List<ScoreKind> kinds = wanted == null ? List.of(ScoreKind.RECON, ScoreKind.RECON_L1) : wanted;
        for (ScoreKind k : kinds)
            if (k.needsDiscriminator())
                throw new OptionException("score " + k.id() + " needs the discriminator D: give the training checkpoint"
                        + " with --data (" + (bundle ? "an inference bundle holds G and E only" : "image files are scored"
                        + " by G and E only") + "; they support recon and recon-l1)");
        checkAlpha();
        var which = CheckpointOption.weights(checkpointOption.weights);
        try (BigBiganModel model = open(which)) {
            AnomalyScorer scorer = new AnomalyScorer(model);
            var described = model.description();
            int batch = evalBatch.orAuto() > 0 ? evalBatch.orAuto() : described.kind().equals("bigan-mlp") ? 256
                    : Math.max(1, EncoderFeatures.DEFAULT_BATCH_32PX * 32 * 32
                            / (described.networkSize() * described.networkSize()));
            Map<ScoreKind, double[]> s = new EnumMap<>(ScoreKind.class);
            List<String> ids = new ArrayList<>();
            int[] labels;
            List<java.awt.image.BufferedImage> shown = new ArrayList<>();
            if (!inputs.isEmpty()) {
                List<Path> files = EncodeCommand.listImages(inputs);
                labels = EncodeCommand.classLabels(inputs, files);
                for (ScoreKind k : kinds) s.put(k, new double[files.size()]);
                for (int i = 0; i < files.size(); i += batch) {
                    List<java.awt.image.BufferedImage> images = new ArrayList<>();
                    for (Path f : files.subList(i, Math.min(files.size(), i + batch))) {
                        images.add(EncodeCommand.readImage(f, dataOptions.maxImagePixels));
                        ids.add(f.toString());
                    }
                    for (ScoreKind k : kinds)
                        System.arraycopy(scorer.score(images, AnomalyScore.parse(k.id())), 0, s.get(k), i, images.size());
                }
            } else {
                var pre = model.preprocessing();
                try (DatasetSplits splits = dataOptions.open("synthetic", pre.imageSize(), pre.channels())) {
                    ImageDataset d = pick(splits);
                    labels = new int[d.size()];
                    for (ScoreKind k : kinds) s.put(k, new double[d.size()]);
                    for (int i = 0; i < d.size(); i += batch) {
                        int n = Math.min(batch, d.size() - i);
                        float[] px;
                        try (StepScope sc = StepScope.open()) {
                            px = Tensors.toFloats(d.batch(i, i + n));                  // [n, C, S, S] in [0, 1]
                        }
                        for (ScoreKind k : kinds)
                            System.arraycopy(scorer.scorePixels(px, n, AnomalyScore.parse(k.id())), 0, s.get(k), i, n);
                    }
                    for (int i = 0; i < d.size(); i++) {
                        ids.add(Integer.toString(i));
                        labels[i] = d.label(i);
                    }
                }
            }
            var table = new ScoreFiles.Table(kinds, s, ids, labels);
            int[] order = printTop(table);
            if (sheet != null) {
                List<java.awt.image.BufferedImage> pairs = new ArrayList<>();
                for (int i : order) {
                    var img = inputs.isEmpty() ? null : EncodeCommand.readImage(Path.of(ids.get(i)), dataOptions.maxImagePixels);
                    if (img == null)
                        throw new OptionException("--sheet with an inference bundle and --data: give the checkpoint, or image files");
                    pairs.add(img);
                    pairs.add(model.reconstruct(img));
                }
                ScoreFiles.writeSheet(sheet, pairs, model.preprocessing().networkSize());
                System.out.println("wrote " + sheet + " (x | G(E(x)), most unusual first)");
            }
            return table;
        }
    }

    private double checkAlpha() {
        if (!(alpha >= 0 && alpha <= 1)) throw new OptionException("--alpha must be in [0, 1], got " + alpha);
        return alpha;
    }

    private ImageDataset pick(DatasetSplits splits) {
        return switch (split.toLowerCase(Locale.ROOT)) {
            case "train" -> splits.train();
            case "test" -> splits.test();
            default -> throw new OptionException("--split must be train or test, got '" + split + "'");
        };
    }

    /** Prints the --top rows by the first score (highest first) and returns their indices. */
    private int[] printTop(ScoreFiles.Table t) {
        if (top < 1) return new int[0];
        ScoreKind first = t.kinds().get(0);
        double[] s = t.scores().get(first);
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> s[i]).reversed());
        int n = Math.min(top, idx.length);
        System.out.printf(Locale.ROOT, "the %d most unusual images by %s:%n", n, first.id());
        int[] out = new int[n];
        for (int r = 0; r < n; r++) {
            int i = idx[r];
            out[r] = i;
            System.out.printf(Locale.ROOT, "%4d  %12.4f  %s%s%n", r + 1, s[i], t.ids().get(i),
                    t.labels() == null ? "" : "  label " + t.labels()[i]);
        }
        return out;
    }

    /** The library model of --model: a bundle or state dict as it is, a checkpoint's G and E converted in memory. */
    private BigBiganModel open(io.bigbigan.trainer.step.Weights weights) {
        BigBiganModel.Options options = BigBiganModel.Options.DEFAULT;
        try {
            options = options.withDevice(io.bigbigan.api.Device.parse(common.device))
                    .withPrecision(io.bigbigan.api.Precision.parse(checkpointOption.precision));
        } catch (IllegalArgumentException e) {
            throw new OptionException("--device/--precision: " + e.getMessage(), e);
        }
        Path m = checkpointOption.checkpoint;
        if (io.bigbigan.api.Bundle.detect(m) != io.bigbigan.api.Bundle.Kind.CHECKPOINT) return BigBiganModel.open(m, options);
        try (var c = CheckpointBundles.fromCheckpoint(m, weights, 0)) {
            return BigBiganModel.of(m, c, options);
        }
    }
}
