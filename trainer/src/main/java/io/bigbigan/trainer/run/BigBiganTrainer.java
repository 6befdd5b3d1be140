package io.bigbigan.trainer.run;

import io.bigbigan.bindings.Modules;
import io.bigbigan.model.bigbigan.BigBigan;
import io.bigbigan.model.bigbigan.BigBiganConfig;
import io.bigbigan.model.bigbigan.JointDiscriminator.Scores;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.objective.BiganObjective;
import io.bigbigan.trainer.objective.BigBiganObjective;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.function.Supplier;

/**
 * The BigBiGAN training step (Donahue &amp; Simonyan 2019, Section 3): {@code dStepsPerGStep} discriminator updates
 * (each on a fresh real batch and fresh z ~ N(0, I)), then one joint E/G update on the last batch; hinge losses on
 * s_x, s_z and s_xz; separate Adam optimisers for D, G and E. Real batches are images [B, C, R, R] in [-1, 1].
 */
public final class BigBiganTrainer implements StepTrainer {
    private final RunConfig config;
    private final BigBigan model;
    private final Adam optD, optG, optE;
    private final Generator latentRng, posteriorRng;
    private final PhaseTimes times;
    private long step;

    public BigBiganTrainer(RunConfig config, long seed) {
        this(config, seed, PhaseTimes.off());
    }

    /** With {@code times} accumulating the wall-clock time of each phase of the step. */
    public BigBiganTrainer(RunConfig config, long seed, PhaseTimes times) {
        this.times = times;
        Torch.load();
        if (!(config.model() instanceof BigBiganConfig c))
            throw new IllegalArgumentException("preset " + config.preset() + " is not a BigBiGAN model");
        this.config = config;
        Torch.seed(seed);
        model = new BigBigan(c);
        model.train(true);
        var opt = AdversarialOptimizers.adam(model.discriminator(), model.generator(), model.encoder(),
                config.train().optim());
        optD = opt.d();
        optG = opt.g();
        optE = opt.e();
        latentRng = torch.createCPUGenerator(seed ^ 0x5DEECE66DL);
        posteriorRng = torch.createCPUGenerator(seed ^ 0x2545F4914F6CDD1DL);
    }

    @Override
    public BigBigan model() { return model; }

    /** Latents from the prior N(0, I), [n, zDim]. */
    public Tensor sampleLatent(long n) {
        return torch.randn(new long[]{n, model.config().latentDim()}, new GeneratorOptional(latentRng),
                new TensorOptions(torch.ScalarType.Float));
    }

    @Override
    public StepMetrics step(Supplier<Tensor> batches) {
        var G = model.generator();
        var E = model.encoder();
        var D = model.discriminator();
        Tensor x = null, z = null;
        double lossD = 0, accD = 0;
        for (int k = 0; k < config.train().dStepsPerGStep(); k++) {
            x = batches.get();                                                  // [B, C, R, R]
            long b = x.size(0);
            z = sampleLatent(b);                                                // [B, z]
            Tensor ez, gz;
            try (NoGradGuard g = new NoGradGuard()) {
                try (var t = times.start("D step: E forward (no grad)")) {
                    ez = E.forward(x, posteriorRng).z();                        // [B, z]
                }
                try (var t = times.start("D step: G forward (no grad)")) {
                    gz = G.forward(z);                                          // [B, C, R, R]
                }
            }
            // D has no batch-wise layers (spectral norm only): score both kinds of pair in one pass.
            Scores[] s;
            Tensor loss;
            try (var t = times.start("D step: D forward")) {
                s = BigBiganObjective.split(D.forward(torch.cat(new TensorVector(x, gz), 0),
                        torch.cat(new TensorVector(ez, z), 0)), b);
                loss = BigBiganObjective.discriminatorLoss(s[0], s[1]);
            }
            try (var t = times.start("D step: D backward")) {
                optD.zero_grad();
                loss.backward();
            }
            try (var t = times.start("D step: Adam")) {
                optD.step();
            }
            lossD = loss.item_double();
            accD = BiganObjective.discriminatorAccuracy(s[0].sxz(), s[1].sxz());
        }
        long b = x.size(0);
        Modules.requiresGrad(D, false);                                         // E/G step: no weight grads for D
        double lossEG;
        try {
            Tensor ez, gz, loss;
            try (var t = times.start("E/G step: E forward")) {
                ez = E.forward(x, posteriorRng).z();
            }
            try (var t = times.start("E/G step: G forward")) {
                gz = G.forward(z);
            }
            try (var t = times.start("E/G step: D forward")) {
                Scores[] s = BigBiganObjective.split(D.forward(torch.cat(new TensorVector(x, gz), 0),
                        torch.cat(new TensorVector(ez, z), 0)), b);
                loss = BigBiganObjective.encoderGeneratorLoss(s[0], s[1]);
            }
            try (var t = times.start("E/G step: backward (D, G, E)")) {
                optE.zero_grad();
                optG.zero_grad();
                loss.backward();
            }
            try (var t = times.start("E/G step: Adam")) {
                optE.step();
                optG.step();
            }
            lossEG = loss.item_double();
        } finally {
            Modules.requiresGrad(D, true);
        }
        step++;
        return new StepMetrics(step, lossD, lossEG, accD);
    }
}
