package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Autocast;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.bigbigan.BigBigan;
import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.bigbigan.BigGanGenerator;
import io.bigbigan.model.bigbigan.StochasticEncoder;
import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.SpectralNorm;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.bindings.Precision;
import io.bigbigan.model.bigbigan.JointDiscriminator.Scores;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.Objective;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.objective.ScoreLoss;
import io.bigbigan.trainer.objective.BigBiganObjective;
import io.bigbigan.trainer.objective.OrthogonalRegularization;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.List;
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
 * without the nesting every intermediate value of the step would live until the step's scope closes, a peak
 * several times higher. The arithmetic is the same either way.
 */
public final class BigBiganTrainer extends StepTrainer.AdversarialTrainer<BigBigan> {
    private final Generator posteriorRng;
    private final BigGanGenerator emaG;        // null without EMA
    private final StochasticEncoder emaE;
    private final Ema emaGUpdate, emaEUpdate;
    private final OrthogonalRegularization orthoReg;   // null when off
    private final Objective objective;

    /** A freshly initialised trainer on the CPU, contiguous; weights and latents are deterministic from {@code seed}. */
    public BigBiganTrainer(RunConfig config, long seed) {
        this(config, Trainers.Setup.seed(seed));
    }

    /**
     * Built as {@code setup} says: the model, its EMA copies, the optimiser states and the random streams live on its
     * device (weights are initialised on the CPU from its seed, then moved, so every device starts from the same
     * weights).
     */
    public BigBiganTrainer(RunConfig config, Trainers.Setup setup) {
        Torch.load();
        if (!(config.model() instanceof BigBiganConfig c))
            throw new IllegalArgumentException("preset " + config.preset() + " is not a BigBiGAN model");
        Torch.seed(setup.seed());
        super(config, setup, new BigBigan(c));
        this.objective = config.train().objective();
        posteriorRng = ComputeDevice.generator(device, setup.seed() ^ 0x2545F4914F6CDD1DL);
        EmaConfig ema = config.train().ema();
        if (ema.enabled()) {
            emaG = new BigGanGenerator(c.generator(), false);
            emaE = new StochasticEncoder(c.encoder());
            emaG.to(device, false);
            emaE.to(device, false);
            inModelLayout(emaG);
            inModelLayout(emaE);
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
    @Override
    BigGanGenerator samplingGenerator() {
        return emaG != null ? emaG : model.generator();
    }

    /** The encoder used for evaluation: the EMA copy when there is one. */
    @Override
    StochasticEncoder evaluationEncoder() {
        return emaE != null ? emaE : model.encoder();
    }

    @Override
    Map<String, Generator> extraGenerators() {
        return Map.of("posterior_rng", posteriorRng);
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
     * One step. {@code dStepsPerGStep} D updates, each on a fresh real batch and fresh z ~ N(0, I); then the E/G
     * update (D frozen) on the last D update's batch and z; then the EMA copies follow G and E.
     *
     * <p>E(x) of the last D update is reused by the E/G update, which encodes the same images again with the same E
     * weights (only D changed in between): computed there once, with its graph, and only the posterior noise is
     * drawn again (in the same order from the same stream), with the batch norms' running statistics advanced a
     * second time: the same numbers as running E again. Not with accumulation, which keeps one micro-batch's graph
     * at a time on purpose; not without E.
     */
    @Override
    public StepMetrics step(Supplier<Tensor> batches) {
        var G = model.generator();
        var E = model.encoder();
        var D = model.discriminator();
        boolean useE = objective.trainsEncoder();
        int dSteps = config.train().dStepsPerGStep(), accumulation = config.train().accumulation();
        boolean reuseE = useE && accumulation == 1;
        long step = steps + 1;
        var kept = new Object() {                                   // the last D update's E(x), for the E/G update
            StochasticEncoder.Output e;                             // with its graph
            BatchNorms.Updates statistics;                          // its batch-norm updates, replayed for E/G
        };
        Tensor x = null, z = null;
        double lossD = 0, accD = 0;
        Map<String, Double> extra = new LinkedHashMap<>();

        // ---- D updates
        for (int k = 0; k < dSteps; k++) {
            boolean lastD = k == dSteps - 1;
            // The last D update's tensors live in the step's scope when the E/G update reuses them; the other
            // updates free theirs at their end.
            try (StepScope update = reuseE && lastD ? null : StepScope.open()) {
                var in = updateInputs(batches);
                x = in.x();                                                         // [B, C, R, R]
                z = in.z();                                                         // [B, z]: this rank's rows
                if (lastD && update != null) {                                      // the E/G update reuses them
                    x = update.export(x);
                    z = update.export(z);
                }
                var d = updateD.run(step, x, z, accumulation, null, (xm, zm, m, host) -> {
                    long b = xm.size(0);
                    Tensor ez = null, gz, loss;
                    Scores[] s;
                    try (Autocast a = autocast()) {                                 // forward passes only
                        if (reuseE && lastD) {
                            try (var t = times.start("D step: E forward (kept for E/G)");
                                 BatchNorms.Updates u = BatchNorms.Updates.record()) {
                                kept.e = E.forward(xm, posteriorRng, dp.rowOffset(b), dp.globalRows(b));
                                kept.statistics = u;
                            }
                            ez = kept.e.z().detach();                               // [b, z]
                        }
                        try (NoGradGuard g = new NoGradGuard()) {
                            if (useE && ez == null) {
                                try (var t = times.start("D step: E forward (no grad)");
                                     StepScope f = StepScope.open()) {
                                    ez = f.export(E.forward(xm, posteriorRng, dp.rowOffset(b), dp.globalRows(b)).z());
                                }
                            }
                            try (var t = times.start("D step: G forward (no grad)"); StepScope f = StepScope.open()) {
                                gz = f.export(G.forward(zm));                       // [b, C, R, R]
                            }
                        }
                        // D has no batch-wise layers (spectral norm only): score both kinds of pair in one pass.
                        try (var t = times.start("D step: D forward"); StepScope f = StepScope.open()) {
                            s = exportScores(f, score(xm, gz, ez, zm, b, true));
                            loss = f.export(BigBiganObjective.discriminatorLoss(s[0], s[1], objective));
                        }
                    }
                    if (m == accumulation - 1) {                                    // the last micro-batch's
                        host.add("acc", v -> ScoreLoss.accuracy(v[0], v[1]), useE
                                ? ScoreLoss.accuracyParts(s[0].sxz(), s[1].sxz())
                                : ScoreLoss.accuracyParts(s[0].sx(), s[1].sx()));
                        if (lastD) addDiagnostics(host, s);
                    }
                    return loss;
                });
                lossD = d.loss();
                accD = d.get("acc");
                if (lastD) {
                    extra.put("grad_norm_d", d.get("grad_norm_d"));
                    d.values().forEach((key, value) -> {                            // per-head losses, accuracies
                        if (key.startsWith("loss_d_") || key.startsWith("acc_d_")) extra.put(key, value);
                    });
                }
            }
        }

        // ---- E/G update, D frozen, on the last D update's x and z
        Modules.requiresGrad(D, false);                                             // no weight grads for D
        OptimiserUpdate.Fetched eg;
        try {
            eg = updateEG.run(step, x, z, accumulation, orthoReg == null ? null : orthoReg::penalty,
                    (xm, zm, m, host) -> {
                long b = xm.size(0);
                Tensor ez = null, gz, loss;
                try (Autocast a = autocast()) {                                     // forward passes only
                    if (useE) {
                        Tensor sigma = null;
                        try (var t = times.start("E/G step: E forward"); StepScope f = StepScope.open()) {
                            StochasticEncoder.Output out;
                            if (kept.e != null) {                                   // E(x) of the last D update
                                kept.statistics.replay();
                                out = E.resample(kept.e, posteriorRng, dp.rowOffset(b), dp.globalRows(b));
                            } else {
                                out = E.forward(xm, posteriorRng, dp.rowOffset(b), dp.globalRows(b));
                            }
                            ez = f.export(out.z());
                            if (out.sigma() != null && m == accumulation - 1) sigma = f.export(out.sigma().detach());
                        }
                        if (sigma != null) {
                            sigma = sigma.to(torch.ScalarType.Float);                   // [b, zDim]
                            host.add("e_sigma_mean", sigma.mean());
                            host.add("e_sigma_min", sigma.min());
                        }
                    }
                    try (var t = times.start("E/G step: G forward"); StepScope f = StepScope.open()) {
                        gz = f.export(G.forward(zm));
                    }
                    try (var t = times.start("E/G step: D forward"); StepScope f = StepScope.open()) {
                        Scores[] s = score(xm, gz, ez, zm, b, false);
                        loss = f.export(BigBiganObjective.encoderGeneratorLoss(s[0], s[1], objective));
                    }
                }
                return loss;
            });
        } finally {
            Modules.requiresGrad(D, true);
        }
        for (String key : List.of("e_sigma_mean", "e_sigma_min", "grad_norm_e", "grad_norm_g"))
            if (eg.values().containsKey(key)) extra.put(key, eg.get(key));

        // ---- EMA
        long done = ++steps;
        if (emaGUpdate != null) {
            try (var t = times.start("EMA update")) {
                emaGUpdate.update(done);
                emaEUpdate.update(done);
            }
        }
        return new StepMetrics(done, lossD, eg.loss(), accD, extra);
    }

    /** The scores with handles in the scope enclosing {@code f} (null scores stay null). */
    private static Scores[] exportScores(StepScope f, Scores[] s) {
        Scores[] out = new Scores[s.length];
        for (int i = 0; i < s.length; i++) out[i] = new Scores(f.export(s[i].sx()), f.export(s[i].sz()), f.export(s[i].sxz()));
        return out;
    }

    /** D's per-head losses and accuracies (the last D update's diagnostics) into {@code host}. */
    private void addDiagnostics(OptimiserUpdate.HostScalars host, Scores[] s) {
        BigBiganObjective.headMetricTensors(s[0], s[1]).forEach((key, t) -> {
            if (t.length == 1) host.add(key, t[0]);
            else host.add(key, v -> ScoreLoss.accuracy(v[0], v[1]), t);
        });
    }
}
