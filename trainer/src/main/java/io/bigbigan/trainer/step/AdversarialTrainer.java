package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;
import io.bigbigan.model.AdversarialNetworks;
import io.bigbigan.model.ModelKind;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.MemoryFormat;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.distributed.DataParallel;
import io.bigbigan.trainer.distributed.GradientSync;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What both adversarial step trainers share: the model, its three Adam optimisers, the latent generator, the two
 * optimiser updates of a step ({@link OptimiserUpdate}: D's, and E and G's joint one) and the inference side. The step
 * itself is each subclass's {@link #step}, written top to bottom (Donahue et al. 2017, Section 3.4 and Appendix C;
 * Donahue &amp; Simonyan 2019, Section 3): {@code dStepsPerGStep} discriminator updates, each on a fresh real batch and
 * fresh latents from the prior, then one joint encoder/generator update on the last D update's batch and latents,
 * with D frozen.
 *
 * <p>Owns the model, the optimisers and the latent generator; all are created here, outside any {@link StepScope}.
 * Callers run each {@link #step} inside a scope. The inference half ({@link #prepare}, {@link #generate},
 * {@link #encode}, {@link #features}) asks the configuration's {@link ModelKind}, as the inference API does.
 *
 * @param <M> the module holding G, E and D
 */
public abstract sealed class AdversarialTrainer<M extends Module & AdversarialNetworks> implements StepTrainer
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
    private Precision inferencePrecision = Precision.FP32;
    private long step;

    /**
     * Takes {@code model} freshly built on the CPU (after seeding the global generator with {@code seed}), puts it in
     * training mode on {@code device} in the model's element type and memory layout, then creates the optimisers and
     * the latent generator.
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
        inModelLayout(model);                                                   // before the optimiser states
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

    /** The generator used for sampling ({@link #generate}): G, or an EMA copy. */
    Module samplingGenerator() {
        return model.generator();
    }

    /** The encoder used for evaluation ({@link #encode}, {@link #features}): E, or an EMA copy. */
    Module evaluationEncoder() {
        return model.encoder();
    }

    /** Random generators besides {@code latent_rng}, by checkpoint name. */
    Map<String, Generator> extraGenerators() {
        return Map.of();
    }

    /**
     * A supplied real batch in the model's element type (float64 under {@link Precision#FP64}) and memory layout
     * (channels-last for 4-D images when the trainer keeps it); the same tensor when it is already prepared.
     */
    final Tensor input(Tensor batch) {
        Tensor x = inModelType(batch);
        return memoryFormat == MemoryFormat.CHANNELS_LAST && x.dim() == 4 ? Tensors.channelsLast(x) : x;
    }

    /** {@code t} in the element type the model computes in: float64 under {@link Precision#FP64}, else unchanged. */
    final Tensor inModelType(Tensor t) {
        return precision == Precision.FP64 ? t.to(torch.ScalarType.Double) : t;
    }

    /**
     * A freshly built module (the model, an EMA copy) in the model's element type and memory layout, before the
     * optimiser states are created: float64 under fp64; every 4-D parameter and buffer channels-last (same tensors,
     * with recognisable channels-last strides also for one-channel weights) when the trainer keeps that layout.
     */
    final void inModelLayout(Module m) {
        if (precision == Precision.FP64) m.to(torch.ScalarType.Double, false);
        if (memoryFormat != MemoryFormat.CHANNELS_LAST) return;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : Modules.state(m).values())
                if (t.dim() == 4) t.set_data(Tensors.channelsLast(t));
        }
    }

    /** The step being computed: completed steps + 1. */
    final long nextStep() {
        return step + 1;
    }

    /** Counts a completed step. */
    final long stepDone() {
        return ++step;
    }

    // ------------------------------------------------------------------------------------------------- accessors

    @Override
    public RunConfig config() { return config; }

    @Override
    public Device device() { return device; }

    @Override
    public M model() { return model; }

    @Override
    public long stepCount() { return step; }

    @Override
    public void setStepCount(long s) { step = s; }

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
        updates(dp.gradients(model.discriminator()), dp.gradients(model.generator()), dp.gradients(model.encoder()));
        dp.broadcast(state().values());                                         // every replica starts from rank 0's
    }

    // ------------------------------------------------------------------------------------------------- inference

    /**
     * Dataset images [B, C, H, W] in [0, 1] -> network inputs on the trainer's device, in the model's element type
     * and layout: flattened for the MLP, padded or resized to [B, C, R, R] in [-1, 1] for BigBiGAN.
     */
    @Override
    public Tensor prepare(Tensor images) {
        kind.checkImages(images, config.preset());
        return input(kind.toInputs(ComputeDevice.move(images, device, true), kind.imageSize()));   // -> device
    }

    @Override
    public Tensor toImages(Tensor inputs) {
        return kind.toImages(inputs);                                           // [B, C, R, R] in [0, 1]
    }

    @Override
    public void inferencePrecision(Precision p) {
        inferencePrecision = java.util.Objects.requireNonNull(p);
    }

    @Override
    public Precision inferencePrecision() {
        return inferencePrecision;
    }

    @Override
    public Tensor generate(Tensor z) {
        Tensor latents = inModelType(z);                  // an fp64 model takes float64 latents
        return Inference.inEvalMode(model, inferencePrecision, device,
                () -> toImages(Inference.fp32(kind.generate(samplingGenerator(), latents))));
    }

    @Override
    public Tensor encode(Tensor inputs) {
        return Inference.inEvalMode(model, inferencePrecision, device,
                () -> Inference.fp32(kind.encode(evaluationEncoder(), inputs, null).latent()));
    }

    /** E(x) and the penultimate features (MLP), or the posterior mean and the pooled features (BigBiGAN). */
    @Override
    public LinkedHashMap<String, Tensor> features(Tensor inputs) {
        return Inference.inEvalMode(model, inferencePrecision, device, () -> {
            var out = kind.encode(evaluationEncoder(), inputs, null);
            String[] names = kind.featureNames();
            LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
            m.put(names[0], Inference.fp32(out.latent()));
            m.put(names[1], Inference.fp32(out.pooled()));
            return m;
        });
    }

    /** Latents from the prior, [n, zDim], from the trainer's latent generator. */
    @Override
    public Tensor sampleLatent(long n) {
        return sampleLatent(n, latentRng);
    }

    /** Drawn on the generator's device, then moved to the trainer's (a caller's CPU generator gives the same z). */
    @Override
    public Tensor sampleLatent(long n, Generator generator) {
        return sampleLatent(n, generator, 0);
    }

    @Override
    public Tensor sampleLatent(long n, Generator generator, double truncation) {
        return inModelType(ComputeDevice.move(kind.prior(n, generator, truncation), device, false));
    }
}
