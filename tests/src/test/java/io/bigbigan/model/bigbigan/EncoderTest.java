package io.bigbigan.model.bigbigan;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.bigbigan.EncoderConfig.Posterior;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code bigbigan-32} encoder (small pre-activation ResNet + residual MLP head) and the posterior variants. */
class EncoderTest {
    /** bigbigan-32's E: 1 channel, ch 32, head 256 wide with 2 residual blocks, z 120, Gaussian. */
    private static final EncoderConfig SMALL = EncoderConfig.resnetSmall(1, 32, 32, 256, 2, 120);
    private static final StochasticEncoder E = new StochasticEncoder(SMALL);

    @Test
    void smallParameterCountsMatchHandArithmetic() {
        // stem conv3x3 1->32, no bias: 9*1*32
        long stem1 = 9 * 1 * 32;                                              // 288
        // block ch->ch (identity shortcut): bn1 2*32, conv1 9*32*32, bn2 2*32, conv2 9*32*32
        long b0 = 64 + 9_216 + 64 + 9_216;                                   // 18,560
        // block ch->2ch: bn1 2*32, conv1 9*32*64, bn2 2*64, conv2 9*64*64, shortcut 1x1 32*64
        long b1 = 64 + 18_432 + 128 + 36_864 + 2_048;                        // 57,536
        // block 2ch->4ch: bn1 2*64, conv1 9*64*128, bn2 2*128, conv2 9*128*128, shortcut 64*128
        long b2 = 128 + 73_728 + 256 + 147_456 + 8_192;                      // 229,760
        // block 4ch->8ch: bn1 2*128, conv1 9*128*256, bn2 2*256, conv2 9*256*256, shortcut 128*256
        long b3 = 256 + 294_912 + 512 + 589_824 + 32_768;                    // 918,272
        long bnOut = 2 * 256;                                                 // 512
        long backbone1 = stem1 + b0 + b1 + b2 + b3 + bnOut;
        assertEquals(1_224_928, backbone1);
        assertEquals(backbone1, Modules.parameterCount(E.backbone()));
        // head: fc_in 256*256+256, 2 blocks x 2 x (256*256+256), out 256*240+240 (mu and sigma_hat)
        long head = 65_792 + 2 * 2 * 65_792 + 61_680;
        assertEquals(390_640, head);
        assertEquals(head, Modules.parameterCount(E.head()));
        assertEquals(1_615_568, Modules.parameterCount(E));
        // RGB: only the stem grows, by 9*2*32 = 576
        StochasticEncoder rgb = new StochasticEncoder(EncoderConfig.resnetSmall(3, 32, 32, 256, 2, 120));
        assertEquals(1_615_568 + 576, Modules.parameterCount(rgb));
        // deterministic / uniform heads output z instead of 2z: out is 256*120+120, 30,840 fewer
        StochasticEncoder det = new StochasticEncoder(SMALL.withPosterior(Posterior.DETERMINISTIC));
        assertEquals(1_615_568 - 30_840, Modules.parameterCount(det));
    }

    @Test
    void stableParameterNames() {
        var names = Modules.state(E).keySet();
        for (String n : List.of("backbone.stem.weight", "backbone.stages.0.0.bn1.weight",
                "backbone.stages.0.0.bn1.running_mean", "backbone.stages.0.0.conv1.weight",
                "backbone.stages.0.0.conv2.weight", "backbone.stages.1.0.shortcut.weight",
                "backbone.stages.3.0.bn2.num_batches_tracked", "backbone.bn_out.weight", "head.fc_in.weight",
                "head.blocks.0.fc1.weight", "head.blocks.1.fc2.bias", "head.out.weight", "head.out.bias"))
            assertTrue(names.contains(n), n + " in " + names);
        assertTrue(!names.contains("backbone.stages.0.0.shortcut.weight"), "ch -> ch keeps the identity shortcut");
        assertTrue(!names.contains("backbone.stem.bias"), "the stem conv has no bias");
        assertEquals("backbone.stem.weight", names.iterator().next());
    }

    @Test
    void shapesOfPooledMuSigmaAndZ() {
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.rand(2, 1, 32, 32).mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
            StochasticEncoder.Output o = E.forward(x, torch.createCPUGenerator(1));
            assertArrayEquals(new long[]{2, 256}, Tensors.shape(o.pooled()));
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(o.z()));
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(o.mu()));
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(o.sigma()));
            for (float v : Tensors.toFloats(o.sigma())) assertTrue(v > 0, "softplus sigma > 0");
            for (float v : Tensors.toFloats(o.pooled())) assertTrue(v >= 0, "pooled after ReLU >= 0");
            // backward reaches the stem
            o.z().pow(Tensors.scalar(2)).sum().backward();
            assertTrue(Modules.parameters(E).get("backbone.stem.weight").grad().defined());
            E.zero_grad(true);
        }
    }

    @Test
    void resizesInputsOfOtherResolutions() {
        try (StepScope s = StepScope.open()) {
            Tensor small = torch.rand(2, 1, 28, 28);
            assertArrayEquals(new long[]{2, 1, 32, 32}, Tensors.shape(E.resize(small)));
            assertArrayEquals(new long[]{2, 1, 32, 32}, Tensors.shape(E.resize(torch.rand(2, 1, 64, 48))));
            StochasticEncoder.Output o = E.forward(small);
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(o.z()));
            assertArrayEquals(new long[]{2, 256}, Tensors.shape(o.pooled()));
            // a constant image stays constant under bilinear resizing (values kept in [-1, 1])
            for (float v : Tensors.toFloats(E.resize(torch.full(new long[]{1, 1, 28, 28}, Tensors.scalar(-0.5)))))
                assertEquals(-0.5f, v, 1e-6f);
            Tensor same = torch.rand(1, 1, 32, 32);
            assertTrue(E.resize(same).equal(same), "no resize at the encoder's resolution");
            assertThrows(IllegalArgumentException.class, () -> E.forward(torch.rand(2, 3, 32, 32)));
        }
    }

    @Test
    void gaussianSamplesHaveMeanMuAndStdSigma() {
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            EncoderHead head = E.head();
            Tensor features = torch.rand(1, 256);
            int n = 2000;
            Generator gen = torch.createCPUGenerator(7);
            EncoderHead.Posteriors p = head.forward(features.repeat(n, 1), gen); // same input n times: [n, 120]
            float[] mu = Tensors.toFloats(p.mu().select(0, 0)), sigma = Tensors.toFloats(p.sigma().select(0, 0));
            float[] mean = Tensors.toFloats(p.z().mean(0)), std = Tensors.toFloats(p.z().std(0));
            for (int i = 0; i < 120; i++) {
                assertEquals(mu[i], mean[i], 0.1, "mean of z_" + i);
                assertEquals(sigma[i], std[i], 0.1 * sigma[i], "std of z_" + i);
            }
            // the same seed gives the same draws; another seed does not
            Tensor z1 = head.forward(features, torch.createCPUGenerator(3)).z();
            Tensor z2 = head.forward(features, torch.createCPUGenerator(3)).z();
            Tensor z3 = head.forward(features, torch.createCPUGenerator(4)).z();
            assertTrue(z1.equal(z2));
            assertTrue(!z1.equal(z3));
        }
    }

    @Test
    void deterministicAndUniformPosteriors() {
        StochasticEncoder det = new StochasticEncoder(SMALL.withPosterior(Posterior.DETERMINISTIC));
        StochasticEncoder uni = new StochasticEncoder(SMALL.withPosterior(Posterior.UNIFORM));
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.rand(2, 1, 32, 32).mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
            StochasticEncoder.Output d = det.forward(x);
            assertTrue(d.z().equal(d.mu()), "DETERMINISTIC: z == mu");
            assertNull(d.sigma());
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(d.z()));
            StochasticEncoder.Output u = uni.forward(x.mul(Tensors.scalar(50)));   // large inputs push tanh outwards
            assertNull(u.sigma());
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(u.z()));
            for (float v : Tensors.toFloats(u.z())) assertTrue(v > -1 && v < 1, "UNIFORM: z in (-1, 1), got " + v);
        }
    }

    @Test
    void evalModeIsDeterministicAndPerExample() {
        StochasticEncoder det = new StochasticEncoder(SMALL.withPosterior(Posterior.DETERMINISTIC));
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.rand(2, 1, 32, 32).mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
            det.forward(x);                                       // train mode: updates running statistics
            det.eval();
            Tensor a = det.forward(x).z(), b = det.forward(x).z();
            assertTrue(a.equal(b), "eval: same input, same z");
            Tensor alone = det.forward(x.narrow(0, 0, 1)).z();    // BN uses running stats: no batch coupling
            float[] p = Tensors.toFloats(alone), q = Tensors.toFloats(a.narrow(0, 0, 1));
            for (int i = 0; i < p.length; i++) assertEquals(q[i], p[i], 1e-5);
            det.train(true);
            Tensor t = det.forward(x.narrow(0, 0, 1).repeat(2, 1, 1, 1)).z(); // train: batch statistics
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(t));
        }
    }

    @Test
    void configValidation() {
        assertThrows(IllegalArgumentException.class, () -> EncoderConfig.resnet50(3, 256, 120));
        assertThrows(IllegalArgumentException.class, () -> EncoderConfig.resnet50(1, 16, 120));
        assertThrows(IllegalArgumentException.class, () -> EncoderConfig.resnetSmall(1, 0, 32, 256, 2, 120));
        assertThrows(IllegalArgumentException.class, () -> SMALL.withDepths(1, 1, 1));
        assertEquals(240, SMALL.headOutputs());
        assertEquals(120, SMALL.withPosterior(Posterior.UNIFORM).headOutputs());
        assertEquals(256, SMALL.featureDim());
        assertEquals(2048, EncoderConfig.resnet50(1, 256, 120).featureDim());
        assertEquals(8192, EncoderConfig.revnet50(4, 256, 120).featureDim());
    }
}
