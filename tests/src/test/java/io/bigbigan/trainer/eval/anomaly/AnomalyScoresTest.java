package io.bigbigan.trainer.eval.anomaly;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.AdversarialNetworks;
import io.bigbigan.model.bigbigan.JointDiscriminator;
import io.bigbigan.model.mlp.MlpJointDiscriminator;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.trainer.step.ComputeDevice;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.step.Trainers;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each score against its definition computed by hand from the networks, chunking, and what each model supports. */
class AnomalyScoresTest {
    private static final List<ScoreKind> ALL_MLP = List.of(ScoreKind.RECON, ScoreKind.RECON_L1, ScoreKind.DISC,
            ScoreKind.FEATURE, ScoreKind.COMBINED);

    @Test
    void mlpScoresFollowTheirDefinitionsAndChunkingChangesNothing() {
        StepTrainer t = Trainers.create(Presets.get("bigan-mlp"), Trainers.Setup.seed(3));
        var d = (MlpJointDiscriminator) ((AdversarialNetworks) t.model()).discriminator();
        var scorer = new AnomalyScores(t.inference(), d, 0.25);
        assertEquals(ALL_MLP, scorer.supported());
        try (ImageDataset data = SyntheticShapes.generate("s", 23, 5); StepScope s = StepScope.open();
             NoGradGuard g = new NoGradGuard()) {
            Map<ScoreKind, double[]> all = scorer.score(data, ALL_MLP, 23);
            Tensor in = t.prepare(data.all());                                        // [23, 784]
            Tensor z = t.inference().encode(in);
            Tensor rec = t.inference().generate(z).flatten(1, -1);                                 // [23, 784]
            Tensor recIn = t.prepare(t.inference().generate(z));
            Tensor diff = t.inference().toImages(in).flatten(1, -1).sub(rec);
            double[] l2 = toDoubles(diff.pow(new Scalar(2)).sum(new long[]{1}).sqrt());
            double[] l1 = toDoubles(diff.abs().sum(new long[]{1}));
            d.eval();
            var real = d.forwardWithFeatures(in, z);
            var fake = d.forwardWithFeatures(recIn, z);
            d.train(true);
            double[] disc = toDoubles(real.logit().neg());
            double[] feature = toDoubles(real.joint().sub(fake.joint()).abs().sum(new long[]{1}));
            for (int i = 0; i < 23; i++) {
                assertEquals(l2[i], all.get(ScoreKind.RECON)[i], 1e-4 * l2[i], "recon " + i);
                assertEquals(l1[i], all.get(ScoreKind.RECON_L1)[i], 1e-4 * l1[i], "recon-l1 " + i);
                assertEquals(disc[i], all.get(ScoreKind.DISC)[i], 1e-4, "disc " + i);
                assertEquals(feature[i], all.get(ScoreKind.FEATURE)[i], 1e-4 * feature[i], "feature " + i);
                assertEquals(0.75 * l1[i] + 0.25 * feature[i], all.get(ScoreKind.COMBINED)[i], 1e-4 * l1[i], "combined " + i);
                assertTrue(l2[i] > 0 && feature[i] > 0);
            }
            for (int batch : new int[]{1, 7}) {
                Map<ScoreKind, double[]> chunked = scorer.score(data, ALL_MLP, batch);
                for (ScoreKind k : ALL_MLP)
                    for (int i = 0; i < 23; i++)
                        assertEquals(all.get(k)[i], chunked.get(k)[i], 1e-4 * Math.max(1, Math.abs(all.get(k)[i])),
                                k.id() + " batch " + batch + " image " + i);
            }
            assertTrue(t.model().is_training(), "the model's training mode is restored");
        }
    }

    @Test
    void whatEachModelSupports() {
        StepTrainer t = Trainers.create(Presets.get("bigan-mlp"), Trainers.Setup.seed(3));
        var withoutD = new AnomalyScores(t.inference(), null, AnomalyScores.DEFAULT_ALPHA);
        assertEquals(List.of(ScoreKind.RECON, ScoreKind.RECON_L1), withoutD.supported());
        String why = withoutD.unsupported(ScoreKind.FEATURE);
        assertTrue(why.startsWith("score feature needs the discriminator D"), why);
        assertFalse(why.contains("\n"));
        var e = assertThrows(IllegalArgumentException.class, () -> withoutD.require(List.of(ScoreKind.DISC)));
        assertTrue(e.getMessage().contains("score disc needs the discriminator D"), e.getMessage());
        var mlp = new AnomalyScores(t.inference(), ((AdversarialNetworks) t.model()).discriminator(), 0.1);
        String sx = mlp.unsupported(ScoreKind.DISC_SX);
        assertTrue(sx.contains("needs BigBiGAN's three-headed D") && sx.contains("bigan-mlp"), sx);
        assertNull(mlp.unsupported(ScoreKind.DISC));
        assertThrows(IllegalArgumentException.class, () -> new AnomalyScores(t.inference(), null, 1.5));
        assertEquals(ScoreKind.RECON_L1, ScoreKind.parse(" Recon-L1 "));
        var bad = assertThrows(IllegalArgumentException.class, () -> ScoreKind.parse("nope"));
        assertTrue(bad.getMessage().contains("use recon, recon-l1, disc"), bad.getMessage());
    }

    @Test
    void bigBiganHeadsAreNegatedAndSumToDisc() {
        StepTrainer t = Trainers.create(Presets.get("bigbigan-32"), Trainers.Setup.seed(3));
        var d = (JointDiscriminator) ((AdversarialNetworks) t.model()).discriminator();
        var scorer = new AnomalyScores(t.inference(), d, 0.1);
        assertEquals(List.of(ScoreKind.values()), scorer.supported());
        try (ImageDataset data = SyntheticShapes.generate("s", 3, 5); StepScope s = StepScope.open();
             NoGradGuard g = new NoGradGuard()) {
            Map<ScoreKind, double[]> all = scorer.score(data, List.of(ScoreKind.values()), 2);   // 28 px, padded to 32
            Tensor in = t.prepare(data.all());
            Tensor z = t.inference().encode(in);                                                   // restores training mode
            d.eval();                                                                  // then D's forward in eval
            var scores = d.forward(in, z);
            d.train(true);
            double[] sx = toDoubles(scores.sx()), sz = toDoubles(scores.sz()), sxz = toDoubles(scores.sxz());
            for (int i = 0; i < 3; i++) {
                assertEquals(-sx[i], all.get(ScoreKind.DISC_SX)[i], 1e-3 * Math.max(1, Math.abs(sx[i])));
                assertEquals(-sxz[i], all.get(ScoreKind.DISC_SXZ)[i], 1e-3 * Math.max(1, Math.abs(sxz[i])));
                assertEquals(-(sx[i] + sz[i] + sxz[i]), all.get(ScoreKind.DISC)[i], 1e-3 * Math.max(1, Math.abs(sx[i])));
                for (ScoreKind k : ScoreKind.values()) assertTrue(Double.isFinite(all.get(k)[i]), k.id());
            }
        }
    }

    private static double[] toDoubles(Tensor t) {
        float[] f = io.bigbigan.bindings.Tensors.toFloats(t);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
