package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Autocast;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.mlp.BiganMlp;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.Objective;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.objective.ScoreLoss;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One BiGAN optimisation step at a time ({@link #step}): {@code dStepsPerGStep} discriminator updates, then one joint
 * encoder/generator update (Donahue et al. 2017, Section 3.4 and Appendix C).
 *
 * <p>The E/G update scores the last D update's pairs again with the updated D: E(x) and G(z) there are the same
 * tensors as in that D update (same x, z and E, G weights; only D has changed), so they are computed once, with
 * their graphs, and reused; the batch norms' running statistics are then advanced a second time
 * ({@link BatchNorms.Updates}), so weights, losses and statistics are bit for bit those of recomputing them.
 */
public final class BiganTrainer extends StepTrainer.AdversarialTrainer<BiganMlp> {
    /** A freshly initialised trainer on the CPU; weights and latents are deterministic from {@code seed}. */
    public BiganTrainer(RunConfig config, long seed) {
        this(config, Trainers.Setup.seed(seed));
    }

    /** Built as {@code setup} says (weights initialised on the CPU from its seed, then moved to its device). */
    public BiganTrainer(RunConfig config, Trainers.Setup setup) {
        Torch.load();
        BiganMlpConfig m = checked(config);
        Torch.seed(setup.seed());
        super(config, setup, new BiganMlp(m));
    }

    /** The configuration's MLP, refusing what this trainer does not implement. */
    private static BiganMlpConfig checked(RunConfig config) {
        if (!(config.model() instanceof BiganMlpConfig m))
            throw new IllegalArgumentException("preset " + config.preset() + " is not a BiGAN MLP model");
        if (config.train().accumulation() != 1)
            throw new IllegalArgumentException("preset " + config.preset() + ": gradient accumulation is implemented for BigBiGAN models only");
        if (config.train().ema().enabled())
            throw new IllegalArgumentException("preset " + config.preset() + ": EMA is implemented for BigBiGAN models only");
        var objective = config.train().objective();
        if (objective != Objective.FULL && objective != Objective.JOINT_ONLY)
            throw new IllegalArgumentException("preset " + config.preset() + ": the BiGAN MLP has only the joint score;"
                    + " objective " + objective.id() + " needs BigBiGAN's unary scores (use full or joint_only)");
        return m;
    }

    /**
     * One step: {@code dStepsPerGStep} D updates, each on a fresh real batch and fresh latents; then the E/G update
     * (D frozen), which scores the last D update's E(x) and G(z) again with the updated D.
     */
    @Override
    public StepMetrics step(Supplier<Tensor> batches) {
        var G = model.generator();
        var E = model.encoder();
        var D = model.discriminator();
        var loss = config.train().loss();
        int dSteps = config.train().dStepsPerGStep();
        long step = steps + 1;
        var kept = new Object() {                       // the last D update's E(x), G(z), with graphs, for E/G
            Tensor ex, gz;
            BatchNorms.Updates statistics;              // their batch-norm updates, replayed for E/G
        };
        Tensor x = null, z = null;
        double lossD = 0, accD = 0, gradNormD = 0;

        // ---- D updates; the last one's tensors live in the step's scope for the E/G update
        for (int k = 0; k < dSteps; k++) {
            boolean lastD = k == dSteps - 1;
            try (StepScope update = lastD ? null : StepScope.open()) {
                var in = updateInputs(batches);
                x = in.x();                                                 // [B, 784]
                z = in.z();                                                 // [B, z]: this rank's rows
                var d = updateD.run(step, x, z, 1, null, (xm, zm, m, host) -> {
                    long b = xm.size(0);
                    Tensor ex, gz, s;
                    try (Autocast a = Autocast.forward(precision, device)) {
                        if (lastD) {                                        // kept, with graphs, for the E/G update
                            try (var t = times.start("D step: E, G forward (kept for E/G)");
                                 BatchNorms.Updates u = BatchNorms.Updates.record()) {
                                ex = E.forward(xm);                         // [B, z]
                                gz = G.forward(zm);                         // [B, 784]
                                kept.statistics = u;
                            }
                            kept.ex = ex;
                            kept.gz = gz;
                        } else {
                            try (var t = times.start("D step: E, G forward (no grad)"); NoGradGuard g = new NoGradGuard()) {
                                ex = E.forward(xm);
                                gz = G.forward(zm);
                            }
                        }
                        // D has no batch-wise layers: score both kinds of pair in one pass.
                        try (var t = times.start("D step: D forward")) {
                            s = scores(xm, gz.detach(), ex.detach(), zm);  // [2B], fp32
                        }
                    }
                    Tensor real = s.narrow(0, 0, b), fake = s.narrow(0, b, b);
                    host.add("acc", v -> ScoreLoss.accuracy(v[0], v[1]), ScoreLoss.accuracyParts(real, fake));
                    return ScoreLoss.discriminatorLoss(real, fake, loss);
                });
                lossD = d.loss();
                accD = d.get("acc");
                gradNormD = d.get("grad_norm_d");
            }
        }

        // ---- E/G update, D frozen, on the last D update's pairs
        Modules.requiresGrad(D, false);                                     // no weight grads for D
        OptimiserUpdate.Fetched eg;
        try {
            eg = updateEG.run(step, x, z, 1, null, (xm, zm, m, host) -> {
                long b = xm.size(0);
                kept.statistics.replay();                                   // E and G "ran again" on the same batch
                Tensor s;
                try (Autocast a = Autocast.forward(precision, device); var t = times.start("E/G step: D forward")) {
                    s = scores(xm, kept.gz, kept.ex, zm);
                }
                return ScoreLoss.encoderGeneratorLoss(s.narrow(0, 0, b), s.narrow(0, b, b), loss);
            });
        } finally {
            Modules.requiresGrad(D, true);
        }
        Map<String, Double> extra = new LinkedHashMap<>();
        extra.put("grad_norm_d", gradNormD);
        extra.put("loss_d_sxz", lossD);                                     // the MLP's only (joint) head
        extra.put("acc_d_sxz", accD);
        extra.put("grad_norm_g", eg.get("grad_norm_g"));
        extra.put("grad_norm_e", eg.get("grad_norm_e"));
        return new StepMetrics(++steps, lossD, eg.loss(), accD, extra);
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
