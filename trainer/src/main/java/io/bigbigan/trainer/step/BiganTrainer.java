package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Autocast;
import io.bigbigan.model.BiganMlpConfig;
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

import java.util.List;
import java.util.Map;

/**
 * One BiGAN optimisation step at a time: {@code dStepsPerGStep} discriminator updates, then one joint
 * encoder/generator update (Donahue et al. 2017, Section 3.4 and Appendix C); the sequence is
 * {@link AdversarialTrainer}'s, the forward passes and the joint score's loss are here.
 *
 * <p>The E/G update scores the last D update's pairs again with the updated D: E(x) and G(z) there are the same
 * tensors as in that D update (same x, z and E, G weights; only D has changed), so they are computed once, with
 * their graphs, and reused; the batch norms' running statistics are then advanced a second time
 * ({@link BatchNorms.Updates}), so weights, losses and statistics are bit for bit those of recomputing them.
 */
public final class BiganTrainer extends AdversarialTrainer<BiganMlp> {
    private Tensor ex, gz;                     // E(x) and G(z) of the current D update (with graphs on the last)
    private Tensor sReal, sFake;               // its scores
    private BatchNorms.Updates statistics;     // the last D update's batch-norm updates, replayed for E/G

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
        BiganMlpConfig m = checked(config);
        Torch.seed(seed);
        super(config, seed, times, device, new BiganMlp(m));
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

    /** The last D update's E(x) and G(z) are reused by the E/G update. */
    @Override
    boolean keepsLastDUpdate() {
        return true;
    }

    @Override
    Tensor discriminatorLoss(Tensor x, Tensor z, long rows, int m, boolean lastD) {
        var G = model.generator();
        var E = model.encoder();
        Tensor s;
        try (Autocast a = Autocast.forward(precision, device)) {
            if (lastD) {                                                 // kept, with graphs, for the E/G update
                try (var t = times.start("D step: E, G forward (kept for E/G)");
                     BatchNorms.Updates u = BatchNorms.Updates.record()) {
                    ex = E.forward(x);                                   // [B, z]
                    gz = G.forward(z);                                   // [B, 784]
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
                s = scores(x, gz.detach(), ex.detach(), z);              // [2B], fp32
            }
        }
        sReal = s.narrow(0, 0, rows);
        sFake = s.narrow(0, rows, rows);
        return ScoreLoss.discriminatorLoss(sReal, sFake, config.train().loss());
    }

    @Override
    void addDiscriminatorMetrics(HostScalars host, boolean lastD) {
        host.add("acc", v -> ScoreLoss.accuracy(v[0], v[1]), ScoreLoss.accuracyParts(sReal, sFake));
    }

    /** The MLP's only (joint) head. */
    @Override
    void putDiscriminatorExtras(Map<String, Double> v, double lossD, double accD, Map<String, Double> extra) {
        extra.put("loss_d_sxz", lossD);
        extra.put("acc_d_sxz", accD);
    }

    @Override
    Tensor encoderGeneratorLoss(Tensor x, Tensor z, long rows, int m, boolean last, HostScalars host) {
        statistics.replay();                                             // E and G "ran again" on the same batch
        Tensor s;
        try (Autocast a = Autocast.forward(precision, device); var t = times.start("E/G step: D forward")) {
            s = scores(x, gz, ex, z);
        }
        return ScoreLoss.encoderGeneratorLoss(s.narrow(0, 0, rows), s.narrow(0, rows, rows), config.train().loss());
    }

    @Override
    List<String> encoderGeneratorExtras() {
        return List.of("grad_norm_g", "grad_norm_e");
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
