package io.bigbigan.api;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.AdversarialNetworks;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.eval.anomaly.AnomalyScores;
import io.bigbigan.trainer.eval.anomaly.ScoreKind;
import io.bigbigan.trainer.step.StepTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library's reconstruction scores equal the trainer's on the checkpoint the bundle came from (a BigBiGAN that
 * pads 28 px images to 32), refuse the D scores, convert or refuse other image sizes, and are thread-safe.
 */
class AnomalyScorerTest {
    @TempDir
    static Path dir;
    static Path bundle, checkpoint;
    static BigBiganModel model;

    @BeforeAll
    static void build() {
        StepTrainer t = ApiTestModels.trained(ApiTestModels.narrowBigBigan(), 0);          // no step: any weights do
        checkpoint = ApiTestModels.checkpoint(t, dir.resolve("ck"));
        bundle = dir.resolve("narrow.bundle");
        Bundle.write(bundle, io.bigbigan.tools.CheckpointBundles.fromCheckpoint(checkpoint, io.bigbigan.trainer.step.Weights.EMA, 0));
        model = BigBiganModel.load(bundle);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void reconstructionScoresEqualTheTrainers() {
        int n = 5, e = model.preprocessing().imageElements();
        float[] px = new float[n * e];
        java.util.Random r = new java.util.Random(4);
        for (int i = 0; i < px.length; i++) px[i] = r.nextFloat();
        AnomalyScorer scorer = new AnomalyScorer(model);
        double[] l2 = scorer.scorePixels(px, n, AnomalyScore.RECON);
        double[] l1 = scorer.scorePixels(px, n, AnomalyScore.RECON_L1);
        var loaded = Checkpoints.load(checkpoint, io.bigbigan.trainer.step.Weights.EMA, io.bigbigan.trainer.step.ComputeDevice.cpu());
        var scores = new AnomalyScores(loaded.model(), ((AdversarialNetworks) loaded.trainer().model()).discriminator(), 0.1);
        try (StepScope s = StepScope.open()) {
            var expected = scores.scoreBatch(Tensors.of(px, n, 1, 28, 28), List.of(ScoreKind.RECON, ScoreKind.RECON_L1));
            for (int i = 0; i < n; i++) {
                assertEquals(expected.get(ScoreKind.RECON)[i], l2[i], 1e-4 * l2[i], "recon " + i);
                assertEquals(expected.get(ScoreKind.RECON_L1)[i], l1[i], 1e-4 * l1[i], "recon-l1 " + i);
                assertTrue(l1[i] > l2[i], "L1 >= L2 over 1024 pixels");
            }
        }
    }

    @Test
    void refusesTheDiscriminatorScoresAndConvertsOtherSizes() throws Exception {
        AnomalyScorer scorer = new AnomalyScorer(model);
        assertTrue(scorer.supports(AnomalyScore.RECON));
        assertFalse(scorer.supports(AnomalyScore.FEATURE));
        var e = assertThrows(UnsupportedOperationException.class,
                () -> scorer.score(BigBiganModelTest.grey(1), AnomalyScore.DISC_SX));
        assertTrue(e.getMessage().startsWith("anomaly score disc-sx needs the discriminator D"), e.getMessage());
        assertEquals(AnomalyScore.COMBINED, AnomalyScore.parse("Combined"));
        BufferedImage rgb = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        assertTrue(Double.isFinite(scorer.score(rgb, AnomalyScore.RECON)), "40x40 RGB converted as encode converts it");
        try (BigBiganModel strict = BigBiganModel.load(bundle, BigBiganModel.Options.DEFAULT.withStrictImages(true))) {
            var bad = assertThrows(IllegalArgumentException.class,
                    () -> new AnomalyScorer(strict).score(List.of(rgb), AnomalyScore.RECON));
            assertTrue(bad.getMessage().startsWith("image 0: 40x40 RGB does not match"), bad.getMessage());
        }
    }

    @Test
    void concurrentCallersGetTheSingleThreadedScores() throws Exception {
        List<BufferedImage> imgs = new ArrayList<>();
        for (int i = 0; i < 6; i++) imgs.add(BigBiganModelTest.grey(500 + i));
        AnomalyScorer scorer = new AnomalyScorer(model);
        double[] expected = scorer.score(imgs, AnomalyScore.RECON);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<double[]>> fs = new ArrayList<>();
            for (int rep = 0; rep < 8; rep++) fs.add(pool.submit(() -> scorer.score(imgs, AnomalyScore.RECON)));
            for (Future<double[]> f : fs) assertArrayEquals(expected, f.get());
        } finally {
            pool.shutdownNow();
        }
    }
}
