package io.bigbigan.trainer.eval.generation;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.FrechetDistance;
import io.bigbigan.trainer.eval.GaussianStatistics;
import io.bigbigan.trainer.eval.RepresentationReport;
import io.bigbigan.trainer.eval.TrainedModel;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Sample-quality metrics of a generator through a fixed {@link ImageFeatureExtractor}: the Fréchet distance
 * (Heusel et al. 2017) between features of G(z) and of real training images, beside the real-vs-real floor (test
 * images against the same training reference, what a perfect generator would score with this many samples), and the
 * Inception(-style) Score of G(z) beside that of real test images.
 *
 * <p>Real images are a fixed pseudo-random subset (seed {@link #SUBSET_SEED}, independent of the run seed so cached
 * statistics are reused) of {@code min(samples, split size)} images; reference statistics are cached by
 * {@link ReferenceStatistics}. Generated images larger than the dataset's images (28 px data padded to 32 px for the
 * BigBiGAN presets) are centre-cropped back to the dataset's size; other sizes are left to the extractor.
 */
public final class GenerationMetrics {
    /** Seed of the real-image subset. */
    public static final long SUBSET_SEED = 20_190_705L;
    private static final int BATCH = 250;

    private GenerationMetrics() {}

    /**
     * The measured figures.
     *
     * @param extractor     extractor name ({@code inception} or {@code domain})
     * @param extractorId   its weights' id
     * @param samples       generated samples
     * @param referenceRows real training images in the reference statistics
     * @param floorRows     real test images in the floor
     * @param fd            FD(G(z), train)
     * @param fdFloor       FD(test, train)
     * @param score         IS of G(z) (null when not requested)
     * @param scoreReal     IS of real test images (null when not requested)
     * @param cachedReference whether the reference statistics came from the cache
     */
    public record Result(String extractor, String extractorId, long samples, long referenceRows, long floorRows,
                         double fd, double fdFloor, InceptionScore.Score score, InceptionScore.Score scoreReal,
                         boolean cachedReference) {
        /** Report lines stating the extractor and sample counts of every figure. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            String prefix = extractor.equals("inception") ? "FID" : "FD";
            sb.append(String.format(Locale.ROOT, "%s(%s, %d samples vs %d train images)  generator %.3f   "
                            + "real test (%d) vs train floor %.3f%n", prefix, extractor, samples, referenceRows, fd,
                    floorRows, fdFloor));
            if (score != null)
                sb.append(String.format(Locale.ROOT, "IS(%s, %d samples, %d splits)  generator %.3f +- %.3f   "
                                + "real test (%d) %.3f +- %.3f%n", extractor, score.samples(), InceptionScore.SPLITS,
                        score.mean(), score.std(), scoreReal.samples(), scoreReal.mean(), scoreReal.std()));
            return sb.toString();
        }

        /**
         * The figures of {@link #table} as data for JSON: {@code {"metric": "FID"|"FD", "extractor",
         * "extractor_id", "samples", "reference_images" (train), "floor_images" (test), "fd", "fd_floor",
         * "cached_reference", "is": {"samples", "splits", "mean", "std"}, "is_real": {...}}}; the scores only when
         * they were computed, a value that is not a number is null.
         */
        public Map<String, Object> data() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("metric", extractor.equals("inception") ? "FID" : "FD");
            m.put("extractor", extractor);
            m.put("extractor_id", extractorId);
            m.put("samples", samples);
            m.put("reference_images", referenceRows);
            m.put("floor_images", floorRows);
            m.put("fd", RepresentationReport.finite(fd));
            m.put("fd_floor", RepresentationReport.finite(fdFloor));
            m.put("cached_reference", cachedReference);
            if (score != null) m.put("is", scoreData(score));
            if (scoreReal != null) m.put("is_real", scoreData(scoreReal));
            return m;
        }

        private static Map<String, Object> scoreData(InceptionScore.Score s) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("samples", s.samples());
            m.put("splits", InceptionScore.SPLITS);
            m.put("mean", RepresentationReport.finite(s.mean()));
            m.put("std", RepresentationReport.finite(s.std()));
            return m;
        }
    }

    /**
     * Measures the generator of {@code model}.
     *
     * @param dataSpec the dataset specification (part of the cache key)
     * @param samples  generated samples (and the cap on real images per split)
     * @param withScore also compute the Inception(-style) Score
     * @param seed     seed of the latents
     */
    public static Result run(TrainedModel model, DatasetSplits splits, String dataSpec, ImageFeatureExtractor ex,
                             int samples, ReferenceStatistics cache, boolean withScore, long seed,
                             Consumer<String> progress) throws IOException {
        return run(model, splits, dataSpec, ex, samples, cache, withScore, seed, progress, BATCH);
    }

    /** As above, generating {@code batch} images per forward pass of G ({@code --eval-batch}). */
    public static Result run(TrainedModel model, DatasetSplits splits, String dataSpec, ImageFeatureExtractor ex,
                             int samples, ReferenceStatistics cache, boolean withScore, long seed,
                             Consumer<String> progress, int batch) throws IOException {
        if (batch < 1) throw new IllegalArgumentException("--eval-batch must be at least 1, got " + batch);
        if (samples < InceptionScore.SPLITS)
            throw new OptionException("--samples must be at least " + InceptionScore.SPLITS + ", got " + samples);
        String exId = ex.name() + ":" + ex.id();
        ImageDataset train = splits.train();
        ImageDataset test = splits.test();
        int refRows = Math.min(samples, train.size());
        int floorRows = Math.min(samples, test.size());
        var refKey = new ReferenceStatistics.Key(dataSpec, "train", exId, refRows);
        ReferenceStatistics.Entry ref;
        try {
            ref = cache.get(refKey, () -> realStatistics(train, refRows, ex, null));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        progress.accept("reference statistics (" + refRows + " train images, " + exId + "): "
                + (ref.source() == ReferenceStatistics.Source.CACHE ? "cached " : "computed ")
                + (ref.file() == null ? "" : ref.file().toString()));
        InceptionScore.Score realScore = null;
        GaussianStatistics floorStats;
        if (withScore) {
            long k = classes(ex, test);
            try (StepScope s = StepScope.open()) {
                Tensor probs = torch.zeros(floorRows, k);
                floorStats = realStatistics(test, floorRows, ex, probs);
                realScore = InceptionScore.of(probs);
            }
        } else {
            floorStats = cache.get(new ReferenceStatistics.Key(dataSpec, "test", exId, floorRows),
                    () -> realStatistics(test, floorRows, ex, null)).statistics();
        }
        double floor = FrechetDistance.between(floorStats, ref.statistics());

        GaussianStatistics gen = null;
        InceptionScore.Score genScore = null;
        Generator g = torch.createCPUGenerator(seed);
        try (StepScope s = StepScope.open(); NoGradGuard ng = new NoGradGuard()) {
            Tensor probs = withScore ? torch.zeros(samples, classes(ex, test)) : null;
            for (long off = 0; off < samples; off += batch) {
                try (StepScope b = StepScope.open()) {
                    long n = Math.min(batch, samples - off);
                    Tensor images = fit(model.generate(model.sampleLatent(n, g)), test);       // [n, C, H, W]
                    Tensor f = ex.features(images);                                            // [n, D]
                    if (gen == null) gen = new GaussianStatistics(Math.toIntExact(f.size(1)));
                    gen.add(f);
                    if (probs != null) probs.narrow(0, off, n).copy_(torch.softmax(ex.logits(images), 1));
                }
            }
            if (probs != null) genScore = InceptionScore.of(probs);
        }
        progress.accept(samples + " generated samples measured");
        return new Result(ex.name(), ex.id(), samples, refRows, floorRows,
                FrechetDistance.between(gen, ref.statistics()), floor, genScore, realScore,
                ref.source() == ReferenceStatistics.Source.CACHE);
    }

    /** The Fréchet distance between the features of two image sets of a dataset split (e.g. the real floor alone). */
    public static GaussianStatistics realStatistics(ImageDataset data, int rows, ImageFeatureExtractor ex, Tensor probs) {
        GaussianStatistics stats = null;
        try (StepScope s = StepScope.open(); NoGradGuard ng = new NoGradGuard()) {
            Tensor idx = subset(data.size(), rows);                                            // [rows]
            for (long off = 0; off < rows; off += BATCH) {
                try (StepScope b = StepScope.open()) {
                    long n = Math.min(BATCH, rows - off);
                    Tensor images = data.batch(idx.narrow(0, off, n));                          // [n, C, H, W]
                    Tensor f = ex.features(images);                                            // [n, D]
                    if (stats == null) stats = new GaussianStatistics(Math.toIntExact(f.size(1)));
                    stats.add(f);
                    if (probs != null) probs.narrow(0, off, n).copy_(torch.softmax(ex.logits(images), 1));
                }
            }
        }
        return stats;
    }

    /** The first {@code rows} of a fixed permutation of {@code 0..size-1}, [rows] int64. */
    static Tensor subset(long size, long rows) {
        return io.bigbigan.trainer.eval.RandomSubset.indices(size, rows, SUBSET_SEED);
    }

    private static long classes(ImageFeatureExtractor ex, ImageDataset like) {
        try (StepScope s = StepScope.open()) {
            return ex.logits(like.batch(torch.zeros(new long[]{1}, new TensorOptions(torch.ScalarType.Long)))).size(1);
        }
    }

    /** Centre-crops generated images [B, C, R, R] larger than the dataset's [H, W] back to it. */
    static Tensor fit(Tensor images, ImageDataset like) {
        long h = like.height(), w = like.width();
        long r = images.size(2), c = images.size(3);
        if (r > h && c > w) return images.narrow(2, (r - h) / 2, h).narrow(3, (c - w) / 2, w);
        return images;
    }
}
