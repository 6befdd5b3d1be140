package io.bigbigan.trainer.step;

import io.bigbigan.model.Latents;
import io.bigbigan.bindings.Modules;
import io.bigbigan.trainer.eval.TrainedModel;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model being trained adversarially, one step at a time (D updates, then one joint E/G update), with what the
 * training loop and checkpoints need to know about it regardless of the architecture; what evaluation needs (images
 * in and out, latents, G and E) is its {@link TrainedModel} side.
 */
public interface StepTrainer extends TrainedModel {
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

    /**
     * Sets the precision of {@link #generate}, {@link #encode} and {@link #features}: fp32 (the default) or bf16
     * (their forward passes under autocast; results are returned in fp32). Training is not affected.
     */
    default void inferencePrecision(io.bigbigan.bindings.Precision precision) {
        if (precision != io.bigbigan.bindings.Precision.FP32)
            throw new UnsupportedOperationException("preset " + config().preset() + ": inference in " + precision.id());
    }

    /** The precision of {@link #generate}, {@link #encode} and {@link #features}. */
    default io.bigbigan.bindings.Precision inferencePrecision() {
        return io.bigbigan.bindings.Precision.FP32;
    }

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
    default void useReplicas(io.bigbigan.trainer.distributed.DataParallel dp) {
        if (dp.size() > 1)
            throw new UnsupportedOperationException("preset " + config().preset() + ": no data-parallel training");
    }

    /** The optimisers by checkpoint name. */
    Map<String, FusedAdam> optimizers();

    /** The private random generators by checkpoint name (their states make resumed runs bit-identical). */
    Map<String, Generator> generators();
}
