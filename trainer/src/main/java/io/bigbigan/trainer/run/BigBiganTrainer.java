package io.bigbigan.trainer.run;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.bigbigan.BigBigan;
import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.BigBiganKind;
import io.bigbigan.model.bigbigan.BigGanGenerator;
import io.bigbigan.model.bigbigan.StochasticEncoder;
import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.SpectralNorm;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.trainer.config.Precision;
import io.bigbigan.model.bigbigan.JointDiscriminator.Scores;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.Objective;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.objective.BiganObjective;
import io.bigbigan.trainer.objective.BigBiganObjective;
import io.bigbigan.trainer.objective.OrthogonalRegularization;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The BigBiGAN training step (Donahue &amp; Simonyan 2019, Section 3): {@code dStepsPerGStep} discriminator updates
 * (each on a fresh real batch and fresh z ~ N(0, I)), then one joint E/G update on the last batch; hinge losses on
 * s_x, s_z and s_xz; separate Adam optimisers for D, G and E; after each step the EMA copies of G and E are updated
 * (when configured) and used for all sampling and evaluation. Real batches are images [B, C, R, R] in [-1, 1].
 * The configuration's {@link Objective} selects the score terms (the ablations of Section 3.1).
 *
 * <p>Memory: each D update, and each forward pass within an update, runs in its own nested {@link StepScope} that
 * hands only its results to the enclosing one. The tensor wrappers of a pass's intermediate values are released when
 * it ends, so what backward does not need is freed at once and what it needs is freed as backward consumes it;
 * without the nesting every intermediate value of the step lived until the step's scope closed (bigbigan-32 at
 * batch 64 peaked at 3.9 GB instead of 1.4 GB). The arithmetic is unchanged.
 */
public final class BigBiganTrainer implements StepTrainer {
    private final RunConfig config;
    private final BigBigan model;
    private final BigBiganKind kind;
    private final FusedAdam optD, optG, optE;
    private final Generator latentRng, posteriorRng;
    private final PhaseTimes times;
    private final BigGanGenerator emaG;        // null without EMA
    private final StochasticEncoder emaE;
    private final Ema emaGUpdate, emaEUpdate;
    private final OrthogonalRegularization orthoReg;   // null when off
    private final Precision precision;
    private Precision inferencePrecision = Precision.FP32;
    private final Objective objective;
    private final Device device;
    private long step;
    private io.bigbigan.trainer.dist.DataParallel dp = io.bigbigan.trainer.dist.DataParallel.single();
    private ReplicaGradients sync = ReplicaGradients.none();

    public BigBiganTrainer(RunConfig config, long seed) {
        this(config, seed, PhaseTimes.off());
    }

    /** With {@code times} accumulating the wall-clock time of each phase of the step. */
    public BigBiganTrainer(RunConfig config, long seed, PhaseTimes times) {
        this(config, seed, times, ComputeDevice.cpu());
    }

    /**
     * On {@code device}: the model, its EMA copies, the optimiser states and the random streams live there (weights
     * are initialised on the CPU from {@code seed}, then moved, so every device starts from the same weights).
     */
    public BigBiganTrainer(RunConfig config, long seed, PhaseTimes times, Device device) {
        this.times = times;
        this.device = device;
        Torch.load();
        if (!(config.model() instanceof BigBiganConfig c))
            throw new IllegalArgumentException("preset " + config.preset() + " is not a BigBiGAN model");
        this.config = config;
        this.objective = config.train().objective();
        this.kind = c.modelKind();
        Torch.seed(seed);
        precision = config.train().precision();
        model = new BigBigan(c);
        model.train(true);
        model.to(device, false);
        Trainers.toModelType(model, precision);                                // fp64: before the optimiser states
        boolean nhwc = ComputeDevice.channelsLast();
        if (nhwc) ComputeDevice.toChannelsLast(model);                         // before the optimiser states
        var opt = AdversarialOptimizers.adam(model.discriminator(), model.generator(), model.encoder(),
                config.train().optim());
        optD = opt.d();
        optG = opt.g();
        optE = opt.e();
        latentRng = ComputeDevice.generator(device, seed ^ 0x5DEECE66DL);
        posteriorRng = ComputeDevice.generator(device, seed ^ 0x2545F4914F6CDD1DL);
        EmaConfig ema = config.train().ema();
        if (ema.enabled()) {
            emaG = new BigGanGenerator(c.generator(), false);
            emaE = new StochasticEncoder(c.encoder());
            emaG.to(device, false);
            emaE.to(device, false);
            Trainers.toModelType(emaG, precision);
            Trainers.toModelType(emaE, precision);
            if (nhwc) {
                ComputeDevice.toChannelsLast(emaG);
                ComputeDevice.toChannelsLast(emaE);
            }
            emaGUpdate = new Ema(model.generator(), emaG, ema.decay(), ema.startStep());
            emaEUpdate = new Ema(model.encoder(), emaE, ema.decay(), ema.startStep());
            emaG.eval();
            emaE.eval();
        } else {
            emaG = null;
            emaE = null;
            emaGUpdate = emaEUpdate = null;
        }
        double beta = config.train().orthoReg();
        orthoReg = beta > 0 ? OrthogonalRegularization.forModule(model.generator(), beta) : null;
    }

    /** The generator used for sampling: the EMA copy when there is one. */
    private BigGanGenerator samplingGenerator() {
        return emaG != null ? emaG : model.generator();
    }

    /** The encoder used for evaluation: the EMA copy when there is one. */
    private StochasticEncoder evaluationEncoder() {
        return emaE != null ? emaE : model.encoder();
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = Modules.state(model);
        if (emaG != null) {
            Modules.state(emaG).forEach((k, v) -> m.put("G_ema." + k, v));
            Modules.state(emaE).forEach((k, v) -> m.put("E_ema." + k, v));
        }
        return m;
    }

    @Override
    public void loadState(Map<String, Tensor> state) {
        Map<String, Tensor> live = new LinkedHashMap<>(), g = new LinkedHashMap<>(), e = new LinkedHashMap<>();
        state.forEach((k, v) -> {
            if (k.startsWith("G_ema.")) g.put(k.substring(6), v);
            else if (k.startsWith("E_ema.")) e.put(k.substring(6), v);
            else live.put(k, v);
        });
        Modules.copyState(live, model);
        if (emaG != null) {
            if (g.isEmpty() || e.isEmpty()) throw new IllegalArgumentException("missing: the EMA copies G_ema.*, E_ema.*");
            Modules.copyState(g, emaG);
            Modules.copyState(e, emaE);
        } else if (!g.isEmpty() || !e.isEmpty()) {
            throw new IllegalArgumentException("unexpected: EMA copies in a configuration without EMA");
        }
    }


    @Override
    public void useReplicas(io.bigbigan.trainer.dist.DataParallel dp) {
        this.dp = dp;
        sync = ReplicaGradients.join(dp, model.discriminator(), model.generator(), model.encoder(), state().values());
    }

    @Override
    public BigBigan model() { return model; }

    @Override
    public RunConfig config() { return config; }

    @Override
    public Device device() { return device; }

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
        m.put("posterior_rng", posteriorRng);
        return m;
    }

    /**
     * Images [B, C, H, W] in [0, 1] -> [B, C, R, R] in [-1, 1]: smaller images (28x28 Fashion-MNIST for 32 px
     * models) are padded with the background value 0 on every side, larger ones resized bilinearly.
     */
    @Override
    public Tensor prepare(Tensor images) {
        kind.checkImages(images, config.preset());
        return ComputeDevice.layout(Trainers.inModelType(
                kind.toInputs(ComputeDevice.move(images, device, true), kind.imageSize()), precision));   // -> device
    }

    @Override
    public Tensor toImages(Tensor inputs) {
        return kind.toImages(inputs);                                          // [B, C, R, R] in [0, 1]
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
                () -> toImages(Inference.fp32(kind.generate(samplingGenerator(), z))));
    }

    @Override
    public Tensor encode(Tensor inputs) {
        return Inference.inEvalMode(model, inferencePrecision, device,
                () -> Inference.fp32(kind.encode(evaluationEncoder(), inputs, null).latent()));
    }

    /** The posterior mean and the backbone's pooled features (the paper evaluates both). */
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

    /** Latents from the prior N(0, I), [n, zDim]. */
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

    /** Spectral-norm singular-value estimates of D and G ({@code sn_sigma_{mean,max}_{d,g}}); for logging steps. */
    @Override
    public Map<String, Double> logStatistics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.putAll(TrainingMonitors.spectralNormStatistics("d", model.discriminator()));
        m.putAll(TrainingMonitors.spectralNormStatistics("g", model.generator()));
        return m;
    }

    /**
     * D's scores of (real, fake) pairs, split into halves [B] each. With {@link Objective#NO_ENCODER} only F and
     * s_x are evaluated (no latent inputs): the scores' {@code sz} and {@code sxz} are null. {@code updatesD}: the
     * scores train D (its parameters need gradients), else D is frozen (the E/G update).
     */
    private Scores[] score(Tensor x, Tensor gz, Tensor ez, Tensor z, long b, boolean updatesD) {
        var D = model.discriminator();
        var f = D.imageNet();
        Tensor fx;                                                              // F(x) [2B, Cf]
        if (updatesD) {                                                         // D update: one pass over both
            fx = f.features(torch.cat(new TensorVector(x, gz.to(x.scalar_type())), 0));    // [2B, C, R, R] in
        } else {
            // E/G update: D is frozen and x is data, so F(x) needs no graph, only F(G(z)) does. F runs on the two
            // halves in turn with the same normalised weights (one power iteration per layer, as for one pass over
            // both), so that backward computes input gradients through F for the fake half only.
            try (SpectralNorm.Shared shared = SpectralNorm.Shared.open()) {
                Tensor real;
                try (NoGradGuard g = new NoGradGuard()) {
                    real = f.features(x);                                       // [B, Cf]
                }
                fx = torch.cat(new TensorVector(real, f.features(gz.to(x.scalar_type()))), 0);
            }
        }
        if (!objective.trainsEncoder()) {
            Tensor sx = f.score(fx).to(lossType());                             // [2B], losses in fp32 (fp64)
            return BigBiganObjective.split(new Scores(sx, null, null), b);
        }
        Scores s = D.fromImageFeatures(fx, torch.cat(new TensorVector(ez.to(z.scalar_type()), z), 0)).scores();
        return BigBiganObjective.split(new Scores(s.sx().to(lossType()), s.sz().to(lossType()),
                s.sxz().to(lossType())), b);                                   // losses in fp32 (fp64)
    }

    /** The element type of the losses: float32, or float64 under {@link Precision#FP64}. */
    private torch.ScalarType lossType() {
        return precision == Precision.FP64 ? torch.ScalarType.Double : torch.ScalarType.Float;
    }

    /** A bf16 autocast block for the forward passes, or null (no block) in fp32. */
    private Autocast autocast() {
        return Autocast.forward(precision, device);
    }

    /**
     * One step. The {@link Objective} of the configuration selects the score terms; with
     * {@link Objective#NO_ENCODER} E is neither run nor updated. Besides the losses, reports per-head D losses and
     * accuracies (last D update), gradient norms of D, G and E, and the mean and minimum posterior sigma of the E/G
     * step's batch (Gaussian posterior only) in {@link StepMetrics#extra()}.
     */
    @Override
    public StepMetrics step(Supplier<Tensor> batches) {
        var G = model.generator();
        var E = model.encoder();
        var D = model.discriminator();
        boolean useE = objective.trainsEncoder();
        Tensor x = null, z = null;
        double lossD = 0, accD = 0;
        Map<String, Double> extra = new LinkedHashMap<>();
        int accumulation = config.train().accumulation();
        MicroBatches micro = null;
        // The E/G update encodes the last D update's images again with the same E weights (only D changed in
        // between): E(x) is computed there once, with its graph, and only the posterior noise is drawn again
        // (in the same order from the same stream), with the batch norms' running statistics advanced a second
        // time: the same numbers as running E again. Not with accumulation, which keeps one micro-batch's graph
        // at a time on purpose.
        boolean keepE = useE && accumulation == 1;
        StochasticEncoder.Output eKept = null;
        BatchNorms.Updates eStatistics = null;
        for (int k = 0; k < config.train().dStepsPerGStep(); k++) {
            boolean lastD = k == config.train().dStepsPerGStep() - 1;
            // The last D update's tensors live in the step's scope when E's forward is kept for the E/G update
            // (batch norm's recorded inputs must outlive this update); the other updates free theirs at its end.
            try (StepScope update = keepE && lastD ? null : StepScope.open()) {
                HostScalars host = new HostScalars();                          // this update's values, one transfer
                x = ComputeDevice.layout(Trainers.inModelType(batches.get(), precision));   // [B, C, R, R]
                micro = MicroBatches.of(x.size(0), accumulation);
                long mb = micro.size();
                z = dp.rows(sampleLatent(dp.globalRows(x.size(0))));                   // [B, z]: this rank's rows
                if (lastD && update != null) {                                  // the E/G update reuses them
                    x = update.export(x);
                    z = update.export(z);
                }
                Scores[] s = null;
                optD.zero_grad();
                sync.d().prepare(micro.count());                                  // averaged during backward
                for (int m = 0; m < micro.count(); m++) {                       // gradient accumulation
                    Tensor xm = micro.slice(x, m), zm = micro.slice(z, m);
                    Tensor ez = null, gz, loss;
                    try (Autocast a = autocast()) {                             // forward passes only
                        if (keepE && lastD) {
                            try (var t = times.start("D step: E forward (kept for E/G)");
                                 BatchNorms.Updates u = BatchNorms.Updates.record()) {
                                eKept = E.forward(xm, posteriorRng, dp.rowOffset(mb), dp.globalRows(mb));
                                eStatistics = u;
                            }
                            ez = eKept.z().detach();                            // [b, z]
                        }
                        try (NoGradGuard g = new NoGradGuard()) {
                            if (useE && ez == null) {
                                try (var t = times.start("D step: E forward (no grad)");
                                     StepScope f = StepScope.open()) {
                                    ez = f.export(E.forward(xm, posteriorRng, dp.rowOffset(mb), dp.globalRows(mb)).z()); // [b, z]
                                }
                            }
                            try (var t = times.start("D step: G forward (no grad)"); StepScope f = StepScope.open()) {
                                gz = f.export(G.forward(zm));                   // [b, C, R, R]
                            }
                        }
                        // D has no batch-wise layers (spectral norm only): score both kinds of pair in one pass.
                        try (var t = times.start("D step: D forward"); StepScope f = StepScope.open()) {
                            s = exportScores(f, score(xm, gz, ez, zm, mb, true));
                            loss = f.export(BigBiganObjective.discriminatorLoss(s[0], s[1], objective));
                        }
                    }
                    host.add("loss_" + m, loss);                                // checked before the optimiser step
                    try (var t = times.start("D step: D backward")) {
                        micro.scale(loss).backward();
                    }
                }
                sync.d().finish();                                                  // averaged over replicas
                host.addGradientCheck("grad_norm_d", "nonfinite_d", D);
                host.add("acc", v -> BiganObjective.accuracy(v[0], v[1]), useE
                        ? BiganObjective.accuracyParts(s[0].sxz(), s[1].sxz()) : BiganObjective.accuracyParts(s[0].sx(), s[1].sx()));
                if (lastD) addDiagnostics(host, s);
                Map<String, Double> v = host.fetch();                           // the update's one synchronisation
                lossD = micro.mean(v, "loss_", "D loss", step + 1);
                Finite.requireFiniteGradients("D", v.get("nonfinite_d"), step + 1, D);
                Finite.requireFiniteNorm("D", v.get("grad_norm_d"), step + 1);
                try (var t = times.start("D step: Adam")) {
                    optD.step();
                }
                accD = v.get("acc");
                if (lastD) v.forEach((key, value) -> { if (key.startsWith("grad_norm") || key.startsWith("loss_d_")
                        || key.startsWith("acc_d_")) extra.put(key, value); });
            }
        }
        long mb = micro.size();
        Modules.requiresGrad(D, false);                                         // E/G step: no weight grads for D
        double lossEG;
        HostScalars host = new HostScalars();
        try {
            optE.zero_grad();
            optG.zero_grad();
            sync.g().prepare(micro.count());                                      // averaged during backward
            if (useE) sync.e().prepare(micro.count());
            for (int m = 0; m < micro.count(); m++) {                           // gradient accumulation
                Tensor xm = micro.slice(x, m), zm = micro.slice(z, m);
                Tensor ez = null, gz, loss;
                try (Autocast a = autocast()) {                                 // forward passes only
                    if (useE) {
                        Tensor sigma = null;
                        try (var t = times.start("E/G step: E forward"); StepScope f = StepScope.open()) {
                            StochasticEncoder.Output out;
                            if (eKept != null) {                                // E(x) of the last D update
                                eStatistics.replay();
                                out = E.resample(eKept, posteriorRng, dp.rowOffset(mb), dp.globalRows(mb));
                            } else {
                                out = E.forward(xm, posteriorRng, dp.rowOffset(mb), dp.globalRows(mb));
                            }
                            ez = f.export(out.z());
                            if (out.sigma() != null && m == micro.count() - 1) sigma = f.export(out.sigma().detach());
                        }
                        if (sigma != null) {
                            sigma = sigma.to(torch.ScalarType.Float);                       // [b, zDim]
                            host.add("e_sigma_mean", sigma.mean());
                            host.add("e_sigma_min", sigma.min());
                        }
                    }
                    try (var t = times.start("E/G step: G forward"); StepScope f = StepScope.open()) {
                        gz = f.export(G.forward(zm));
                    }
                    try (var t = times.start("E/G step: D forward"); StepScope f = StepScope.open()) {
                        Scores[] s = score(xm, gz, ez, zm, mb, false);
                        loss = f.export(BigBiganObjective.encoderGeneratorLoss(s[0], s[1], objective));
                    }
                }
                host.add("loss_" + m, loss);                                    // checked before the optimiser step
                loss = micro.scale(loss);
                if (orthoReg != null && m == 0) loss = loss.add(orthoReg.penalty());   // BigGAN eq. 3, on G, once
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
            Finite.requireFiniteNorm("E", v.get("grad_norm_e"), step + 1);
            Finite.requireFiniteNorm("G", v.get("grad_norm_g"), step + 1);
            for (String key : new String[]{"e_sigma_mean", "e_sigma_min", "grad_norm_e", "grad_norm_g"})
                if (v.containsKey(key)) extra.put(key, v.get(key));
            try (var t = times.start("E/G step: Adam")) {
                if (useE) optE.step();
                optG.step();
            }
        } finally {
            Modules.requiresGrad(D, true);
        }
        step++;
        if (emaGUpdate != null) {
            try (var t = times.start("EMA update")) {
                emaGUpdate.update(step);
                emaEUpdate.update(step);
            }
        }
        return new StepMetrics(step, lossD, lossEG, accD, extra);
    }

    /** The scores with handles in the scope enclosing {@code f} (null scores stay null). */
    private static Scores[] exportScores(StepScope f, Scores[] s) {
        Scores[] out = new Scores[s.length];
        for (int i = 0; i < s.length; i++) out[i] = new Scores(f.export(s[i].sx()), f.export(s[i].sz()), f.export(s[i].sxz()));
        return out;
    }

    /** D's per-head losses and accuracies (the last D update's diagnostics) into {@code host}. */
    private void addDiagnostics(HostScalars host, Scores[] s) {
        BigBiganObjective.headMetricTensors(s[0], s[1]).forEach((key, t) -> {
            if (t.length == 1) host.add(key, t[0]);
            else host.add(key, v -> BiganObjective.accuracy(v[0], v[1]), t);
        });
    }
}
