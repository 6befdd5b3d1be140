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
public final class BigBiganTrainer extends AdversarialTrainer<BigBigan> {
    private final Generator posteriorRng;
    private final BigGanGenerator emaG;        // null without EMA
    private final StochasticEncoder emaE;
    private final Ema emaGUpdate, emaEUpdate;
    private final OrthogonalRegularization orthoReg;   // null when off
    private final Objective objective;
    private Scores[] dScores;                          // the current D micro-batch's scores (real, fake)
    private StochasticEncoder.Output eKept;            // the last D update's E(x), with its graph, for E/G
    private BatchNorms.Updates eStatistics;            // its batch-norm updates, replayed for E/G

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
        Torch.load();
        if (!(config.model() instanceof BigBiganConfig c))
            throw new IllegalArgumentException("preset " + config.preset() + " is not a BigBiGAN model");
        Torch.seed(seed);
        super(config, seed, times, device, new BigBigan(c));
        this.objective = config.train().objective();
        boolean nhwc = ComputeDevice.channelsLast();
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
     * E(x) of the last D update is reused by the E/G update, which encodes the same images again with the same E
     * weights (only D changed in between): computed there once, with its graph, and only the posterior noise is
     * drawn again (in the same order from the same stream), with the batch norms' running statistics advanced a
     * second time: the same numbers as running E again. Not with accumulation, which keeps one micro-batch's graph
     * at a time on purpose; not without E.
     */
    @Override
    boolean keepsLastDUpdate() {
        return objective.trainsEncoder() && config.train().accumulation() == 1;
    }

    @Override
    Tensor discriminatorLoss(Tensor xm, Tensor zm, long mb, int m, boolean lastD) {
        var G = model.generator();
        var E = model.encoder();
        boolean useE = objective.trainsEncoder(), keepE = keepsLastDUpdate();
        if (lastD && m == 0) {
            eKept = null;
            eStatistics = null;
        }
        Tensor ez = null, gz, loss;
        try (Autocast a = autocast()) {                                 // forward passes only
            if (keepE && lastD) {
                try (var t = times.start("D step: E forward (kept for E/G)");
                     BatchNorms.Updates u = BatchNorms.Updates.record()) {
                    eKept = E.forward(xm, posteriorRng, dp.rowOffset(mb), dp.globalRows(mb));
                    eStatistics = u;
                }
                ez = eKept.z().detach();                                // [b, z]
            }
            try (NoGradGuard g = new NoGradGuard()) {
                if (useE && ez == null) {
                    try (var t = times.start("D step: E forward (no grad)");
                         StepScope f = StepScope.open()) {
                        ez = f.export(E.forward(xm, posteriorRng, dp.rowOffset(mb), dp.globalRows(mb)).z()); // [b, z]
                    }
                }
                try (var t = times.start("D step: G forward (no grad)"); StepScope f = StepScope.open()) {
                    gz = f.export(G.forward(zm));                       // [b, C, R, R]
                }
            }
            // D has no batch-wise layers (spectral norm only): score both kinds of pair in one pass.
            try (var t = times.start("D step: D forward"); StepScope f = StepScope.open()) {
                dScores = exportScores(f, score(xm, gz, ez, zm, mb, true));
                loss = f.export(BigBiganObjective.discriminatorLoss(dScores[0], dScores[1], objective));
            }
        }
        return loss;
    }

    @Override
    void addDiscriminatorMetrics(HostScalars host, boolean lastD) {
        Scores[] s = dScores;
        host.add("acc", v -> ScoreLoss.accuracy(v[0], v[1]), objective.trainsEncoder()
                ? ScoreLoss.accuracyParts(s[0].sxz(), s[1].sxz()) : ScoreLoss.accuracyParts(s[0].sx(), s[1].sx()));
        if (lastD) addDiagnostics(host, s);
    }

    /** Per-head D losses and accuracies. */
    @Override
    void putDiscriminatorExtras(Map<String, Double> v, double lossD, double accD, Map<String, Double> extra) {
        v.forEach((key, value) -> { if (key.startsWith("loss_d_") || key.startsWith("acc_d_")) extra.put(key, value); });
    }

    @Override
    Tensor encoderGeneratorLoss(Tensor xm, Tensor zm, long mb, int m, boolean last, HostScalars host) {
        var G = model.generator();
        var E = model.encoder();
        Tensor ez = null, gz, loss;
        try (Autocast a = autocast()) {                                 // forward passes only
            if (objective.trainsEncoder()) {
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
                    if (out.sigma() != null && last) sigma = f.export(out.sigma().detach());
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
        return loss;
    }

    /** BigGAN's orthogonal regularisation of G (eq. 3), added once per step. */
    @Override
    Tensor regularized(Tensor scaledLoss, int m) {
        return orthoReg != null && m == 0 ? scaledLoss.add(orthoReg.penalty()) : scaledLoss;
    }

    @Override
    List<String> encoderGeneratorExtras() {
        return List.of("e_sigma_mean", "e_sigma_min", "grad_norm_e", "grad_norm_g");
    }

    @Override
    void afterStep() {
        if (emaGUpdate != null) {
            try (var t = times.start("EMA update")) {
                emaGUpdate.update(stepCount());
                emaEUpdate.update(stepCount());
            }
        }
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
            else host.add(key, v -> ScoreLoss.accuracy(v[0], v[1]), t);
        });
    }
}
