package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.data.ImageDataset;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Frozen-encoder features of a whole dataset and reconstruction errors (evaluation mode: batch norm uses running
 * statistics). The networks run over chunks of at most {@code batch} images, each in its own {@link StepScope}, so
 * peak memory depends on the chunk size, not on the number of images.
 *
 * <p><b>Same features for any chunk size.</b> LibTorch's CPU matrix products round an image's row differently
 * depending on how many rows the product has (measured on a 32 px BigBiGAN: E mu differs by up to 3e-8, one float32
 * ulp, between passes of 8 and 64 images, also with one thread; a row's result depends on the row count and on its
 * place in the pass, not on the other rows' values). Such differences flip near-ties in k-NN. {@link #extract}
 * therefore runs the encoder on passes of exactly {@link #forwardRows} images that start at multiples of it in the
 * data set, whatever the chunk size (chunks are rounded up to whole passes; the last pass is padded with copies of
 * its last image, whose outputs are dropped), so the features, and the tables built on them, do not depend on
 * {@code --eval-batch}.
 */
public final class EncoderFeatures {
    /** Images per forward pass at 32 px unless told otherwise ({@code --eval-batch}); see {@link #defaultBatch}. */
    public static final int DEFAULT_BATCH_32PX = 64;
    /** Test images the reconstruction errors are measured on (a {@link RandomSubset}) unless told otherwise. */
    public static final int RECONSTRUCTION_IMAGES = 1000;

    private EncoderFeatures() {}

    /**
     * Feature spaces of one split.
     *
     * @param spaces the encoder's named feature spaces (e.g. "E(x)", "E penultimate"), each [N, D]
     * @param pixels raw pixels in [0, 1] [N, C*H*W]: the baseline
     * @param labels int64 [N]
     */
    public record Features(Map<String, Tensor> spaces, Tensor pixels, Tensor labels) {}

    /**
     * The evaluation chunk of a model unless told otherwise: 256 images for the MLPs; for convolutional models
     * {@link #DEFAULT_BATCH_32PX} at 32 px, scaled by (32 / resolution)^2 (activations grow with the pixels), at
     * least 1. bigbigan-32 needs about 12 MB per image for E and G in evaluation (64: ~1.3 GB peak resident).
     */
    public static int defaultBatch(RunConfig config) {
        var kind = config.model().modelKind();
        if (kind.convolutional())
            return Math.max(1, DEFAULT_BATCH_32PX * 32 * 32 / (kind.imageSize() * kind.imageSize()));
        return 256;
    }

    /**
     * Images per encoder forward pass in {@link #extract}, whatever the chunk size: 16 at 32 px, scaled by
     * (32 / resolution)^2 for convolutional models (at least 1), 16 for the MLPs.
     */
    public static int forwardRows(RunConfig config) {
        var kind = config.model().modelKind();
        if (kind.convolutional()) return Math.max(1, FORWARD_ROWS_32PX * 32 * 32 / (kind.imageSize() * kind.imageSize()));
        return FORWARD_ROWS_32PX;
    }

    private static final int FORWARD_ROWS_32PX = 16;

    /** Encodes every image of {@code data} in chunks of {@link #defaultBatch}. */
    public static Features extract(TrainedModel model, ImageDataset data) {
        return extract(model, data, defaultBatch(model.config()));
    }

    /**
     * Encodes every image of {@code data}, {@code batch} images per chunk (rounded up to whole passes), in forward
     * passes of exactly {@link #forwardRows} images (see the class notes); the returned tensors belong to the
     * caller's scope.
     */
    public static Features extract(TrainedModel model, ImageDataset data, int batch) {
        checkBatch(batch);
        long n = data.size();
        int rows = forwardRows(model.config());
        Map<String, Tensor> spaces = new LinkedHashMap<>();
        Tensor pixels = torch.zeros(n, (long) data.channels() * data.height() * data.width());
        try (NoGradGuard g = new NoGradGuard()) {
            // the feature sizes, from one image, so the outputs are allocated in the caller's scope
            var probe = model.features(model.prepare(data.batch(0, 1)));
            probe.forEach((k, v) -> spaces.put(k, torch.zeros(n, v.size(1))));
            long chunk = (batch + rows - 1L) / rows * rows;       // passes start at multiples of rows in the data
            for (long start = 0; start < n; start += chunk) {
                long b = Math.min(chunk, n - start);
                try (StepScope s = StepScope.open()) {
                    Tensor x = data.batch(start, start + b);   // [b, C, H, W]
                    for (long p = 0; p < b; p += rows) {
                        long r = Math.min(rows, b - p);
                        Tensor part = x.narrow(0, p, r);                                         // [r, C, H, W]
                        if (r < rows) part = torch.cat(new TensorVector(part,
                                part.narrow(0, r - 1, 1).expand(new long[]{rows - r, -1, -1, -1})));  // [rows, C, H, W]
                        for (var e : model.features(model.prepare(part)).entrySet())
                            spaces.get(e.getKey()).narrow(0, start + p, r).copy_(e.getValue().narrow(0, 0, r)); // [r, D]
                    }
                    pixels.narrow(0, start, b).copy_(x.flatten(1, -1));
                }
            }
        }
        return new Features(spaces, pixels, data.labels().clone());
    }

    /**
     * Reconstruction errors on dataset images x in [0, 1], measured in the model's image space: {@code recon} = mean
     * ||x - G(E(x))||; {@code mismatched} = mean ||x - G(E(x'))|| and {@code randomPair} = mean ||x - x'||, with x'
     * the previous image of the list (the first is paired with the last). An encoder that keeps information about x
     * has recon below mismatched; recon below randomPair is the usual baseline. Pairs are only random when the list
     * is: measure on a {@link RandomSubset} ({@link #reconstructionError(TrainedModel, ImageDataset, int, int)}).
     *
     * @param images the number of images measured
     */
    public record Reconstruction(double recon, double mismatched, double randomPair, long images) {}

    /**
     * {@link Reconstruction} on {@code min(count, test size)} images of {@code data} drawn by
     * {@link RandomSubset#indices} with {@link RandomSubset#RECONSTRUCTION_SEED}, {@code batch} images per forward
     * pass.
     */
    public static Reconstruction reconstructionError(TrainedModel model, ImageDataset data, int count, int batch) {
        try (StepScope s = StepScope.open()) {
            return reconstructionError(model, data, reconstructionSubset(data, count), batch);
        }
    }

    /** The reconstruction subset: the first {@code min(count, size)} rows of the seeded permutation, int64 [n]. */
    public static Tensor reconstructionSubset(ImageDataset data, long count) {
        return RandomSubset.indices(data.size(), count, RandomSubset.RECONSTRUCTION_SEED);
    }

    /** {@link Reconstruction} on the images of {@code data} at {@code indices} (int64 [N]), in that order. */
    public static Reconstruction reconstructionError(TrainedModel model, ImageDataset data, Tensor indices, int batch) {
        checkBatch(batch);
        long n = indices.size(0);
        double recon = 0, mismatched = 0, randomPair = 0;
        Tensor firstX = null, lastX = null, lastRec = null;                                  // [1, D] each
        try (StepScope outer = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            for (long start = 0; start < n; start += batch) {
                long b = Math.min(batch, n - start);
                try (StepScope s = StepScope.open()) {
                    Tensor in = model.prepare(data.batch(indices.narrow(0, start, b)));
                    Tensor x = model.toImages(in).flatten(1, -1);                            // [b, D]
                    Tensor rec = model.generate(model.encode(in)).flatten(1, -1);            // [b, D]
                    recon += sumNorm(x.sub(rec));
                    if (start == 0) firstX = s.export(x.narrow(0, 0, 1).clone());
                    else {                                                                   // row 0's x' is the previous chunk's last
                        mismatched += sumNorm(x.narrow(0, 0, 1).sub(lastRec));
                        randomPair += sumNorm(x.narrow(0, 0, 1).sub(lastX));
                    }
                    if (b > 1) {                                                             // rows 1..b-1: x' is the row before
                        mismatched += sumNorm(x.narrow(0, 1, b - 1).sub(rec.narrow(0, 0, b - 1)));
                        randomPair += sumNorm(x.narrow(0, 1, b - 1).sub(x.narrow(0, 0, b - 1)));
                    }
                    lastX = s.export(x.narrow(0, b - 1, 1).clone());
                    lastRec = s.export(rec.narrow(0, b - 1, 1).clone());
                }
            }
            mismatched += sumNorm(firstX.sub(lastRec));                                      // the first with the last
            randomPair += sumNorm(firstX.sub(lastX));
        }
        return new Reconstruction(recon / n, mismatched / n, randomPair / n, n);
    }

    /** Images x [N, C, R, R] in [0, 1] (as the model sees them) and their reconstructions G(E(x)). */
    public record Pairs(Tensor images, Tensor reconstructions) {}

    /**
     * x and G(E(x)) of the images of {@code data} at {@code indices} (int64 [N]), {@code batch} images per forward
     * pass; the returned tensors belong to the caller's scope.
     */
    public static Pairs reconstructions(TrainedModel model, ImageDataset data, Tensor indices, int batch) {
        checkBatch(batch);
        long n = indices.size(0);
        Tensor images = null, recs = null;
        try (NoGradGuard g = new NoGradGuard()) {
            for (long start = 0; start < n; start += batch) {
                long b = Math.min(batch, n - start);
                try (StepScope s = StepScope.open()) {
                    Tensor in = model.prepare(data.batch(indices.narrow(0, start, b)));
                    Tensor x = model.toImages(in).contiguous();                              // [b, C, R, R]
                    Tensor rec = model.generate(model.encode(in)).contiguous();              // [b, C, R, R]
                    if (images == null) {
                        images = s.export(torch.zeros(concat(n, x), x.options()));
                        recs = s.export(torch.zeros(concat(n, rec), rec.options()));
                    }
                    images.narrow(0, start, b).copy_(x);
                    recs.narrow(0, start, b).copy_(rec);
                }
            }
        }
        return new Pairs(images, recs);
    }

    /** {@code [n, ...]} with the trailing sizes of {@code like}. */
    private static long[] concat(long n, Tensor like) {
        long[] shape = like.sizes().vec().get();
        shape[0] = n;
        return shape;
    }

    /** The sum over rows of ||row||: [R, D] -> 1. */
    private static double sumNorm(Tensor diff) {
        return diff.pow(new Scalar(2)).sum(new long[]{1}).sqrt().sum().item_double();
    }

    static void checkBatch(int batch) {
        if (batch < 1) throw new IllegalArgumentException("--eval-batch must be at least 1, got " + batch);
    }
}
