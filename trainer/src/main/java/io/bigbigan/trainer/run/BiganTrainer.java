package io.bigbigan.trainer.run;

import io.bigbigan.bindings.Modules;
import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.mlp.BiganMlp;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.model.BiganMlpKind;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.Precision;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.objective.BiganObjective;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One BiGAN optimisation step at a time: {@code dStepsPerGStep} discriminator updates, then one joint
 * encoder/generator update (Donahue et al. 2017, Section 3.4 and Appendix C).
 *
 * <p>Owns the model, the three Adam optimisers and the latent generator; all are created here, outside any
 * {@link io.bigbigan.bindings.StepScope}. Callers run each {@link #step} inside a scope.
 */
public final class BiganTrainer implements StepTrainer {
    private final RunConfig config;
    private final BiganMlpKind kind;
    private final BiganMlp model;
    private final FusedAdam optD, optG, optE;
    private final Generator latentRng;
    private final Scalar two = new Scalar(2.0), one = new Scalar(1.0);
    private final Device device;
    private final Precision precision;
    private Precision inferencePrecision = Precision.FP32;
    private final PhaseTimes times;
    private long step;
    private io.bigbigan.trainer.dist.DataParallel dp = io.bigbigan.trainer.dist.DataParallel.single();
    private ReplicaGradients sync = ReplicaGradients.none();

    /** Builds a freshly initialised model; weights and latents are deterministic from {@code seed}. */
    public BiganTrainer(RunConfig config, long seed) {
        this(config, seed, ComputeDevice.cpu());
    }

    /** On {@code device} (weights initialised on the CPU from {@code seed}, then moved). */
    public BiganTrainer(RunConfig config, long seed, Device device) {
        this(config, seed, PhaseTimes.off(), device);
    }

    /** With {@code times} accumulating the wall-clock time of each phase of the step. */
    public BiganTrainer(RunConfig config, long seed, PhaseTimes times, Device device) {
        Torch.load();
        this.device = device;
        this.times = times;
        if (!(config.model() instanceof BiganMlpConfig m))
            throw new IllegalArgumentException("preset " + config.preset() + " is not a BiGAN MLP model");
        if (config.train().accumulation() != 1)
            throw new IllegalArgumentException("preset " + config.preset() + ": gradient accumulation is implemented for BigBiGAN models only");
        if (config.train().ema().enabled())
            throw new IllegalArgumentException("preset " + config.preset() + ": EMA is implemented for BigBiGAN models only");
        var objective = config.train().objective();
        if (objective != io.bigbigan.trainer.config.Objective.FULL
                && objective != io.bigbigan.trainer.config.Objective.JOINT_ONLY)
            throw new IllegalArgumentException("preset " + config.preset() + ": the BiGAN MLP has only the joint score;"
                    + " objective " + objective.id() + " needs BigBiGAN's unary scores (use full or joint_only)");
        this.config = config;
        this.kind = m.modelKind();
        this.precision = config.train().precision();
        Torch.seed(seed);
        model = new BiganMlp(m);
        model.train(true);
        model.to(device, false);
        Trainers.toModelType(model, config.train().precision());            // fp64: before the optimiser states
        var opt = AdversarialOptimizers.adam(model.discriminator(), model.generator(), model.encoder(),
                config.train().optim());
        optD = opt.d();
        optG = opt.g();
        optE = opt.e();
        latentRng = ComputeDevice.generator(device, seed ^ 0x5DEECE66DL);
    }


    @Override
    public void useReplicas(io.bigbigan.trainer.dist.DataParallel dp) {
        this.dp = dp;
        sync = ReplicaGradients.join(dp, model.discriminator(), model.generator(), model.encoder(), state().values());
    }

    @Override
    public RunConfig config() { return config; }

    @Override
    public Device device() { return device; }

    @Override
    public BiganMlp model() { return model; }

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
        return Map.of("latent_rng", latentRng);
    }

    /** Flattens images [B, 1, H, W] in [0, 1] to [B, H*W]. */
    @Override
    public Tensor prepare(Tensor images) {
        kind.checkImages(images, config.preset());
        return Trainers.inModelType(kind.toInputs(ComputeDevice.move(images, device, true), kind.imageSize()),
                config.train().precision());                                 // [B, 784]
    }

    @Override
    public Tensor toImages(Tensor inputs) {
        return kind.toImages(inputs);                                       // [B, 1, 28, 28]
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
        return Inference.inEvalMode(model, inferencePrecision, device,
                () -> toImages(Inference.fp32(kind.generate(model.generator(), z))));
    }

    @Override
    public Tensor encode(Tensor inputs) {
        return Inference.inEvalMode(model, inferencePrecision, device,
                () -> Inference.fp32(kind.encode(model.encoder(), inputs, null).latent()));
    }

    @Override
    public LinkedHashMap<String, Tensor> features(Tensor inputs) {
        return Inference.inEvalMode(model, inferencePrecision, device, () -> {
            var out = kind.encode(model.encoder(), inputs, null);
            String[] names = kind.featureNames();
            LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
            m.put(names[0], Inference.fp32(out.latent()));
            m.put(names[1], Inference.fp32(out.pooled()));
            return m;
        });
    }


    /** Latents from the prior: uniform on [-1, 1], [n, latentDim]. */
    @Override
    public Tensor sampleLatent(long n) {
        return sampleLatent(n, latentRng);
    }

    @Override
    public Tensor sampleLatent(long n, Generator generator) {
        return sampleLatent(n, generator, 0);
    }

    /** Drawn on the generator's device, then moved to the trainer's. */
    @Override
    public Tensor sampleLatent(long n, Generator generator, double truncation) {
        return Trainers.inModelType(ComputeDevice.move(kind.prior(n, generator, truncation), device, false),
                config.train().precision());
    }

    /**
     * One training step. {@code batches} supplies flattened images [B, imageDim] in [0, 1]: one per discriminator
     * update; the last is reused for the encoder/generator update. Run inside a StepScope.
     *
     * <p>The E/G update scores the last D update's pairs again with the updated D: E(x) and G(z) there are the same
     * tensors as in that D update (same x, z and E, G weights; only D has changed), so they are computed once, with
     * their graphs, and reused; the batch norms' running statistics are then advanced a second time
     * ({@link BatchNorms.Updates}), so weights, losses and statistics are bit for bit those of recomputing them.
     */
    @Override
    public StepMetrics step(Supplier<Tensor> batches) {
        var kind = config.train().loss();
        var G = model.generator();
        var E = model.encoder();
        var D = model.discriminator();
        Tensor x = null, z = null, ex = null, gz = null;
        BatchNorms.Updates statistics = null;
        double lossD = 0, accD = 0;
        Map<String, Double> extra = new LinkedHashMap<>();
        int dSteps = config.train().dStepsPerGStep();
        for (int k = 0; k < dSteps; k++) {
            x = Trainers.inModelType(batches.get(), config.train().precision());   // [B, 784]
            long b = x.size(0);
            z = dp.rows(sampleLatent(dp.globalRows(b)));             // [B, z]: this rank's rows of the global draw
            Tensor s;
            try (Autocast a = Autocast.forward(precision, device)) {
                if (k == dSteps - 1) {                               // kept, with graphs, for the E/G update
                    try (var t = times.start("D step: E, G forward (kept for E/G)");
                         BatchNorms.Updates u = BatchNorms.Updates.record()) {
                        ex = E.forward(x);                           // [B, z]
                        gz = G.forward(z);                           // [B, 784]
                        statistics = u;
                    }
                } else {
                    try (var t = times.start("D step: E, G forward (no grad)"); NoGradGuard g = new NoGradGuard()) {
                        ex = E.forward(x);
                        gz = G.forward(z);
                    }
                }
                // D has no batch-wise layers: score both kinds of pair in one pass.
                try (var t = times.start("D step: D forward")) {
                    s = scores(x, gz.detach(), ex.detach(), z);      // [2B], fp32
                }
            }
            Tensor sReal = s.narrow(0, 0, b), sFake = s.narrow(0, b, b);
            Tensor loss = BiganObjective.discriminatorLoss(sReal, sFake, kind);
            optD.zero_grad();
            sync.d().prepare(1);
            try (var t = times.start("D step: D backward")) {
                loss.backward();
            }
            sync.d().finish();                                          // averaged over replicas
            HostScalars host = new HostScalars();                   // this update's values, one transfer
            host.add("loss", loss);
            host.addGradientCheck("grad_norm_d", "nonfinite", D);
            host.add("acc", v -> BiganObjective.accuracy(v[0], v[1]), BiganObjective.accuracyParts(sReal, sFake));
            Map<String, Double> v = host.fetch();                   // the update's one synchronisation
            lossD = Finite.require("D loss", v.get("loss"), step + 1);
            Finite.requireFiniteGradients("D", v.get("nonfinite"), step + 1, D);
            Finite.requireFiniteNorm("D", v.get("grad_norm_d"), step + 1);
            extra.put("grad_norm_d", v.get("grad_norm_d"));
            try (var t = times.start("D step: Adam")) {
                optD.step();
            }
            accD = v.get("acc");
            extra.put("loss_d_sxz", lossD);                          // the MLP's only (joint) head
            extra.put("acc_d_sxz", accD);
        }
        long b = x.size(0);
        statistics.replay();                                         // E and G "ran again" on the same batch
        Modules.requiresGrad(D, false);                              // E/G step: no weight gradients for D
        double lossEG;
        try {
            Tensor s;
            try (Autocast a = Autocast.forward(precision, device); var t = times.start("E/G step: D forward")) {
                s = scores(x, gz, ex, z);
            }
            Tensor loss = BiganObjective.encoderGeneratorLoss(s.narrow(0, 0, b), s.narrow(0, b, b), kind);
            optE.zero_grad();
            optG.zero_grad();
            sync.g().prepare(1);
            sync.e().prepare(1);
            try (var t = times.start("E/G step: backward (D, G, E)")) {
                loss.backward();
            }
            sync.g().finish();
            sync.e().finish();
            HostScalars host = new HostScalars();
            host.add("loss", loss);
            host.addGradientCheck("grad_norm_e", "nonfinite_e", E);
            host.addGradientCheck("grad_norm_g", "nonfinite_g", G);
            Map<String, Double> v = host.fetch();                   // the update's one synchronisation
            lossEG = Finite.require("E/G loss", v.get("loss"), step + 1);
            Finite.requireFiniteGradients("E", v.get("nonfinite_e"), step + 1, E);
            Finite.requireFiniteGradients("G", v.get("nonfinite_g"), step + 1, G);
            Finite.requireFiniteNorm("E", v.get("grad_norm_e"), step + 1);
            Finite.requireFiniteNorm("G", v.get("grad_norm_g"), step + 1);
            extra.put("grad_norm_g", v.get("grad_norm_g"));
            extra.put("grad_norm_e", v.get("grad_norm_e"));
            try (var t = times.start("E/G step: Adam")) {
                optE.step();
                optG.step();
            }
        } finally {
            Modules.requiresGrad(D, true);
        }
        step++;
        return new StepMetrics(step, lossD, lossEG, accD, extra);
    }

    /**
     * D's logits of the pairs (x, ex) then (gz, z), [2B] in fp32; one pass over both kinds (D has no batch-wise
     * layers). Under bf16 autocast the inputs are concatenated in the products' precision (the same values the first
     * linear layers would read after casting a float32 concatenation).
     */
    private Tensor scores(Tensor x, Tensor gz, Tensor ex, Tensor z) {
        var D = model.discriminator();
        var low = gz.scalar_type();
        Tensor xs = torch.cat(new TensorVector(x.to(low), gz), 0);            // [2B, 784]
        Tensor zs = torch.cat(new TensorVector(ex, z.to(ex.scalar_type())), 0); // [2B, z]
        return D.forward(xs, zs).to(torch.ScalarType.Float);                 // [2B], losses in fp32
    }
}
