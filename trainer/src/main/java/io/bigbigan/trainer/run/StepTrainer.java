package io.bigbigan.trainer.run;

import io.bigbigan.model.Latents;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.config.RunConfig;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model being trained adversarially, one step at a time (D updates, then one joint E/G update), with what the
 * training loop, checkpoints and evaluation need to know about it regardless of the architecture.
 *
 * <p>Images cross this interface as dataset images [B, C, H, W] in [0, 1]; {@link #prepare} turns them into what the
 * networks read ("inputs"), {@link #toImages} turns inputs back. Inference methods ({@link #generate},
 * {@link #encode}, {@link #features}) run in evaluation mode without gradients and restore the training mode.
 */
public interface StepTrainer {
    /**
     * What one step measured (Java values, safe to keep after the step's scope closes).
     *
     * @param step   completed steps after this one
     * @param lossD  D's loss of the last D update
     * @param lossEG E and G's joint loss
     * @param accD   D's accuracy on its main score (the joint score; s_x for BigBiGAN's {@code no_encoder})
     * @param extra  further diagnostics by metrics.jsonl key, in a stable order (unmodifiable; empty when a trainer
     *               reports none): {@code loss_d_<head>} and {@code acc_d_<head>} per D head ({@code sx}, {@code sz},
     *               {@code sxz}; the MLP's joint score is {@code sxz}), {@code grad_norm_d}, {@code grad_norm_g},
     *               {@code grad_norm_e} (global L2 norms of the gradients each network's optimiser applied),
     *               {@code e_sigma_mean} and {@code e_sigma_min} (Gaussian posterior only)
     */
    record StepMetrics(long step, double lossD, double lossEG, double accD, Map<String, Double> extra) {
        public StepMetrics {
            extra = extra == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        }

        /** Without extra diagnostics. */
        public StepMetrics(long step, double lossD, double lossEG, double accD) {
            this(step, lossD, lossEG, accD, Map.of());
        }
    }

    /**
     * Diagnostics too costly for every step, for the training loop to call at logging intervals (after a step, with
     * a StepScope open): e.g. {@code sn_sigma_mean_d}, {@code sn_sigma_max_d}, {@code sn_sigma_mean_g},
     * {@code sn_sigma_max_g} (see {@link TrainingMonitors#spectralNormStatistics}). Empty by default.
     */
    default Map<String, Double> logStatistics() {
        return Map.of();
    }

    /** Runs one step; {@code batches} supplies one prepared real batch per D update. Run inside a StepScope. */
    StepMetrics step(Supplier<Tensor> batches);

    /** The module holding G, E and D (named G.*, E.*, D.*). */
    Module model();

    /** The configuration the model was built from. */
    RunConfig config();

    /** The device the model, its optimiser states and the trainer's random streams live on. */
    default org.bytedeco.pytorch.Device device() {
        return ComputeDevice.cpu();
    }

    /** Completed steps. */
    long stepCount();

    /** Sets the completed step count (when state was restored from a checkpoint). */
    void setStepCount(long step);

    /** Latents from the prior, [n, zDim], drawn from the trainer's own latent generator. */
    Tensor sampleLatent(long n);

    /** Latents from the prior, [n, zDim], drawn from {@code generator} (leaves the trainer's streams untouched). */
    Tensor sampleLatent(long n, Generator generator);

    /**
     * Latents from the truncated prior, [n, zDim], drawn from {@code generator}: {@code truncation} 0 means none;
     * otherwise a normal prior is re-drawn outside [-t, t] (BigGAN's truncation trick) and a uniform prior is
     * narrowed to [-t, t]. See {@link Latents}.
     */
    Tensor sampleLatent(long n, Generator generator, double truncation);

    /** Dataset images [B, C, H, W] in [0, 1] -> network inputs. */
    Tensor prepare(Tensor images);

    /** Network inputs -> images [B, C, R, R] in [0, 1] (the inverse of {@link #prepare} up to resizing). */
    Tensor toImages(Tensor inputs);

    /**
     * Sets the precision of {@link #generate}, {@link #encode} and {@link #features}: fp32 (the default) or bf16
     * (their forward passes under autocast; results are returned in fp32). Training is not affected.
     */
    default void inferencePrecision(io.bigbigan.trainer.config.Precision precision) {
        if (precision != io.bigbigan.trainer.config.Precision.FP32)
            throw new UnsupportedOperationException("preset " + config().preset() + ": inference in " + precision.id());
    }

    /** The precision of {@link #generate}, {@link #encode} and {@link #features}. */
    default io.bigbigan.trainer.config.Precision inferencePrecision() {
        return io.bigbigan.trainer.config.Precision.FP32;
    }

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

    /** Every tensor a checkpoint holds, by PyTorch-style name: the model's parameters and buffers (and EMA copies). */
    default Map<String, Tensor> state() {
        return Modules.state(model());
    }

    /**
     * Copies a checkpoint's tensors into the model (and EMA copies).
     *
     * @throws IllegalArgumentException listing missing, unexpected or mis-shaped names
     */
    default void loadState(Map<String, Tensor> state) {
        Modules.copyState(state, model());
    }

    /**
     * Makes this trainer one replica of a data-parallel run: parameters and buffers are overwritten with rank 0's,
     * each step reads this rank's rows of the global batch (the batches supplied to {@link #step} are already its
     * shard), draws the global batch's latents and noise and keeps its rows, and averages every network's
     * gradients over the ranks before each optimiser step. Call once, outside any StepScope, before training.
     */
    default void useReplicas(io.bigbigan.trainer.dist.DataParallel dp) {
        if (dp.size() > 1)
            throw new UnsupportedOperationException("preset " + config().preset() + ": no data-parallel training");
    }

    /** The optimisers by checkpoint name. */
    Map<String, FusedAdam> optimizers();

    /** The private random generators by checkpoint name (their states make resumed runs bit-identical). */
    Map<String, Generator> generators();
}
