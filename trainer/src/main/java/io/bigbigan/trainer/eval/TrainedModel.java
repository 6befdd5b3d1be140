package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.Precision;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;

/**
 * What evaluation asks of a trained model: turning dataset images into network inputs and back, drawing latents,
 * and running G and E. Evaluation ({@link EncoderEvaluation}, {@link EncoderFeatures}, diagnostics, generation
 * metrics) depends on this interface only; a step trainer hands out its view ({@code StepTrainer.inference()}).
 *
 * <p>Images cross this interface as dataset images [B, C, H, W] in [0, 1]; {@link #prepare} turns them into what the
 * networks read ("inputs"), {@link #toImages} turns inputs back. Inference methods ({@link #generate},
 * {@link #encode}, {@link #features}) run in evaluation mode without gradients and restore the training mode.
 */
public interface TrainedModel {
    /** The configuration the model was built from. */
    RunConfig config();

    /** The precision of {@link #generate}, {@link #encode} and {@link #features}: fp32, or bf16 (results in fp32). */
    Precision precision();

    /** Latents from the prior, [n, zDim], drawn from {@code generator} (leaves the model's own streams untouched). */
    Tensor sampleLatent(long n, Generator generator);

    /**
     * Latents from the truncated prior, [n, zDim], drawn from {@code generator}: {@code truncation} 0 means none;
     * otherwise a normal prior is re-drawn outside [-t, t] (BigGAN's truncation trick) and a uniform prior is
     * narrowed to [-t, t].
     */
    Tensor sampleLatent(long n, Generator generator, double truncation);

    /** Dataset images [B, C, H, W] in [0, 1] -> network inputs. */
    Tensor prepare(Tensor images);

    /** Network inputs -> images [B, C, R, R] in [0, 1] (the inverse of {@link #prepare} up to resizing). */
    Tensor toImages(Tensor inputs);

    /** G(z) as images [B, C, R, R] in [0, 1]. */
    Tensor generate(Tensor z);

    /**
     * {@link #generate G(z)} for latents z [N, zDim], {@code batch} at a time (each chunk in its own
     * {@link StepScope}, so memory does not grow with N); the images [N, C, R, R] belong to the caller's scope.
     */
    default Tensor generate(Tensor z, int batch) {
        if (batch < 1) throw new IllegalArgumentException("--eval-batch must be at least 1, got " + batch);
        long n = z.size(0);
        Tensor out = null;
        for (long start = 0; start < n; start += batch) {
            long b = Math.min(batch, n - start);
            try (StepScope s = StepScope.open()) {
                Tensor images = generate(z.narrow(0, start, b));                      // [b, C, R, R]
                if (out == null) {
                    long[] shape = images.sizes().vec().get();
                    shape[0] = n;
                    out = s.export(torch.zeros(shape, images.options()));
                }
                out.narrow(0, start, b).copy_(images);
            }
        }
        return out;
    }

    /** The deterministic latent code of inputs: E(x), or the posterior mean for a stochastic E. */
    Tensor encode(Tensor inputs);

    /** Named frozen-encoder feature spaces of inputs, each [B, D], in a stable order. */
    LinkedHashMap<String, Tensor> features(Tensor inputs);
}
