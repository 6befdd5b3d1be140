package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.mlp.BiganMlp;
import io.bigbigan.model.mlp.MlpEncoder;
import io.bigbigan.trainer.data.ImageDataset;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Frozen-encoder features of a whole dataset, in evaluation mode (batch norm uses running statistics). */
public final class EncoderFeatures {
    private static final int BATCH = 1000;

    private EncoderFeatures() {}

    /**
     * Feature spaces of one split.
     *
     * @param z      E(x) [N, latentDim]
     * @param hidden E's penultimate layer [N, hidden]
     * @param pixels raw pixels in [0, 1] [N, C*H*W]: the baseline
     * @param labels int64 [N]
     */
    public record Features(Tensor z, Tensor hidden, Tensor pixels, Tensor labels) {}

    /** Encodes every image of {@code data}; the returned tensors are owned by the caller (not scoped). */
    public static Features extract(BiganMlp model, ImageDataset data) {
        boolean wasTraining = model.is_training();
        model.eval();
        MlpEncoder e = model.encoder();
        long n = data.size();
        long d = (long) data.channels() * data.height() * data.width();
        Tensor z = torch.zeros(n, model.config().latentDim());
        Tensor hidden = torch.zeros(n, model.config().hidden());
        Tensor pixels = torch.zeros(n, d);
        try (NoGradGuard g = new NoGradGuard()) {
            for (long start = 0; start < n; start += BATCH) {
                long b = Math.min(BATCH, n - start);
                try (StepScope s = StepScope.open()) {
                    Tensor idx = torch.arange(new org.bytedeco.pytorch.Scalar(start), new org.bytedeco.pytorch.Scalar(start + b));
                    Tensor x = data.batch(idx).flatten(1, -1);             // [b, 784]
                    MlpEncoder.Output out = e.encode(x);
                    z.narrow(0, start, b).copy_(out.z());
                    hidden.narrow(0, start, b).copy_(out.hidden());
                    pixels.narrow(0, start, b).copy_(x);
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return new Features(z, hidden, pixels, data.labels().clone());
    }

    /**
     * Reconstruction errors on {@code x} [B, 784]: {@code recon} = mean ||x - G(E(x))||; {@code mismatched} = mean
     * ||x - G(E(x'))|| and {@code randomPair} = mean ||x - x'||, with x' the batch shifted by one. An encoder that
     * keeps information about x has recon below mismatched; recon below randomPair is the usual baseline.
     */
    public record Reconstruction(double recon, double mismatched, double randomPair) {}

    /** Measures {@link Reconstruction} in evaluation mode. */
    public static Reconstruction reconstructionError(BiganMlp model, Tensor x) {
        boolean wasTraining = model.is_training();
        model.eval();
        try (NoGradGuard g = new NoGradGuard(); StepScope s = StepScope.open()) {
            Tensor rec = model.generator().forward(model.encoder().forward(x));           // [B, 784]
            Tensor other = torch.roll(x, new long[]{1}, new long[]{0});                   // x'
            Tensor recOther = torch.roll(rec, new long[]{1}, new long[]{0});              // G(E(x'))
            return new Reconstruction(meanNorm(x.sub(rec)), meanNorm(x.sub(recOther)), meanNorm(x.sub(other)));
        } finally {
            model.train(wasTraining);
        }
    }

    private static double meanNorm(Tensor diff) {
        return diff.pow(new org.bytedeco.pytorch.Scalar(2)).sum(new long[]{1}).sqrt().mean().item_double();  // [B] -> 1
    }
}
