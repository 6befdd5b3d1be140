package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.run.StepTrainer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/** Frozen-encoder features of a whole dataset (evaluation mode: batch norm uses running statistics). */
public final class EncoderFeatures {
    private static final int BATCH = 500;

    private EncoderFeatures() {}

    /**
     * Feature spaces of one split.
     *
     * @param spaces the encoder's named feature spaces (e.g. "E(x)", "E penultimate"), each [N, D]
     * @param pixels raw pixels in [0, 1] [N, C*H*W]: the baseline
     * @param labels int64 [N]
     */
    public record Features(Map<String, Tensor> spaces, Tensor pixels, Tensor labels) {}

    /** Encodes every image of {@code data}; the returned tensors belong to the caller's scope. */
    public static Features extract(StepTrainer trainer, ImageDataset data) {
        long n = data.size();
        Map<String, Tensor> spaces = new LinkedHashMap<>();
        Tensor pixels = torch.zeros(n, (long) data.channels() * data.height() * data.width());
        try (NoGradGuard g = new NoGradGuard()) {
            // the feature sizes, from one image, so the outputs are allocated in the caller's scope
            var probe = trainer.features(trainer.prepare(data.batch(0, 1)));
            probe.forEach((k, v) -> spaces.put(k, torch.zeros(n, v.size(1))));
            for (long start = 0; start < n; start += BATCH) {
                long b = Math.min(BATCH, n - start);
                try (StepScope s = StepScope.open()) {
                    Tensor x = data.batch(start, start + b);   // [b, C, H, W]
                    for (var e : trainer.features(trainer.prepare(x)).entrySet())
                        spaces.get(e.getKey()).narrow(0, start, b).copy_(e.getValue());          // [b, D]
                    pixels.narrow(0, start, b).copy_(x.flatten(1, -1));
                }
            }
        }
        return new Features(spaces, pixels, data.labels().clone());
    }

    /**
     * Reconstruction errors on dataset images x [B, C, H, W] in [0, 1], measured in the model's image space:
     * {@code recon} = mean ||x - G(E(x))||; {@code mismatched} = mean ||x - G(E(x'))|| and {@code randomPair} = mean
     * ||x - x'||, with x' the batch shifted by one. An encoder that keeps information about x has recon below
     * mismatched; recon below randomPair is the usual baseline.
     */
    public record Reconstruction(double recon, double mismatched, double randomPair) {}

    /** Measures {@link Reconstruction}. */
    public static Reconstruction reconstructionError(StepTrainer trainer, Tensor images) {
        try (NoGradGuard g = new NoGradGuard(); StepScope s = StepScope.open()) {
            Tensor in = trainer.prepare(images);
            Tensor x = trainer.toImages(in).flatten(1, -1);                                   // [B, D]
            Tensor rec = trainer.generate(trainer.encode(in)).flatten(1, -1);                 // [B, D]
            Tensor other = torch.roll(x, new long[]{1}, new long[]{0});                       // x'
            Tensor recOther = torch.roll(rec, new long[]{1}, new long[]{0});                  // G(E(x'))
            return new Reconstruction(meanNorm(x.sub(rec)), meanNorm(x.sub(recOther)), meanNorm(x.sub(other)));
        }
    }

    private static double meanNorm(Tensor diff) {
        return diff.pow(new Scalar(2)).sum(new long[]{1}).sqrt().mean().item_double();      // [B] -> 1
    }
}
