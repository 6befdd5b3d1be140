package io.bigbigan.trainer.checkpoint;

import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.nativelib.LibraryVersions;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.TrainConfig;
import io.bigbigan.trainer.step.BiganTrainer;
import io.bigbigan.trainer.step.StepTrainer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointsTest {
    static RunConfig tiny() {
        return new RunConfig("bigan-mlp", new BiganMlpConfig(784, 4, 8, 0.2),
                new TrainConfig(8, 1, LossKind.LOGISTIC, new OptimConfig(2e-4, 2e-4, 2e-4, 0.5, 0.999, 1e-8)));
    }

    /** E(x) in eval mode for a fixed ramp image (batch of 2 identical rows), row 0. */
    static float[] encodeRamp(StepTrainer trainer) {
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.linspace(new Scalar(0.0), new Scalar(1.0), 784).reshape(1, 784).repeat(2, 1);
            return Tensors.toFloats(trainer.inference().encode(x).select(0, 0));
        }
    }

    @Test
    void roundTripReproducesTheEncoderBitForBit(@TempDir Path dir) {
        BiganTrainer t = new BiganTrainer(tiny(), 5);
        try (StepScope s = StepScope.open()) {
            Tensor data = torch.rand(8, 784);
            for (int i = 0; i < 3; i++) t.step(() -> data);
        }
        Path file = Checkpoints.save(dir, t, RunSettings.ofData("synthetic"));
        assertEquals(dir.resolve("step-00000003.safetensors"), file);
        assertTrue(Files.isRegularFile(dir.resolve("step-00000003.optim.pt")));
        var loaded = Checkpoints.load(dir);                        // a folder: newest checkpoint
        assertEquals(3, loaded.step());
        assertEquals(tiny(), loaded.config());
        assertEquals("synthetic", loaded.metadata().get("data"));
        assertArrayEquals(encodeRamp(t), encodeRamp(loaded.trainer()));
        // LibTorch and the JavaCPP preset named separately (org.bytedeco:pytorch 2.10.0-1.5.13)
        assertEquals("2.10.0", loaded.metadata().get("libtorch"));
        assertEquals("1.5.13", loaded.metadata().get("javacpp_preset"));
        assertTrue(!loaded.metadata().containsKey("pytorch"), loaded.metadata().toString());
    }

    @Test
    void newestOfSeveralIsChosen(@TempDir Path dir) {
        BiganTrainer t = new BiganTrainer(tiny(), 5);
        Checkpoints.save(dir, t, RunSettings.NONE);
        t.setStepCount(12);
        Checkpoints.save(dir, t, RunSettings.NONE);
        t.setStepCount(9);
        Checkpoints.save(dir, t, RunSettings.NONE);
        assertEquals(12, Checkpoints.load(dir).step());
        assertEquals(3, Checkpoints.list(dir).size());
    }

    /** A checkpoint written by format version 1 (kept in the test resources) must keep loading. */
    @Test
    void versionOneCheckpointKeepsLoading() throws Exception {
        Path file = Path.of(getClass().getResource("/checkpoints/v1-bigan-mlp-tiny.safetensors").toURI());
        var loaded = Checkpoints.load(file);
        assertEquals(3, loaded.step());
        assertEquals(tiny(), loaded.config());
        // it names the joined jar version only; read as the two versions
        assertEquals("2.10.0-1.5.13", loaded.metadata().get("pytorch"));
        assertEquals(new LibraryVersions("2.10.0", "1.5.13"), LibraryVersions.of(loaded.metadata()));
        // E(x) recorded when the file was written
        assertArrayEquals(new float[]{0.09605302f, 0.084067f, -0.17210296f, -0.08129103f}, encodeRamp(loaded.trainer()), 1e-6f);
    }

    @Test
    void badCheckpointsAreRejectedWithTheReason(@TempDir Path dir) throws Exception {
        Path good = Path.of(getClass().getResource("/checkpoints/v1-bigan-mlp-tiny.safetensors").toURI());
        var st = Safetensors.read(good);

        Map<String, String> newer = new HashMap<>(st.metadata());
        newer.put("format_version", "99");
        Path future = dir.resolve("future.safetensors");
        Safetensors.write(future, st.tensors(), newer);
        var e1 = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(future));
        assertTrue(e1.getMessage().contains("future.safetensors") && e1.getMessage().contains("newer"), e1.getMessage());

        Map<String, String> other = new HashMap<>(st.metadata());
        other.put("config", tiny().toJson().replace("\"hidden\":8", "\"hidden\":16"));
        Path wrong = dir.resolve("wrong.safetensors");
        Safetensors.write(wrong, st.tensors(), other);
        var e2 = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(wrong));
        assertTrue(e2.getMessage().contains("wrong.safetensors") && e2.getMessage().contains("shape of"), e2.getMessage());

        Path notOurs = dir.resolve("plain.safetensors");
        Safetensors.write(notOurs, Map.of("w", Tensors.zeros(2)), Map.of());
        var e3 = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(notOurs));
        assertTrue(e3.getMessage().contains("not a bigbigan checkpoint"), e3.getMessage());

        byte[] bytes = Files.readAllBytes(good);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        var e4 = assertThrows(RuntimeException.class, () -> Checkpoints.load(truncated));
        assertTrue(e4.getMessage().contains("truncated.safetensors"), e4.getMessage());

        var e5 = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(dir.resolve("empty-dir-missing")));
        assertTrue(e5.getMessage().contains("no such checkpoint"), e5.getMessage());
    }
}
