package io.bigbigan.model.layers;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpectralNormTest {

    /** Largest singular value of w reshaped to [out, rest], from LAPACK. */
    private static double largestSingularValue(Tensor w) {
        return torch.linalg_svdvals(w.detach().reshape(w.size(0), -1)).max().item_double();
    }

    @Test
    void trainingForwardsDriveTheNormalisedSpectralNormToOne() {
        torch.manual_seed(1);
        SNLinear fc = new SNLinear(20, 12);
        fc.train(true);
        Map<String, Tensor> buf = Modules.buffers(fc);
        try (StepScope s = StepScope.open()) {
            assertTrue(largestSingularValue(fc.weightOrig()) > 0.1, "raw weight is not already normalised");
            for (int i = 0; i < 50; i++) fc.forward(torch.randn(2, 20));       // one power iteration each
            Tensor wNorm = SpectralNorm.normalise(fc.weightOrig(), buf.get("weight_u"), buf.get("weight_v"), 0);
            assertEquals(1.0, largestSingularValue(wNorm), 1e-2);
            assertEquals(largestSingularValue(fc.weightOrig()), fc.sigma(), 1e-2 * fc.sigma());
        }
    }

    @Test
    void normaliseWithIterationsOnAConvolutionWeight() {
        torch.manual_seed(2);
        SNConv2d conv = new SNConv2d(4, 8, 3);                                     // weight [8, 4, 3, 3]
        Map<String, Tensor> buf = Modules.buffers(conv);
        try (StepScope s = StepScope.open()) {
            Tensor wNorm = SpectralNorm.normalise(conv.weightOrig(), buf.get("weight_u"), buf.get("weight_v"), 50);
            assertEquals(1.0, largestSingularValue(wNorm), 1e-2);                  // over the [8, 36] reshape
        }
    }

    @Test
    void evalKeepsTheVectorsAndTrainingUpdatesThem() {
        SNLinear fc = new SNLinear(10, 6);
        Tensor u = Modules.buffers(fc).get("weight_u");
        try (StepScope s = StepScope.open()) {
            Tensor before = u.clone();
            fc.eval();
            fc.forward(torch.randn(2, 10));
            assertTrue(torch.equal(before, u), "eval forward leaves weight_u alone");
            fc.train(true);
            fc.forward(torch.randn(2, 10));
            assertFalse(torch.equal(before, u), "training forward runs a power iteration");
        }
    }

    @Test
    void vectorsSurviveStateCopyAndArchiveRoundTrips(@TempDir Path dir) {
        SNConv2d a = new SNConv2d(3, 5, 3);
        a.train(true);
        try (StepScope s = StepScope.open()) {
            for (int i = 0; i < 3; i++) a.forward(torch.randn(2, 3, 4, 4));
            Map<String, Tensor> sa = Modules.state(a);
            assertEquals(java.util.Set.of("weight_orig", "bias", "weight_u", "weight_v"), sa.keySet());

            SNConv2d b = new SNConv2d(3, 5, 3);
            Modules.copyState(sa, b);
            Map<String, Tensor> sb = Modules.state(b);
            for (String k : sa.keySet()) assertTrue(torch.equal(sa.get(k), sb.get(k)), k + " copied");

            OutputArchive out = new OutputArchive();
            a.save(out);
            String file = dir.resolve("sn.pt").toString();
            out.save_to(file);
            SNConv2d c = new SNConv2d(3, 5, 3);
            InputArchive in = new InputArchive();
            in.load_from(file);
            c.load(in);
            Map<String, Tensor> sc = Modules.state(c);
            for (String k : sa.keySet()) assertTrue(torch.equal(sa.get(k), sc.get(k)), k + " restored from archive");
            assertEquals(a.sigma(), c.sigma(), 1e-6);
        }
    }
}
