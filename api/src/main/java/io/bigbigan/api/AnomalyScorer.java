package io.bigbigan.api;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How unusual images are under a trained model: the reconstruction error ||x - G(E(x))|| of each image
 * ({@link AnomalyScore#RECON} or {@link AnomalyScore#RECON_L1}), higher = more unusual. A model trained on normal
 * images reconstructs them better than images unlike them (the generator term of EGBAD, Zenati et al. 2018).
 *
 * <pre>{@code
 * try (BigBiganModel m = BigBiganModel.load(Path.of("model.bundle"))) {
 *     double[] s = new AnomalyScorer(m).scoreFiles(files, AnomalyScore.RECON);
 * }
 * }</pre>
 *
 * <p>Images are converted as {@link BigBiganModel#encode} converts them (or refused under strict image checks);
 * the error is measured over the model's pixels in [0, 1] at G's resolution (padded images include the padding).
 * The scores that read the discriminator D are refused with an {@link UnsupportedOperationException} saying so.
 *
 * <p>Thread-safe like {@link BigBiganModel#encode}: calls run concurrently (or one at a time under
 * {@link BigBiganModel.Options#withSerializedCalls(boolean)}). The scorer does not own the model: close the model when done.
 */
public final class AnomalyScorer {
    private final BigBiganModel model;

    /** A scorer over {@code model} (not copied; closing the model ends the scorer). */
    public AnomalyScorer(BigBiganModel model) {
        this.model = java.util.Objects.requireNonNull(model, "model");
    }

    /** Whether {@code kind} can be computed from this model (the reconstruction scores). */
    public boolean supports(AnomalyScore kind) {
        return !kind.needsDiscriminator();
    }

    /** Scores one image. */
    public double score(BufferedImage image, AnomalyScore kind) {
        return score(List.of(image), kind)[0];
    }

    /**
     * Scores a batch of images in one forward pass.
     *
     * @throws UnsupportedOperationException for a score that needs D
     */
    public double[] score(List<BufferedImage> images, AnomalyScore kind) {
        check(kind);
        if (images.isEmpty()) return new double[0];
        var pre = model.preprocessing();
        int n = images.size(), e = pre.imageElements();
        float[] pixels = new float[n * e];
        for (int i = 0; i < n; i++) System.arraycopy(model.planar(images.get(i), "image " + i), 0, pixels, i * e, e);
        return scorePixels(pixels, n, kind);
    }

    /**
     * Scores image files in one batch.
     *
     * @throws IllegalArgumentException naming the first file that cannot be read
     */
    public double[] scoreFiles(List<Path> files, AnomalyScore kind) {
        check(kind);
        List<BufferedImage> images = new ArrayList<>(files.size());
        for (Path f : files) images.add(Images.read(f));
        return score(images, kind);
    }

    /**
     * Scores images given as planar floats: {@code count} images of {@code [C, S, S]} (the model's
     * {@link Preprocessing#imageElements()} values each) in [0, 1], row-major.
     *
     * @throws IllegalArgumentException when the array's length is not {@code count * imageElements()}
     */
    public double[] scorePixels(float[] pixels, int count, AnomalyScore kind) {
        check(kind);
        var pre = model.preprocessing();
        int e = pre.imageElements();
        if (count < 1 || pixels.length != (long) count * e)
            throw new IllegalArgumentException("pixels: expected " + count + " x " + pre.channels() + " x "
                    + pre.imageSize() + " x " + pre.imageSize() + " = " + (long) count * e + " floats, got " + pixels.length);
        var kindOf = model.modelKind();
        try (StepScope s = StepScope.open()) {
            Tensor x = Tensors.of(pixels, count, pre.channels(), pre.imageSize(), pre.imageSize());     // [N, C, S, S]
            Tensor rec = model.generateTensor(model.encodeTensor(x, FeatureKind.LATENT, 0));           // [N, C, R, R]
            float[] d;
            try (InferenceMode guard = new InferenceMode()) {
                Tensor seen = kindOf.toImages(kindOf.toInputs(x.to(rec), pre.networkSize()))
                        .flatten(1, -1);                                       // x as G's images, [N, D]
                Tensor diff = seen.sub(rec.flatten(1, -1));                     // [N, D]
                Tensor norm = kind == AnomalyScore.RECON ? diff.pow(new Scalar(2)).sum(new long[]{1}).sqrt()
                        : diff.abs().sum(new long[]{1});                        // [N]
                d = Tensors.toFloats(norm);
            }
            double[] out = new double[count];
            for (int i = 0; i < count; i++) out[i] = d[i];
            return out;
        }
    }

    private static void check(AnomalyScore kind) {
        if (kind.needsDiscriminator())
            throw new UnsupportedOperationException("anomaly score " + kind.id() + " needs the discriminator D, which "
                    + "the library's models (G and E) do not hold; use recon or recon-l1, or `bigbigan score --model "
                    + "CHECKPOINT --score " + kind.id() + "` on the training checkpoint");
    }
}
