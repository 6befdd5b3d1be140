package io.bigbigan.trainer.eval.generation;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InceptionExtractorTest {
    /** The detector's calling convention: features = mean over pixels @ proj, logits = features @ fc (+ bias). */
    private static final String FORWARD = """
              def forward(self, x: Tensor, return_features: bool=False, no_output_bias: bool=False) -> Tensor:
                f = torch.matmul(torch.mean(x, [2, 3]), self.proj)
                if return_features:
                  return f
                logits = torch.matmul(f, self.fc)
                if no_output_bias:
                  return logits
                return logits + self.bias
            """;

    private static Map<String, Tensor> params() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("proj", Tensors.of(new float[]{1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4));   // [3, 4]: (r, g, b, r+g+b)
        p.put("fc", Tensors.of(new float[]{1, 0, 0, 1, 1, 1, 0, 0}, 4, 2));                 // [4, 2]: (f0+f2, f1+f2)
        p.put("bias", Tensors.of(new float[]{100, 100}, 2));
        return p;
    }

    @Test
    void loadsAScriptedDetectorAndCallsItWithKeywords(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tiny-inception.pt");
        ScriptedModules.write(f, params(), FORWARD);
        InceptionExtractor ex = InceptionExtractor.load(f);
        assertEquals("inception", ex.name());
        assertTrue(ex.id().startsWith("sha256:"), ex.id());
        try (StepScope s = StepScope.open()) {
            // 2 RGB images, constant per channel: image 0 (0.2, 0.4, 1.0), image 1 all 0.5
            Tensor x = Tensors.of(new float[]{0.2f, 0.4f, 1.0f, 0.5f, 0.5f, 0.5f}, 2, 3, 1, 1)
                    .expand(2, 3, 5, 5).contiguous();
            Tensor feats = ex.features(x);                                      // inputs scaled to 0..255
            assertArrayEquals(new long[]{2, 4}, Tensors.shape(feats));
            assertArrayEquals(new float[]{51, 102, 255, 408, 127.5f, 127.5f, 127.5f, 382.5f}, Tensors.toFloats(feats), 1e-3f);
            Tensor logits = ex.logits(x);                                       // no_output_bias: bias not added
            assertArrayEquals(new float[]{51 + 255, 102 + 255, 255, 255},
                    Tensors.toFloats(logits), 1e-2f);
            // grayscale is repeated to 3 channels
            Tensor gray = torch.full(new long[]{1, 1, 4, 4}, new org.bytedeco.pytorch.Scalar(0.5));
            assertArrayEquals(new float[]{127.5f, 127.5f, 127.5f, 382.5f}, Tensors.toFloats(ex.features(gray)), 1e-3f);
        }
    }

    @Test
    void wrongOutputShapeIsAClearError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("flat.pt");
        ScriptedModules.write(f, params(), """
                  def forward(self, x: Tensor, return_features: bool=False, no_output_bias: bool=False) -> Tensor:
                    return torch.mean(x)
                """);
        InceptionExtractor ex = InceptionExtractor.load(f);
        try (StepScope s = StepScope.open()) {
            var e = assertThrows(IllegalArgumentException.class, () -> ex.features(torch.zeros(2, 3, 4, 4)));
            assertTrue(e.getMessage().contains("flat.pt") && e.getMessage().contains("expected [2, D]"), e.getMessage());
        }
    }

    @Test
    void missingOrNonTorchScriptFilesAreClearErrors(@TempDir Path dir) throws Exception {
        var missing = assertThrows(IllegalArgumentException.class, () -> InceptionExtractor.load(dir.resolve("nope.pt")));
        assertTrue(missing.getMessage().contains("nope.pt: no such file"), missing.getMessage());
        Path text = Files.writeString(dir.resolve("text.pt"), "not a model");
        var notZip = assertThrows(IllegalArgumentException.class, () -> InceptionExtractor.load(text));
        assertTrue(notZip.getMessage().contains("not a TorchScript archive"), notZip.getMessage());
        Path zip = dir.resolve("other.zip");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new java.util.zip.ZipEntry("hello.txt"));
            out.write("hi".getBytes());
            out.closeEntry();
        }
        var notScript = assertThrows(IllegalArgumentException.class, () -> InceptionExtractor.load(zip));
        assertTrue(notScript.getMessage().contains("not a loadable TorchScript module"), notScript.getMessage());
    }
}
