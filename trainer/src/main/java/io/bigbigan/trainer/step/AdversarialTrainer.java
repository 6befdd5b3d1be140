package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.AdversarialNetworks;
import io.bigbigan.model.ModelKind;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.dist.DataParallel;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The training step both adversarial models share (Donahue et al. 2017, Section 3.4 and Appendix C; Donahue &amp;
 * Simonyan 2019, Section 3): {@code dStepsPerGStep} discriminator updates, each on a fresh real batch and fresh
 * latents from the prior, then one joint encoder/generator update on the last D update's batch and latents, with D
 * frozen. Each update zeroes its networks' gradients, runs its micro-batches' forward and backward passes
 * ({@link MicroBatches}), averages the gradients over the data-parallel replicas, fetches its losses, gradient norms
 * and NaN guard in one transfer ({@link HostScalars}), checks them and steps the optimisers. The subclasses supply the
 * forward passes and losses of one micro-batch (hooks), and their diagnostics.
 *
 * <p>Owns the model, the three Adam optimisers and the latent generator; all are created here, outside any
 * {@link StepScope}. Callers run each {@link #step} inside a scope. The inference half ({@link #prepare},
 * {@link #generate}, {@link #encode}, {@link #features}) asks the configuration's {@link ModelKind}, as the
 * inference API does.
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
    final FusedAdam optD, optG, optE;
    final Generator latentRng;
    DataParallel dp = DataParallel.single();
    private ReplicaGradients sync = ReplicaGradients.none();
    private Precision inferencePrecision = Precision.FP32;
    private long step;

    /**
     * Takes {@code model} freshly built on the CPU (after seeding the global generator with {@code seed}), puts it in
     * training mode on {@code device} in the model's element type and memory layout, then creates the optimisers and
     * the latent generator.
     */
    AdversarialTrainer(RunConfig config, long seed, PhaseTimes times, Device device, M model) {
        this.config = config;
        this.kind = config.model().modelKind();
        this.model = model;
        this.device = device;
        this.times = times;
        this.precision = config.train().precision();
        model.train(true);
        model.to(device, false);
        Trainers.toModelType(model, precision);                                // fp64: before the optimiser states
        if (ComputeDevice.channelsLast()) ComputeDevice.toChannelsLast(model); // before the optimiser states
        var opt = AdversarialOptimizers.adam(model.discriminator(), model.generator(), model.encoder(),
                config.train().optim());
        optD = opt.d();
        optG = opt.g();
        optE = opt.e();
        latentRng = ComputeDevice.generator(device, seed ^ 0x5DEECE66DL);
    }

    // ------------------------------------------------------------------------------------------------------ hooks

    /**
     * Whether the last D update's tensors stay in the step's scope for the E/G update to reuse (its forward passes'
     * results and graphs); otherwise every D update runs in a scope of its own.
     */
    abstract boolean keepsLastDUpdate();

    /**
     * The forward passes of micro-batch {@code m} of a D update on real inputs {@code x} and latents {@code z}
     * ({@code rows} each) and D's loss, a scalar in float32 (float64 under fp64). Keeps what
     * {@link #addDiscriminatorMetrics} and, for the last update, the E/G update need.
     */
    abstract Tensor discriminatorLoss(Tensor x, Tensor z, long rows, int m, boolean lastD);

    /** After a D update's backward passes: its accuracy ({@code acc}) and, for the last update, its diagnostics. */
    abstract void addDiscriminatorMetrics(HostScalars host, boolean lastD);

    /** The last D update's diagnostics from its fetched values {@code v} into {@code extra}, after grad_norm_d. */
    abstract void putDiscriminatorExtras(Map<String, Double> v, double lossD, double accD, Map<String, Double> extra);

    /**
     * The forward passes of micro-batch {@code m} of the E/G update (D frozen) on the last D update's {@code x} and
     * {@code z}, and E and G's loss; adds diagnostics to {@code host} ({@code last}: the last micro-batch).
     */
    abstract Tensor encoderGeneratorLoss(Tensor x, Tensor z, long rows, int m, boolean last, HostScalars host);

    /** The fetched E/G values reported in {@link StepMetrics#extra()}, in their metrics.jsonl order. */
    abstract List<String> encoderGeneratorExtras();

    /** Terms added to micro-batch {@code m}'s scaled E/G loss before its backward pass (none by default). */
    Tensor regularized(Tensor scaledLoss, int m) {
        return scaledLoss;
    }

    /** After the optimiser steps and the step count (e.g. EMA updates). */
    void afterStep() {}

    /** Whether the E/G update trains E (the configuration's objective). */
    boolean trainsEncoder() {
        return config.train().objective().trainsEncoder();
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

    // --------------------------------------------------------------------------------------------------- the step

    /**
     * One training step. {@code batches} supplies real inputs (see {@link #prepare}) on the trainer's device: one
     * per D update; the last is reused for the E/G update. Run inside a StepScope.
     */
    @Override
    public final StepMetrics step(Supplier<Tensor> batches) {
        var E = model.encoder();
        var G = model.generator();
        var D = model.discriminator();
        boolean useE = trainsEncoder();
        int dSteps = config.train().dStepsPerGStep(), accumulation = config.train().accumulation();
        boolean keep = keepsLastDUpdate();
        Tensor x = null, z = null;
        MicroBatches micro = null;
        double lossD = 0, accD = 0;
        Map<String, Double> extra = new LinkedHashMap<>();
        for (int k = 0; k < dSteps; k++) {
            boolean lastD = k == dSteps - 1;
            // The last D update's tensors live in the step's scope when the E/G update reuses them; the other
            // updates free theirs at their end.
            try (StepScope update = keep && lastD ? null : StepScope.open()) {
                HostScalars host = new HostScalars();                          // this update's values, one transfer
                x = ComputeDevice.layout(Trainers.inModelType(batches.get(), precision));   // [B, ...]
                micro = MicroBatches.of(x.size(0), accumulation);
                z = dp.rows(sampleLatent(dp.globalRows(x.size(0))));           // [B, z]: this rank's rows
                if (lastD && update != null) {                                  // the E/G update reuses them
                    x = update.export(x);
                    z = update.export(z);
                }
                optD.zero_grad();
                sync.d().prepare(micro.count());                                // averaged during backward
                for (int m = 0; m < micro.count(); m++) {
                    Tensor loss = discriminatorLoss(micro.slice(x, m), micro.slice(z, m), micro.size(), m, lastD);
                    host.add("loss_" + m, loss);                                // checked before the optimiser step
                    try (var t = times.start("D step: D backward")) {
                        micro.scale(loss).backward();
                    }
                }
                sync.d().finish();                                              // averaged over replicas
                host.addGradientCheck("grad_norm_d", "nonfinite_d", D);
                addDiscriminatorMetrics(host, lastD);
                Map<String, Double> v = host.fetch();                           // the update's one synchronisation
                lossD = micro.mean(v, "loss_", "D loss", step + 1);
                Finite.requireFiniteGradients("D", v.get("nonfinite_d"), step + 1, D);
                Finite.requireFiniteNorm("D", v.get("grad_norm_d"), step + 1, D);
                try (var t = times.start("D step: Adam")) {
                    optD.step();
                }
                accD = v.get("acc");
                if (lastD) {
                    extra.put("grad_norm_d", v.get("grad_norm_d"));
                    putDiscriminatorExtras(v, lossD, accD, extra);
                }
            }
        }
        Modules.requiresGrad(D, false);                                         // E/G step: no weight grads for D
        double lossEG;
        HostScalars host = new HostScalars();
        try {
            optE.zero_grad();
            optG.zero_grad();
            sync.g().prepare(micro.count());                                    // averaged during backward
            if (useE) sync.e().prepare(micro.count());
            for (int m = 0; m < micro.count(); m++) {
                Tensor loss = encoderGeneratorLoss(micro.slice(x, m), micro.slice(z, m), micro.size(), m,
                        m == micro.count() - 1, host);
                host.add("loss_" + m, loss);                                    // checked before the optimiser step
                loss = regularized(micro.scale(loss), m);
                try (var t = times.start("E/G step: backward (D, G, E)")) {
                    loss.backward();
                }
            }
            sync.g().finish();
            if (useE) sync.e().finish();
            if (useE) host.addGradientCheck("grad_norm_e", "nonfinite_e", E);
            host.addGradientCheck("grad_norm_g", "nonfinite_g", G);
            Map<String, Double> v = host.fetch();                               // the update's one synchronisation
            lossEG = micro.mean(v, "loss_", "E/G loss", step + 1);
            Finite.requireFiniteGradients("E", v.get("nonfinite_e"), step + 1, E);
            Finite.requireFiniteGradients("G", v.get("nonfinite_g"), step + 1, G);
            Finite.requireFiniteNorm("E", v.get("grad_norm_e"), step + 1, E);
            Finite.requireFiniteNorm("G", v.get("grad_norm_g"), step + 1, G);
            for (String key : encoderGeneratorExtras())
                if (v.containsKey(key)) extra.put(key, v.get(key));
            try (var t = times.start("E/G step: Adam")) {
                if (useE) optE.step();
                optG.step();
            }
        } finally {
            Modules.requiresGrad(D, true);
        }
        step++;
        afterStep();
        return new StepMetrics(step, lossD, lossEG, accD, extra);
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
        return new AdversarialOptimizers(optD, optG, optE).byName();
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
        sync = ReplicaGradients.join(dp, model.discriminator(), model.generator(), model.encoder(), state().values());
    }

    // ------------------------------------------------------------------------------------------------- inference

    /**
     * Dataset images [B, C, H, W] in [0, 1] -> network inputs on the trainer's device, in the model's element type
     * and layout: flattened for the MLP, padded or resized to [B, C, R, R] in [-1, 1] for BigBiGAN.
     */
    @Override
    public Tensor prepare(Tensor images) {
        kind.checkImages(images, config.preset());
        return ComputeDevice.layout(Trainers.inModelType(
                kind.toInputs(ComputeDevice.move(images, device, true), kind.imageSize()), precision));   // -> device
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
        Tensor latents = Trainers.inModelType(z, precision);                  // an fp64 model takes float64 latents
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
        return Trainers.inModelType(ComputeDevice.move(kind.prior(n, generator, truncation), device, false),
                precision);
    }
}
