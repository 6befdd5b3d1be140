package io.bigbigan.trainer.eval.generation;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.data.SyntheticShapes;
import io.bigbigan.trainer.eval.FrechetDistance;
import io.bigbigan.trainer.eval.GaussianStatistics;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DomainClassifierTest {
    @TempDir
    static Path dir;
    static ImageDataset train, test;
    static DomainClassifier classifier;

    @BeforeAll
    static void trainOnce() throws Exception {
        train = SyntheticShapes.generate("train", 2000, 11);
        test = SyntheticShapes.generate("test", 1000, 12);
        classifier = DomainClassifier.train(train, test, "synthetic-test", 3, 5, dir.resolve("clf"), m -> {});
    }

    @Test
    void learnsTheDomainAndRoundTripsThroughItsFolder() {
        DomainClassifier.Info info = classifier.info();
        // 3 epochs on 2,000 shapes at random positions/rotations: far from converged, but well above chance (0.1)
        assertTrue(info.testAccuracy() > 0.25, "test accuracy " + info.testAccuracy());
        assertEquals(10, info.classes());
        assertEquals(16, info.id().length());
        assertTrue(DomainClassifier.exists(dir.resolve("clf")));
        DomainClassifier loaded = DomainClassifier.load(dir.resolve("clf"));
        assertEquals(info, loaded.info());
        try (StepScope s = StepScope.open()) {
            Tensor x = test.batch(torch.arange(new org.bytedeco.pytorch.Scalar(0L), new org.bytedeco.pytorch.Scalar(8L)));
            assertArrayEquals(Tensors.toFloats(classifier.features(x)), Tensors.toFloats(loaded.features(x)), 1e-6f);
            assertArrayEquals(new long[]{8, 128}, Tensors.shape(loaded.features(x)));
            assertArrayEquals(new long[]{8, 10}, Tensors.shape(loaded.logits(x)));
            // images of another size are resized to the training resolution
            assertArrayEquals(new long[]{8, 128}, Tensors.shape(loaded.features(torch.rand(8, 1, 32, 32))));
        }
        assertEquals(info.testAccuracy(), loaded.accuracy(test), 1e-12);
    }

    @Test
    void frechetDistancesOrderSameSetRealSplitsAndNoise() {
        GaussianStatistics a = GenerationMetrics.realStatistics(train, 1000, classifier, null);
        GaussianStatistics again = GenerationMetrics.realStatistics(train, 1000, classifier, null);
        GaussianStatistics other = GenerationMetrics.realStatistics(test, 1000, classifier, null);
        GaussianStatistics noise = new GaussianStatistics(128);
        try (StepScope s = StepScope.open()) {
            torch.manual_seed(3);
            for (int i = 0; i < 4; i++) noise.add(classifier.features(torch.rand(250, 1, 28, 28)));
        }
        double self = FrechetDistance.between(a, again);
        double real = FrechetDistance.between(other, a);
        double fake = FrechetDistance.between(noise, a);
        assertEquals(0.0, self, 1e-6 * Math.max(1, real));
        assertTrue(real > 0 && real < 0.1 * fake, "train vs test " + real + ", noise " + fake);
    }

    @Test
    void paddedGeneratedImagesAreCroppedBackToTheDataSize() {
        try (StepScope s = StepScope.open()) {
            Tensor padded = torch.constant_pad_nd(torch.ones(2, 1, 28, 28), new long[]{2, 2, 2, 2},
                    new org.bytedeco.pytorch.Scalar(0.0));                                   // 28 px padded to 32 px
            Tensor fitted = GenerationMetrics.fit(padded, test);
            assertArrayEquals(new long[]{2, 1, 28, 28}, Tensors.shape(fitted));
            assertEquals(2 * 28 * 28, fitted.sum().item_double(), 1e-6);            // exactly the unpadded content
            assertArrayEquals(new long[]{2, 1, 20, 20}, Tensors.shape(GenerationMetrics.fit(torch.ones(2, 1, 20, 20), test)));
        }
    }

    @Test
    void tamperedOrMissingFilesAreClearErrors(@TempDir Path other) throws Exception {
        var missing = assertThrows(IllegalArgumentException.class, () -> DomainClassifier.load(other));
        assertTrue(missing.getMessage().contains("classifier.json: no such file"), missing.getMessage());
        Path copy = Files.createDirectories(other.resolve("copy"));
        Files.copy(dir.resolve("clf").resolve(DomainClassifier.DESCRIPTION), copy.resolve(DomainClassifier.DESCRIPTION));
        byte[] w = Files.readAllBytes(dir.resolve("clf").resolve(DomainClassifier.WEIGHTS));
        w[w.length - 1] ^= 1;
        Files.write(copy.resolve(DomainClassifier.WEIGHTS), w);
        var tampered = assertThrows(IllegalArgumentException.class, () -> DomainClassifier.load(copy));
        assertTrue(tampered.getMessage().contains("does not match the id"), tampered.getMessage());
    }
}
