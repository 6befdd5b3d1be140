package io.bigbigan.api;

import io.bigbigan.trainer.step.StepTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library API on a small trained BigBiGAN bundle and the shipped BiGAN MLP bundle. */
class BigBiganModelTest {
    @TempDir
    static Path dir;
    static Path bundle;
    static BigBiganModel model;

    @BeforeAll
    static void build() {
        StepTrainer t = ApiTestModels.trained(ApiTestModels.narrowBigBigan(), 1);
        Path ckpt = ApiTestModels.checkpoint(t, dir.resolve("ck"));
        bundle = dir.resolve("narrow.bundle");
        Bundle.write(bundle, io.bigbigan.tools.CheckpointBundles.fromCheckpoint(ckpt, io.bigbigan.trainer.step.Weights.EMA, 0));
        model = BigBiganModel.load(bundle);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** A 28x28 grey image with a random pattern. */
    static BufferedImage grey(long seed) {
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        Random r = new Random(seed);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) img.getRaster().setSample(x, y, 0, r.nextInt(256));
        return img;
    }

    static byte[] png(BufferedImage img) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Test
    void encodesImagesBytesFilesAndPixelsAlike() throws Exception {
        BufferedImage img = grey(1);
        assertEquals(28, model.preprocessing().imageSize());
        assertEquals(24, model.latentDim());
        float[] v = model.encode(img, FeatureKind.LATENT);
        assertEquals(24, v.length);
        assertArrayEquals(v, model.encode(png(img), FeatureKind.LATENT));
        Path file = dir.resolve("one.png");
        Files.write(file, png(img));
        assertArrayEquals(v, model.encode(file, FeatureKind.LATENT));
        float[] pixels = new float[28 * 28];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) pixels[y * 28 + x] = img.getRaster().getSample(x, y, 0) / 255f;
        assertArrayEquals(v, model.encodePixels(pixels, 1, FeatureKind.LATENT, 0)[0]);
        // a batch gives each image's own vector (eval mode: no batch statistics)
        float[][] batch = model.encode(List.of(grey(2), img), FeatureKind.POOLED, 0);
        assertEquals(model.featureDim(FeatureKind.POOLED), batch[1].length);
        assertArrayEquals(model.encode(img, FeatureKind.POOLED), batch[1], 1e-5f);
        assertFalse(java.util.Arrays.equals(batch[0], batch[1]));
    }

    @Test
    void sampledLatentsAreSeededAndDifferFromTheMean() {
        List<BufferedImage> imgs = List.of(grey(3), grey(4));
        float[][] a = model.encode(imgs, FeatureKind.SAMPLED, 7), b = model.encode(imgs, FeatureKind.SAMPLED, 7);
        float[][] c = model.encode(imgs, FeatureKind.SAMPLED, 8), mu = model.encode(imgs, FeatureKind.LATENT, 0);
        assertArrayEquals(a[0], b[0]);
        assertFalse(java.util.Arrays.equals(a[0], c[0]));
        assertFalse(java.util.Arrays.equals(a[0], mu[0]));
    }

    @Test
    void generatesSeededSamplesAndReconstructs() {
        List<BufferedImage> s = model.generate(5, 3, 0.0), again = model.generate(5, 3, 0.0);
        assertEquals(3, s.size());
        assertEquals(28, s.get(0).getWidth());                        // the training size, as bigbigan sample writes
        assertEquals(28, s.get(0).getHeight());
        assertArrayEquals(pixels(s.get(2)), pixels(again.get(2)));
        assertFalse(java.util.Arrays.equals(pixels(s.get(0)), pixels(model.generate(6, 1, 0.0).get(0))));
        float[][] z = new float[1][24];
        assertEquals(1, model.generate(z).size());
        assertThrows(IllegalArgumentException.class, () -> model.generate(new float[][]{new float[3]}));
        BufferedImage r = model.reconstruct(grey(1));
        assertEquals(28, r.getWidth());
    }

    @Test
    void paddedOutputSizeIsAnOptionAndHoldsTheTrainingSizeImagesAtItsCentre() {
        try (BigBiganModel padded = BigBiganModel.load(bundle,
                BigBiganModel.Options.DEFAULT.withOutputSize(OutputSize.NETWORK))) {
            assertEquals(32, padded.outputSize());
            BufferedImage full = padded.generate(5, 1, 0.0).get(0), centre = model.generate(5, 1, 0.0).get(0);
            assertEquals(32, full.getWidth());
            assertArrayEquals(pixels(centre), pixels(full.getSubimage(2, 2, 28, 28)));
            assertEquals(32, padded.reconstruct(grey(1)).getWidth());
        }
        assertEquals(28, model.outputSize());
    }

    @Test
    void describesTheModelInItsOwnTypes() {
        ModelDescription d = model.description();
        assertEquals(new ModelDescription("narrow", "bigbigan", 28, 1, 32, 24, model.featureDim(FeatureKind.POOLED)), d);
        assertEquals(24, d.featureDim(FeatureKind.LATENT));
        assertEquals(Precision.FP32, model.precision());
        assertEquals(Device.CPU, model.options().device());
        assertTrue(model.configJson().contains("\"preset\":\"narrow\""), model.configJson());
    }

    @Test
    void devicesAndPrecisionsAreParsedAtTheEdge() {
        assertEquals(Device.CPU, Device.parse("CPU"));
        assertEquals(Device.cuda(0), Device.parse("cuda"));
        assertEquals(Device.cuda(2), Device.parse("cuda:2"));
        assertEquals("cuda:2", Device.cuda(2).toString());
        for (String bad : new String[]{"gpu", "cuda:x", "cuda:-1", ""}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Device.parse(bad));
            assertTrue(e.getMessage().contains("expected cpu, cuda or cuda:N"), e.getMessage());
        }
        assertEquals(Precision.BF16, Precision.parse("BF16"));
        assertEquals(Precision.AUTO, Precision.parse("auto"));
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp64"));
        assertEquals("precision 'fp64': expected fp32, bf16 or auto", e.getMessage());
        var o = BigBiganModel.Options.DEFAULT.withPrecision(Precision.BF16).withStrictImages(true);
        assertEquals(Precision.BF16, o.precision());
        assertTrue(o.strictImages() && !o.serializedCalls());
        assertEquals(o, BigBiganModel.Options.DEFAULT.withStrictImages(true).withPrecision(Precision.BF16));
    }

    @Test
    void theConversionNoteNamesWhatWasDone() {
        BufferedImage rgb = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(1, 1, 0xff0000);
        assertEquals(List.of("centre crop", "area resampling", "luminance"), Images.conversionSteps(rgb, 28, 1));
        BufferedImage grey = new BufferedImage(56, 56, BufferedImage.TYPE_BYTE_GRAY);
        assertEquals(List.of("area resampling"), Images.conversionSteps(grey, 28, 1));
        assertEquals(List.of("area resampling", "repetition"), Images.conversionSteps(grey, 32, 3));
        assertEquals(List.of("centre crop"), Images.conversionSteps(new BufferedImage(28, 40,
                BufferedImage.TYPE_BYTE_GRAY), 28, 1));
    }

    @Test
    void otherSizesAndChannelsAreConvertedOrRejectedWhenStrict() {
        // a 56x56 RGB image whose 2x2 blocks are the grey image's pixels: converts back to it exactly (area mean)
        BufferedImage g = grey(9);
        BufferedImage rgb = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 56; y++)
            for (int x = 0; x < 56; x++) {
                int v = g.getRaster().getSample(x / 2, y / 2, 0);
                rgb.setRGB(x, y, v << 16 | v << 8 | v);
            }
        assertArrayEquals(model.encode(g, FeatureKind.LATENT), model.encode(rgb, FeatureKind.LATENT), 1e-4f);
        try (BigBiganModel strict = BigBiganModel.load(bundle, BigBiganModel.Options.DEFAULT.withStrictImages(true))) {
            var e = assertThrows(IllegalArgumentException.class, () -> strict.encode(rgb, FeatureKind.LATENT));
            assertTrue(e.getMessage().contains("56x56 RGB does not match the model's 28x28 grey"), e.getMessage());
            assertEquals(24, strict.encode(g, FeatureKind.LATENT).length);
        }
    }

    @Test
    void unreadableInputsAreNamed() throws Exception {
        Path junk = dir.resolve("junk.png");
        Files.writeString(junk, "not an image");
        var e = assertThrows(IllegalArgumentException.class, () -> model.encode(junk, FeatureKind.LATENT));
        assertTrue(e.getMessage().contains(junk.toString()) && e.getMessage().contains("not a readable image"), e.getMessage());
        Path none = dir.resolve("none.png");
        e = assertThrows(IllegalArgumentException.class, () -> model.encodeFiles(List.of(none), FeatureKind.LATENT));
        assertTrue(e.getMessage().contains(none.toString()), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> model.encodePixels(new float[5], 1, FeatureKind.LATENT, 0));
        assertTrue(e.getMessage().contains("784"), e.getMessage());
    }

    @Test
    void concurrentCallersGetTheSingleThreadedResults() throws Exception {
        List<BufferedImage> imgs = new ArrayList<>();
        for (int i = 0; i < 8; i++) imgs.add(grey(100 + i));
        float[][] expected = new float[8][];
        for (int i = 0; i < 8; i++) expected[i] = model.encode(imgs.get(i), FeatureKind.POOLED);
        for (boolean serialize : new boolean[]{false, true}) {
            try (BigBiganModel m = BigBiganModel.load(bundle, BigBiganModel.Options.DEFAULT.withSerializedCalls(serialize))) {
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<float[]>> fs = new ArrayList<>();
                    for (int rep = 0; rep < 3; rep++)
                        for (int i = 0; i < 8; i++) {
                            int k = i;
                            fs.add(pool.submit(() -> m.encode(imgs.get(k), FeatureKind.POOLED)));
                        }
                    for (int j = 0; j < fs.size(); j++) assertArrayEquals(expected[j % 8], fs.get(j).get());
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    /**
     * The thread-safety note of docs/library-runtime.md: every public call on one model from several threads at once (seeded sampling,
     * batches, generation from a seed and from latents, reconstruction, images of another size) gives the results of
     * the same calls made one after another.
     */
    @Test
    void mixedConcurrentCallsGiveTheSequentialResults() throws Exception {
        List<java.util.concurrent.Callable<int[]>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int k = i;
            calls.add(() -> floats(model.encode(List.of(grey(200 + k), grey(300 + k)), FeatureKind.SAMPLED, k)));
            calls.add(() -> floats(new float[][]{model.encode(grey(400 + k), FeatureKind.LATENT)}));
            calls.add(() -> pixels(model.generate(k, 2, k == 0 ? 0.0 : 0.5).get(1)));
            calls.add(() -> pixels(model.generate(new float[][]{new float[24], latent(k)}).get(1)));
            calls.add(() -> pixels(model.reconstruct(grey(500 + k))));
            calls.add(() -> floats(new float[][]{model.encode(big(600 + k), FeatureKind.POOLED)}));
        }
        List<int[]> expected = new ArrayList<>();
        for (var c : calls) expected.add(c.call());
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            for (int rep = 0; rep < 2; rep++) {
                List<Future<int[]>> fs = new ArrayList<>();
                for (int j = calls.size() - 1; j >= 0; j--) fs.add(pool.submit(calls.get(j)));   // another order
                for (int j = 0; j < calls.size(); j++)
                    assertArrayEquals(expected.get(j), fs.get(calls.size() - 1 - j).get(), "call " + j);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static float[] latent(int seed) {
        float[] z = new float[24];
        Random r = new Random(seed);
        for (int i = 0; i < z.length; i++) z[i] = (float) r.nextGaussian();
        return z;
    }

    /** A 45x37 RGB image (converted by the model). */
    static BufferedImage big(long seed) {
        BufferedImage img = new BufferedImage(45, 37, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < 37; y++)
            for (int x = 0; x < 45; x++) img.setRGB(x, y, r.nextInt(1 << 24));
        return img;
    }

    /** The floats' bits, to compare exactly. */
    static int[] floats(float[][] v) {
        return java.util.Arrays.stream(v).flatMapToInt(a -> {
            int[] bits = new int[a.length];
            for (int i = 0; i < a.length; i++) bits[i] = Float.floatToRawIntBits(a[i]);
            return java.util.Arrays.stream(bits);
        }).toArray();
    }

    @Test
    void theShippedMlpBundleEncodesAndGenerates() {
        try (BigBiganModel mlp = BigBiganModel.load(BundleTest.V1_BUNDLE)) {
            assertEquals("bigan-mlp", mlp.preset());
            assertEquals(4, mlp.encode(grey(1), FeatureKind.SAMPLED).length);   // deterministic E: z = E(x)
            assertArrayEquals(mlp.encode(grey(1), FeatureKind.LATENT), mlp.encode(grey(1), FeatureKind.SAMPLED));
            assertEquals(8, mlp.encode(grey(1), FeatureKind.POOLED).length);
            BufferedImage s = mlp.generate(1, 1, 0.5).get(0);
            assertEquals(28, s.getWidth());
        }
    }

    static int[] pixels(BufferedImage img) {
        return img.getRaster().getPixels(0, 0, img.getWidth(), img.getHeight(), (int[]) null);
    }
}
