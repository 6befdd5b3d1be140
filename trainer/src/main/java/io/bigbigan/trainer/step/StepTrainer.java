package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Precision;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.AdversarialNetworks;
import io.bigbigan.model.ModelKind;
import io.bigbigan.trainer.config.MemoryFormat;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.distributed.DataParallel;
import io.bigbigan.trainer.distributed.GradientSync;
import io.bigbigan.trainer.eval.TrainedModel;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model being trained adversarially, one step at a time (D updates, then one joint E/G update), with what the
 * training loop and checkpoints need to know about it regardless of the architecture. What evaluation needs (images
 * in and out, latents, G and E) is a separate view, {@link #inference()}.
 *
 * <p>Both model kinds' trainers extend {@link AdversarialTrainer}, below: the state a step reads (model, optimisers,
 * the two {@link OptimiserUpdate}s, the latent stream, the replicas) is declared there.
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

    /** Runs one step; {@code batches} supplies one prepared real batch per D update. Run inside a StepScope. */
    StepMetrics step(Supplier<Tensor> batches);

    /** The configuration the model was built from. */
    RunConfig config();

    /** Dataset images [B, C, H, W] in [0, 1] -> the network inputs a step reads, on the trainer's device. */
    Tensor prepare(Tensor images);

    /**
     * The trained model as evaluation reads it, running G's and E's forward passes in fp32: a view of this trainer
     * (it follows the weights as training changes them), using the EMA copies of G and E where the trainer keeps them.
     */
    default TrainedModel inference() {
        return inference(Precision.FP32);
    }

    /**
     * As {@link #inference()}, with G's and E's forward passes in {@code precision}: fp32, or bf16 (under autocast;
     * results are returned in fp32).
     *
     * @throws UnsupportedOperationException when this trainer cannot run inference in {@code precision}
     */
    default TrainedModel inference(Precision precision) {
        return inference(precision, Weights.EMA);
    }

    /**
     * As {@link #inference(Precision)}, reading G and E as {@code weights} says: their EMA copies where the trainer
     * keeps them, or the live weights that the optimiser trains (the same modules when the trainer keeps no EMA).
     *
     * @throws UnsupportedOperationException when this trainer cannot run inference in {@code precision}
     */
    TrainedModel inference(Precision precision, Weights weights);

    /**
     * Diagnostics too costly for every step, for the training loop to call at logging intervals (after a step, with
     * a StepScope open): e.g. {@code sn_sigma_mean_d}, {@code sn_sigma_max_d}, {@code sn_sigma_mean_g},
     * {@code sn_sigma_max_g} (see {@link TrainingMonitors#spectralNormStatistics}). Empty by default.
     */
    default Map<String, Double> logStatistics() {
        return Map.of();
    }

    /** The module holding G, E and D (named G.*, E.*, D.*). */
    Module model();

    /** The device the model, its optimiser states and the trainer's random streams live on. */
    default Device device() {
        return ComputeDevice.cpu();
    }

    /** Completed steps. */
    long stepCount();

    /** Sets the completed step count (when state was restored from a checkpoint). */
    void setStepCount(long step);

    /** Latents from the prior, [n, zDim], drawn from the trainer's own latent generator. */
    Tensor sampleLatent(long n);

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
    default void useReplicas(DataParallel dp) {
        if (dp.size() > 1)
            throw new UnsupportedOperationException("preset " + config().preset() + ": no data-parallel training");
    }

    /** The optimisers by checkpoint name. */
    Map<String, FusedAdam> optimizers();

    /** The private random generators by checkpoint name (their states make resumed runs bit-identical). */
    Map<String, Generator> generators();

    /**
     * What both adversarial step trainers share: the model, its three Adam optimisers, the latent generator and the
     * two optimiser updates of a step ({@link OptimiserUpdate}: D's, and E and G's joint one). The step itself is each
     * subclass's {@link #step}, written top to bottom (Donahue et al. 2017, Section 3.4 and Appendix C; Donahue &amp;
     * Simonyan 2019, Section 3): {@code dStepsPerGStep} discriminator updates, each on a fresh real batch and fresh
     * latents from the prior ({@link #updateInputs}), then one joint encoder/generator update on the last D update's
     * batch and latents, with D frozen.
     *
     * <p>Owns the model, the optimisers and the latent generator; all are created here, outside any
     * {@link StepScope}. Callers run each {@link #step} inside a scope. Its inference view ({@link Inference}) asks
     * the configuration's {@link ModelKind}, as the inference API does.
     *
     * @param <M> the module holding G, E and D
     */
    abstract sealed class AdversarialTrainer<M extends Module & AdversarialNetworks> implements StepTrainer
            permits BiganTrainer, BigBiganTrainer {
        final RunConfig config;
        final ModelKind kind;
        final M model;
        final Device device;
        final Precision precision;
        final PhaseTimes times;
        final MemoryFormat memoryFormat;
        final FusedAdam optD, optG, optE;
        final Generator latentRng;
        DataParallel dp = DataParallel.single();
        /** D's update, and E and G's joint update (E only when the objective trains it). */
        OptimiserUpdate updateD, updateEG;
        /** Completed steps; a step reads {@code steps + 1} as its number and counts itself done at its end. */
        long steps;

        /**
         * Takes {@code model} freshly built on the CPU (after seeding the global generator with {@code seed}), puts it
         * in training mode on {@code device} in the model's element type and memory layout, then creates the
         * optimisers and the latent generator.
         */
        AdversarialTrainer(RunConfig config, Trainers.Setup setup, M model) {
            this.config = config;
            this.kind = config.model().modelKind();
            this.model = model;
            this.device = setup.device();
            this.times = setup.times();
            this.memoryFormat = setup.memoryFormat();
            this.precision = config.train().precision();
            long seed = setup.seed();
            model.train(true);
            model.to(device, false);
            inModelLayout(model);                                               // before the optimiser states
            OptimConfig o = config.train().optim();
            optD = new FusedAdam(model.discriminator(), o.lrD(), o.beta1(), o.beta2(), o.eps());
            optG = new FusedAdam(model.generator(), o.lrG(), o.beta1(), o.beta2(), o.eps());
            optE = new FusedAdam(model.encoder(), o.lrE(), o.beta1(), o.beta2(), o.eps());
            latentRng = ComputeDevice.generator(device, seed ^ 0x5DEECE66DL);
            updates(GradientSync.none(), GradientSync.none(), GradientSync.none());
        }

        /** The two updates of a step, with the gradients of D, G and E averaged over the replicas by {@code d, g, e}. */
        private void updates(GradientSync d, GradientSync g, GradientSync e) {
            var netD = new OptimiserUpdate.Net("D", model.discriminator(), optD, d);
            var netG = new OptimiserUpdate.Net("G", model.generator(), optG, g);
            var netE = new OptimiserUpdate.Net("E", model.encoder(), optE, e);
            updateD = new OptimiserUpdate("D", times, List.of(netD));
            updateEG = new OptimiserUpdate("E/G", times,
                    config.train().objective().trainsEncoder() ? List.of(netE, netG) : List.of(netG));
        }

        /** A D update's real batch and latents. */
        record UpdateInputs(Tensor x, Tensor z) {}

        /**
         * A D update's inputs: the next supplied real batch x [B, ...] in the model's element type (float64 under
         * {@link Precision#FP64}) and memory layout (channels-last for 4-D images when the trainer keeps it; the same
         * tensor when it is already prepared), and fresh latents z ~ prior from the trainer's latent stream, [B, zDim]:
         * this rank's rows of the global batch's latents.
         */
        final UpdateInputs updateInputs(Supplier<Tensor> batches) {
            Tensor x = asInput(batches.get());
            Tensor z = dp.rows(sampleLatent(dp.globalRows(x.size(0))));
            return new UpdateInputs(x, z);
        }

        /** {@code x} in the model's element type and memory layout (channels-last for 4-D images when kept). */
        private Tensor asInput(Tensor x) {
            x = inModelType(x);
            return memoryFormat == MemoryFormat.CHANNELS_LAST && x.dim() == 4 ? Tensors.channelsLast(x) : x;
        }

        /** The generator used for sampling ({@link Inference#generate}): G, or an EMA copy. */
        Module samplingGenerator() {
            return model.generator();
        }

        /** The encoder used for evaluation ({@link Inference#encode}, {@link Inference#features}): E, or an EMA copy. */
        Module evaluationEncoder() {
            return model.encoder();
        }

        /** Random generators besides {@code latent_rng}, by checkpoint name. */
        Map<String, Generator> extraGenerators() {
            return Map.of();
        }

        /** {@code t} in the element type the model computes in: float64 under {@link Precision#FP64}, else unchanged. */
        final Tensor inModelType(Tensor t) {
            return precision == Precision.FP64 ? t.to(torch.ScalarType.Double) : t;
        }

        /**
         * A freshly built module (the model, an EMA copy) in the model's element type and memory layout, before the
         * optimiser states are created: float64 under fp64; every 4-D parameter and buffer channels-last (same
         * tensors, with recognisable channels-last strides also for one-channel weights) when the trainer keeps that
         * layout.
         */
        final void inModelLayout(Module m) {
            if (precision == Precision.FP64) m.to(torch.ScalarType.Double, false);
            if (memoryFormat != MemoryFormat.CHANNELS_LAST) return;
            try (NoGradGuard g = new NoGradGuard()) {
                for (Tensor t : Modules.state(m).values())
                    if (t.dim() == 4) t.set_data(Tensors.channelsLast(t));
            }
        }

        /**
         * Latents from the prior, [n, zDim], drawn from {@code generator} on its device (truncated as
         * {@link TrainedModel#sampleLatent(long, Generator, double)} says), moved to the trainer's device in the
         * model's element type.
         */
        final Tensor latents(long n, Generator generator, double truncation) {
            return inModelType(ComputeDevice.move(kind.prior(n, generator, truncation), device, false));
        }

        // --------------------------------------------------------------------------------------------- accessors

        @Override
        public RunConfig config() { return config; }

        @Override
        public Device device() { return device; }

        @Override
        public M model() { return model; }

        @Override
        public long stepCount() { return steps; }

        @Override
        public void setStepCount(long s) { steps = s; }

        @Override
        public Map<String, FusedAdam> optimizers() {
            Map<String, FusedAdam> m = new LinkedHashMap<>();
            m.put("optD", optD);
            m.put("optG", optG);
            m.put("optE", optE);
            return m;
        }

        @Override
        public Map<String, Generator> generators() {
            Map<String, Generator> m = new LinkedHashMap<>();
            m.put("latent_rng", latentRng);
            m.putAll(extraGenerators());
            return m;
        }

        @Override
        public void useReplicas(DataParallel dp) {
            this.dp = dp;
            if (dp.size() == 1) return;
            updates(dp.gradients(model.discriminator()), dp.gradients(model.generator()),
                    dp.gradients(model.encoder()));
            dp.broadcast(state().values());                                     // every replica starts from rank 0's
        }

        /**
         * Dataset images [B, C, H, W] in [0, 1] -> network inputs on the trainer's device, in the model's element type
         * and layout: flattened for the MLP, padded or resized to [B, C, R, R] in [-1, 1] for BigBiGAN.
         */
        @Override
        public Tensor prepare(Tensor images) {
            kind.checkImages(images, config.preset());
            return asInput(kind.toInputs(ComputeDevice.move(images, device, true), kind.imageSize()));
        }

        @Override
        public TrainedModel inference(Precision p, Weights weights) {
            return new Inference(this, java.util.Objects.requireNonNull(p), java.util.Objects.requireNonNull(weights));
        }

        /** Latents from the prior, [n, zDim], from the trainer's latent generator. */
        @Override
        public Tensor sampleLatent(long n) {
            return latents(n, latentRng, 0);
        }
    }
}
