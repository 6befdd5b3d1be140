package io.bigbigan.model.layers;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.bigbigan.JointDiscriminator;
import io.bigbigan.model.bigbigan.StochasticEncoder;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.model.mlp.MlpGenerator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pieces that let a trainer reuse a forward pass where its update rule runs it twice, each checked to give the
 * numbers of running it again, bit for bit: replayed batch-norm statistics, a resampled posterior, and F run on
 * the two halves of a batch with shared spectrally normalised weights.
 */
class ForwardReuseTest {
    private static void assertSameState(Map<String, Tensor> a, Map<String, Tensor> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertTrue(torch.equal(a.get(k), b.get(k)), k + " differs");
    }

    private static double maxDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double();
    }

    @Test
    void replayedBatchNormUpdatesEqualASecondForward() {
        BiganMlpConfig c = new BiganMlpConfig(16, 4, 8, 0.2);
        torch.manual_seed(3);
        MlpGenerator twice = new MlpGenerator(c);
        MlpGenerator replayed = new MlpGenerator(c);
        Modules.copyState(Modules.state(twice), replayed);
        twice.train(true);
        replayed.train(true);
        try (StepScope s = StepScope.open()) {
            Tensor z = torch.rand(6, 4);
            Tensor a = twice.forward(z);
            twice.forward(z);                                                // the second forward of the update rule
            Tensor b;
            BatchNorms.Updates u;
            try (BatchNorms.Updates rec = BatchNorms.Updates.record()) {
                b = replayed.forward(z);
                u = rec;
            }
            assertEquals(2, u.size(), "G's two batch norms");
            assertFalse(torch.equal(Modules.state(twice).get("bn1.running_mean"),
                    Modules.state(replayed).get("bn1.running_mean")), "one update behind before the replay");
            u.replay();
            assertTrue(torch.equal(a, b));
            assertSameState(Modules.state(twice), Modules.state(replayed));   // running stats and batch counts
            Tensor tracked = Modules.state(replayed).get("bn1.num_batches_tracked");
            assertEquals(2, tracked.item_long());
        }
    }

    @Test
    void aResampledPosteriorEqualsEncodingAgain() {
        torch.manual_seed(4);
        StochasticEncoder e = new StochasticEncoder(BigBiganConfig.bigbigan32(1).encoder());
        e.train(true);
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.rand(4, 1, 32, 32);
            var g1 = torch.createCPUGenerator(9);
            var g2 = torch.createCPUGenerator(9);
            var first = e.forward(x, g1, 2, 8);                              // rows 2..5 of an 8-row draw
            var again = e.forward(x, g1, 2, 8);                              // a second E forward, as recomputed
            var kept = e.forward(x, g2, 2, 8);
            var resampled = e.resample(kept, g2, 2, 8);
            assertNotNull(first.sigma());
            assertTrue(torch.equal(again.z(), resampled.z()), "z from the same stream position");
            assertTrue(torch.equal(again.mu(), resampled.mu()));
            assertFalse(torch.equal(first.z(), again.z()), "fresh noise");
            assertTrue(torch.equal(g1.get_state(), g2.get_state()), "the stream advanced alike");
        }
    }

    @Test
    void fOnTheHalvesWithSharedWeightsEqualsOnePassOverBoth() {
        var config = BigBiganConfig.bigbigan32(1).discriminator();
        torch.manual_seed(5);
        JointDiscriminator one = new JointDiscriminator(config), halves = new JointDiscriminator(config);
        Modules.copyState(Modules.state(one), halves);
        one.train(true);
        halves.train(true);
        Modules.requiresGrad(one, false);                                    // frozen, as in the E/G update
        Modules.requiresGrad(halves, false);
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.rand(3, 1, 32, 32), g = torch.rand(3, 1, 32, 32).requires_grad_(true);
            Tensor g2 = g.detach().clone().requires_grad_(true);
            Tensor both = one.imageNet().features(torch.cat(new TensorVector(x, g), 0));      // [6, Cf]
            Tensor split;
            try (SpectralNorm.Shared shared = SpectralNorm.Shared.open()) {
                Tensor real;
                try (NoGradGuard ng = new NoGradGuard()) {
                    real = halves.imageNet().features(x);
                }
                split = torch.cat(new TensorVector(real, halves.imageNet().features(g2)), 0);
            }
            System.out.printf("F on halves vs one pass: features max |diff| %.3e%n", maxDiff(both, split));
            assertTrue(maxDiff(both, split) <= 1e-5 * both.abs().max().item_double(), "same features");
            assertSameState(Modules.buffers(one), Modules.buffers(halves));   // one power iteration per layer
            both.sum().backward();
            split.sum().backward();
            System.out.printf("F on halves vs one pass: input gradient max |diff| %.3e%n", maxDiff(g.grad(), g2.grad()));
            assertTrue(maxDiff(g.grad(), g2.grad()) <= 1e-5 * g.grad().abs().max().item_double(),
                    "same input gradients for the fake half");
        }
    }
}
