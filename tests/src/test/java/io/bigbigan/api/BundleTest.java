package io.bigbigan.api;

import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.step.StepTrainer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inference bundle: conversions, bit-exact round trips, old versions, and the rejections. */
class BundleTest {
    static final Path V1_CHECKPOINT = ApiTestModels.resource("/checkpoints/v1-bigan-mlp-tiny.safetensors");
    static final Path V1_BUNDLE = ApiTestModels.resource("/bundles/v1-bigan-mlp-tiny.bundle");

    @Test
    void trainBundleSafetensorsBundleReproducesTheEncoderBitForBit(@TempDir Path dir) throws Exception {
        StepTrainer t = ApiTestModels.trained(ApiTestModels.narrowBigBigan(), 2);
        Path ckpt = ApiTestModels.checkpoint(t, dir.resolve("ck"));
        Path b1 = dir.resolve("a.bundle"), st = dir.resolve("a.safetensors"), b2 = dir.resolve("b.bundle");
        Bundle.write(b1, io.bigbigan.tools.CheckpointBundles.fromCheckpoint(ckpt, io.bigbigan.trainer.step.Weights.EMA, 0));
        Bundle.exportStateDict(Bundle.read(b1), st);
        Bundle.write(b2, Bundle.fromStateDict(st, null, 0));

        assertEquals(Bundle.Kind.CHECKPOINT, Bundle.detect(ckpt));
        assertEquals(Bundle.Kind.BUNDLE, Bundle.detect(b2));
        assertEquals(Bundle.Kind.STATE_DICT, Bundle.detect(st));
        Map<String, String> meta = Safetensors.readMetadata(st);
        assertEquals(Bundle.STATE_DICT_FORMAT, meta.get("format"));
        assertEquals("narrow", meta.get("preset"));
        assertTrue(meta.get("preprocessing").contains("\"toNetwork\":\"pad\""), meta.get("preprocessing"));
        long checkpointBytes = Files.size(ckpt) + Files.size(ckpt.resolveSibling("step-00000002.optim.pt"));
        assertTrue(Files.size(b2) * 3 < checkpointBytes, Files.size(b2) + " vs " + checkpointBytes);

        try (BigBiganModel m = BigBiganModel.load(b2); StepScope s = StepScope.open()) {
            assertEquals("ema", m.metadata().get("weights"));
            assertEquals("2", m.metadata().get("step"));
            assertEquals("2.10.0", m.metadata().get("libtorch"));
            assertEquals("1.5.13", m.metadata().get("javacpp_preset"));
            Tensor images = torch.rand(new long[]{6, 1, 28, 28}, new org.bytedeco.pytorch.GeneratorOptional(
                    torch.createCPUGenerator(4)), new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float));
            var expected = t.inference().features(t.prepare(images));            // the EMA encoder, as evaluate uses it
            assertTrue(torch.equal(m.encodeTensor(images, FeatureKind.LATENT, 0), expected.get("E mu")));
            assertTrue(torch.equal(m.encodeTensor(images, FeatureKind.POOLED, 0), expected.get("E pooled")));
            Tensor z = m.prior(3, 9, 0);
            assertTrue(torch.equal(m.generateTensor(z), t.inference().generate(z)));

            // the live weights are another encoder: the choice is real
            try (BigBiganModel live = load(io.bigbigan.tools.CheckpointBundles.fromCheckpoint(ckpt, io.bigbigan.trainer.step.Weights.LIVE, 0), dir.resolve("live.bundle"))) {
                assertEquals("live", live.metadata().get("weights"));
                assertFalse(torch.equal(live.encodeTensor(images, FeatureKind.LATENT, 0), expected.get("E mu")));
            }
        }
    }

    @Test
    void rewritingAnOlderBundleKeepsItsVersionsUnderTheSeparateNames(@TempDir Path dir) {
        Bundle.Contents c = Bundle.read(V1_BUNDLE);
        Map<String, String> older = new java.util.LinkedHashMap<>(c.provenance());
        older.put("pytorch", "2.9.1-1.5.12");                  // as an older build would have written it
        Path again = dir.resolve("again.bundle");
        Bundle.write(again, new Bundle.Contents(c.config(), c.preprocessing(), c.tensors(), older));
        Map<String, String> meta = Safetensors.readMetadata(again);
        assertEquals("2.9.1", meta.get("libtorch"));
        assertEquals("1.5.12", meta.get("javacpp_preset"));
        assertFalse(meta.containsKey("pytorch"), meta.toString());
    }

    @Test
    void formatOneCheckpointAndShippedVersionOneBundleKeepLoading(@TempDir Path dir) {
        StepTrainer v1 = Checkpoints.load(V1_CHECKPOINT).trainer();
        try (BigBiganModel fromCkpt = load(io.bigbigan.tools.CheckpointBundles.fromCheckpoint(V1_CHECKPOINT, io.bigbigan.trainer.step.Weights.EMA, 0), dir.resolve("x.bundle"));
             BigBiganModel shipped = BigBiganModel.load(V1_BUNDLE);
             StepScope s = StepScope.open()) {
            assertEquals("1", shipped.metadata().get("format_version"));
            assertEquals("2.10.0-1.5.13", shipped.metadata().get("pytorch"));   // the joined version of older files
            assertEquals("live", shipped.metadata().get("weights"));
            assertEquals(4, shipped.latentDim());
            assertEquals(8, shipped.featureDim(FeatureKind.POOLED));
            Tensor images = torch.linspace(new org.bytedeco.pytorch.Scalar(0.0), new org.bytedeco.pytorch.Scalar(1.0), 2 * 784)
                    .reshape(2, 1, 28, 28);
            Tensor expected = v1.inference().encode(images.flatten(1, -1));
            assertTrue(torch.equal(shipped.encodeTensor(images, FeatureKind.LATENT, 0), expected));
            assertTrue(torch.equal(fromCkpt.encodeTensor(images, FeatureKind.LATENT, 0), expected));
            assertTrue(torch.equal(shipped.encodeTensor(images, FeatureKind.POOLED, 0),
                    v1.inference().features(images.flatten(1, -1)).get("E penultimate")));
        }
    }

    @Test
    void rejectsTruncatedDamagedNewerAndForeignFilesWithOneLineReasons(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(V1_BUNDLE);

        Path truncated = dir.resolve("truncated.bundle");
        Files.write(truncated, Arrays.copyOf(good, good.length - 100));
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> BigBiganModel.load(truncated)),
                truncated.toString(), "truncated");

        Path damaged = dir.resolve("damaged.bundle");
        byte[] bad = good.clone();
        bad[bad.length - 3] ^= 0x40;
        Files.write(damaged, bad);
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> BigBiganModel.load(damaged)),
                damaged.toString(), "checksum mismatch");

        Path newer = dir.resolve("newer.bundle");
        var st = Safetensors.read(V1_BUNDLE);
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.put("format_version", Integer.toString(Bundle.VERSION + 1));
        Safetensors.write(newer, st.tensors(), meta);
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> BigBiganModel.load(newer)),
                newer.toString(), "newer than this program reads");

        // weights of another preset: the tiny MLP's state dict offered as the paper's bigan-mlp
        Path foreign = dir.resolve("foreign.safetensors");
        Safetensors.write(foreign, st.tensors(), Map.of());
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bundle.fromStateDict(foreign, io.bigbigan.tools.CheckpointBundles.preset("bigan-mlp"), 0)),
                foreign.toString(), "do not match preset bigan-mlp");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bundle.fromStateDict(foreign, null, 0)),
                foreign.toString(), "--preset");
        Path missing = dir.resolve("missing.safetensors");
        Map<String, org.bytedeco.pytorch.Tensor> fewer = new LinkedHashMap<>(st.tensors());
        fewer.remove("E.fc3.bias");
        Safetensors.write(missing, fewer, st.metadata());
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bundle.fromStateDict(missing, null, 0)),
                missing.toString(), "missing: E.fc3.bias");

        // wrong kinds of file
        Path png = dir.resolve("image.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB),
                "png", png.toFile());
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bundle.detect(png)),
                png.toString(), "not a bundle/checkpoint/safetensors file");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> BigBiganModel.load(V1_CHECKPOINT)),
                V1_CHECKPOINT.toString(), "not an inference bundle");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> BigBiganModel.load(foreign)),
                foreign.toString(), "not an inference bundle");
    }

    @Test
    void cudaRequestOnACpuOnlyMachineIsAClearError() {
        org.junit.jupiter.api.Assumptions.assumeFalse(torch.cuda_is_available());
        var e = assertThrows(IllegalArgumentException.class, () -> BigBiganModel.load(V1_BUNDLE, Device.cuda()));
        assertTrue(e.getMessage().contains("no CUDA device is available"), e.getMessage());
    }

    static BigBiganModel load(Bundle.Contents c, Path file) {
        Bundle.write(file, c);
        return BigBiganModel.load(file);
    }

    static void assertOneLine(Exception e, String... parts) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        for (String p : parts) assertTrue(m.contains(p), "'" + p + "' not in: " + m);
    }
}
