package io.bigbigan.model.bigbigan;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BigBiGAN joint discriminator D = (F, H, J): shapes, names, gradients, spectral norm and parameter counts. */
class DiscriminatorTest {
    private static final JointDiscriminator D1 = new JointDiscriminator(DiscriminatorConfig.bigbigan32(1));
    private static final JointDiscriminator D3 = new JointDiscriminator(DiscriminatorConfig.bigbigan32(3));

    // ---- hand arithmetic: SN layers hold weight_orig + bias as parameters (weight_u/v are buffers) ----
    private static long conv(long in, long out, long k) { return in * out * k * k + out; }

    private static long linear(long in, long out) { return in * out + out; }

    /** DBlock: conv1 3x3 + conv2 3x3 (+ conv_sc 1x1 when in != out or downsampling). */
    private static long dblock(long in, long out, boolean learnableShortcut) {
        return conv(in, out, 3) + conv(out, out, 3) + (learnableShortcut ? conv(in, out, 1) : 0);
    }

    /** SelfAttention(C): theta, phi (C -> C/8), g (C -> C/2), o (C/2 -> C), no biases, + gamma. */
    private static long attention(long c) { return 2 * c * (c / 8) + c * (c / 2) + (c / 2) * c + 1; }

    /** ResidualMlp: fc_in + blocks x (fc1 + fc2) + score. */
    private static long mlp(long in, long width, long blocks) {
        return linear(in, width) + blocks * 2 * linear(width, width) + linear(width, 1);
    }

    @Test
    void dblockShapes() {
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.randn(2, 3, 8, 8);
            var first = new DiscriminatorBlock(new DBlockSpec(3, 16, true, false, 4));
            assertArrayEquals(new long[]{2, 16, 4, 4}, Tensors.shape(first.forward(x)));
            var pre = new DiscriminatorBlock(new DBlockSpec(3, 16, true, true, 4));
            assertArrayEquals(new long[]{2, 16, 4, 4}, Tensors.shape(pre.forward(x)));
            var keep = new DiscriminatorBlock(new DBlockSpec(3, 16, false, true, 8));
            assertArrayEquals(new long[]{2, 16, 8, 8}, Tensors.shape(keep.forward(x)));
            var identity = new DiscriminatorBlock(new DBlockSpec(3, 3, false, true, 8));
            assertArrayEquals(new long[]{2, 3, 8, 8}, Tensors.shape(identity.forward(x)));
            // learnable shortcut only when in != out or downsampling
            assertEquals(dblock(3, 16, true), Modules.parameterCount(first));          // 448 + 2320 + 64
            assertEquals(448 + 2_320 + 64, Modules.parameterCount(pre));
            assertEquals(dblock(3, 16, true), Modules.parameterCount(keep));
            assertEquals(dblock(3, 3, false), Modules.parameterCount(identity));       // 84 + 84, no conv_sc
            assertFalse(Modules.parameters(identity).containsKey("conv_sc.weight_orig"));
            assertTrue(Modules.parameters(pre).containsKey("conv_sc.weight_orig"));
        }
    }

    @Test
    void bigbigan32ArchitectureAsData() {
        DiscriminatorConfig c = DiscriminatorConfig.bigbigan32(1);
        assertEquals(List.of(new DBlockSpec(1, 128, true, false, 16), new DBlockSpec(128, 128, true, true, 8),
                new DBlockSpec(128, 128, false, true, 8), new DBlockSpec(128, 128, false, true, 8)), c.fBlocks());
        assertEquals(128, c.fFeatures());
        assertEquals(-1, c.attentionBlock());
        DiscriminatorConfig p = DiscriminatorConfig.paper128();
        assertEquals(List.of(96, 192, 384, 768, 1536, 1536), p.fBlocks().stream().map(DBlockSpec::out).toList());
        assertEquals(List.of(64, 32, 16, 8, 4, 4), p.fBlocks().stream().map(DBlockSpec::resolution).toList());
        assertEquals(0, p.attentionBlock());
        assertThrows(IllegalArgumentException.class, () -> DiscriminatorConfig.biggan(48, 8, 3, 0, 8, 8, 1, 8, 1));
        assertThrows(IllegalArgumentException.class, () -> DiscriminatorConfig.biggan(32, 8, 3, 64, 8, 8, 1, 8, 1));
        assertThrows(IllegalArgumentException.class, () -> new DiscriminatorConfig(3, 32, 8,
                List.of(new DBlockSpec(1, 8, true, false, 16)), 0, 8, 8, 1, 8, 1));
    }

    @Test
    void bigbigan32ShapesOneAndThreeChannels() {
        for (var d : List.of(D1, D3)) {
            int c = d.config().imageChannels();
            try (StepScope s = StepScope.open()) {
                Tensor x = torch.rand(2, c, 32, 32).mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
                Tensor z = torch.randn(2, 120);
                var out = d.forwardWithFeatures(x, z);
                assertArrayEquals(new long[]{2, 128}, Tensors.shape(out.fx()));
                assertArrayEquals(new long[]{2, 256}, Tensors.shape(out.hz()));
                assertArrayEquals(new long[]{2, 256}, Tensors.shape(out.jxz()));
                assertArrayEquals(new long[]{2}, Tensors.shape(out.scores().sx()));
                assertArrayEquals(new long[]{2}, Tensors.shape(out.scores().sz()));
                assertArrayEquals(new long[]{2}, Tensors.shape(out.scores().sxz()));
                for (Tensor t : List.of(out.scores().sx(), out.scores().sz(), out.scores().sxz()))
                    assertTrue(torch.isfinite(t).all().item_bool(), "finite scores");
                assertThrows(IllegalArgumentException.class, () -> d.forward(torch.zeros(2, c, 16, 16), z));
            }
        }
    }

    @Test
    void small64pxConfigWithAttention() {
        // ch 8: blocks 3->8 (32px), 8->16 (16), 16->32 (8), 32->64 (4), 64->128 (4); attention at 32 px on 8 channels
        var c = DiscriminatorConfig.biggan(64, 8, 3, 32, 16, 32, 1, 48, 2);
        var d = new JointDiscriminator(c);
        try (StepScope s = StepScope.open()) {
            var out = d.forwardWithFeatures(torch.randn(2, 3, 64, 64), torch.randn(2, 16));
            assertArrayEquals(new long[]{2, 128}, Tensors.shape(out.fx()));
            assertArrayEquals(new long[]{2, 32}, Tensors.shape(out.hz()));
            assertArrayEquals(new long[]{2, 48}, Tensors.shape(out.jxz()));
            for (Tensor t : List.of(out.scores().sx(), out.scores().sz(), out.scores().sxz()))
                assertArrayEquals(new long[]{2}, Tensors.shape(t));
        }
        long f = dblock(3, 8, true) + attention(8) + dblock(8, 16, true) + dblock(16, 32, true)
                + dblock(32, 64, true) + dblock(64, 128, true) + linear(128, 1);
        assertEquals(f, Modules.parameterCount(d.imageNet()));
        assertEquals(mlp(16, 32, 1), Modules.parameterCount(d.latentNet()));
        assertEquals(mlp(128 + 32, 48, 2), Modules.parameterCount(d.jointNet()));
        assertTrue(Modules.parameters(d).containsKey("F.attention.theta.weight_orig"));
        assertTrue(Modules.parameters(d).containsKey("F.attention.gamma"));
    }

    @Test
    void stablePyTorchStyleNames() {
        Map<String, Tensor> state = Modules.state(D1);
        for (String n : new String[]{"F.blocks.0.conv1.weight_orig", "F.blocks.0.conv1.bias",
                "F.blocks.0.conv_sc.weight_orig", "F.blocks.1.conv2.weight_orig", "F.blocks.3.conv2.bias",
                "F.score.weight_orig", "F.score.bias", "H.fc_in.weight_orig", "H.blocks.0.fc1.weight_orig",
                "H.blocks.1.fc2.bias", "H.score.weight_orig", "J.fc_in.weight_orig", "J.blocks.1.fc2.weight_orig",
                "J.score.bias", "F.blocks.0.conv1.weight_u", "F.blocks.0.conv1.weight_v", "J.score.weight_u"})
            assertTrue(state.containsKey(n), n + " in " + state.keySet());
        Set<String> names = state.keySet();
        assertFalse(names.contains("F.blocks.2.conv_sc.weight_orig"), "no learnable shortcut without down/channel change");
        assertFalse(names.stream().anyMatch(n -> n.startsWith("F.attention")), "no attention in bigbigan-32");
        assertArrayEquals(new long[]{128, 1, 3, 3}, Tensors.shape(state.get("F.blocks.0.conv1.weight_orig")));
        assertArrayEquals(new long[]{256, 128 + 256}, Tensors.shape(state.get("J.fc_in.weight_orig")));
    }

    @Test
    void gradientsFlowIntoXAndZ() {
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.rand(2, 1, 32, 32).requires_grad_(true);
            Tensor z = torch.randn(2, 120).requires_grad_(true);
            // s_x depends on x only, s_z on z only, s_xz on both
            boolean[][] expected = {{true, false}, {false, true}, {true, true}};
            for (int k = 0; k < 3; k++) {
                var sc = D1.forward(x, z);
                Tensor score = List.of(sc.sx(), sc.sz(), sc.sxz()).get(k);
                score.sum().backward();
                assertEquals(expected[k][0], hasNonZeroGrad(x), "score " + k + " -> x");
                assertEquals(expected[k][1], hasNonZeroGrad(z), "score " + k + " -> z");
                if (x.grad().defined()) x.grad().zero_();
                if (z.grad().defined()) z.grad().zero_();
            }
            D1.zero_grad(true);
        }
    }

    private static boolean hasNonZeroGrad(Tensor t) {
        return t.grad().defined() && t.grad().abs().sum().item_double() > 0;
    }

    @Test
    void spectralNormIteratesInTrainingOnlyAndEvalIsDeterministic() {
        var d = new JointDiscriminator(DiscriminatorConfig.biggan(32, 4, 1, 0, 8, 16, 1, 16, 1));
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.randn(2, 1, 32, 32), z = torch.randn(2, 8);
            Map<String, Tensor> buffers = Modules.buffers(d);
            Tensor uf = buffers.get("F.blocks.0.conv1.weight_u"), uj = buffers.get("J.fc_in.weight_u");
            Tensor uf0 = uf.clone(), uj0 = uj.clone();
            d.train(true);
            d.forward(x, z);                                   // one power iteration per training forward
            assertFalse(torch.equal(uf0, uf), "a training forward updates F's weight_u");
            assertFalse(torch.equal(uj0, uj), "a training forward updates J's weight_u");
            Tensor uf1 = uf.clone(), uj1 = uj.clone();
            d.eval();
            var a = d.forward(x, z);
            var b = d.forward(x, z);
            List<Tensor> as = List.of(a.sx(), a.sz(), a.sxz()), bs = List.of(b.sx(), b.sz(), b.sxz());
            for (int k = 0; k < 3; k++) {
                assertTrue(torch.isfinite(as.get(k)).all().item_bool(), "finite score " + k);
                assertTrue(torch.equal(as.get(k), bs.get(k)), "eval forward is deterministic, score " + k);
            }
            assertTrue(torch.equal(uf1, uf), "eval leaves F's weight_u alone");
            assertTrue(torch.equal(uj1, uj), "eval leaves J's weight_u alone");
        } finally {
            d.train(true);
        }
    }

    @Test
    void bigbigan32ParameterCounts() {
        // F, 1 channel, C = 4ch = 128:
        //   block0 1->128 down, sc: (1*128*9+128) + (128*128*9+128) + (1*128+128) = 1_280 + 147_584 + 256 = 149_120
        //   block1 128->128 down, sc: 147_584 + 147_584 + (128*128+128 = 16_512)                      = 311_680
        //   block2, block3 128->128, identity shortcut: 2 * 147_584                                   = 295_168 each
        //   score 128+1                                                                               = 129
        long f1 = 149_120 + 311_680 + 295_168 + 295_168 + 129;
        assertEquals(1_051_265, f1);
        assertEquals(dblock(1, 128, true) + dblock(128, 128, true) + 2 * dblock(128, 128, false) + linear(128, 1), f1);
        // 3 channels: block0 = (3*128*9+128) + 147_584 + (3*128+128) = 3_584 + 147_584 + 512 = 151_680
        long f3 = 151_680 + 311_680 + 295_168 + 295_168 + 129;
        assertEquals(1_053_825, f3);
        // H: fc_in 120*256+256 = 30_976; 2 blocks x 2 x (256*256+256 = 65_792) = 263_168; score 257
        long h = 30_976 + 263_168 + 257;
        assertEquals(294_401, h);
        assertEquals(mlp(120, 256, 2), h);
        // J: fc_in (128+256)*256+256 = 98_560; blocks 263_168; score 257
        long j = 98_560 + 263_168 + 257;
        assertEquals(361_985, j);

        assertEquals(f1, Modules.parameterCount(D1.imageNet()));
        assertEquals(f3, Modules.parameterCount(D3.imageNet()));
        for (var d : List.of(D1, D3)) {
            assertEquals(h, Modules.parameterCount(d.latentNet()));
            assertEquals(j, Modules.parameterCount(d.jointNet()));
        }
        assertEquals(1_707_651, Modules.parameterCount(D1));
        assertEquals(1_710_211, Modules.parameterCount(D3));
    }

    @Test
    void paper128ParameterCounts() {
        DiscriminatorConfig c = DiscriminatorConfig.paper128();
        // F (ch 96, 3 channels): blocks 3->96 (no pre-act), 96->192, 192->384, 384->768, 768->1536 (all down, sc),
        // 1536->1536 (no down, identity shortcut); attention on 96 channels after block 0 (64 px); score 1536+1.
        long blocks = dblock(3, 96, true) + dblock(96, 192, true) + dblock(192, 384, true) + dblock(384, 768, true)
                + dblock(768, 1536, true) + dblock(1536, 1536, false);
        assertEquals(86_433_312, blocks);              // 86_112 + 516_672 + 2_065_536 + 8_259_840 + 33_034_752 + 42_470_400
        assertEquals(11_521, attention(96));           // 2*96*12 + 96*48 + 48*96 + 1
        long f = blocks + attention(96) + linear(1536, 1);
        assertEquals(86_446_370, f);
        // BigGAN's published 128 px D (BigGAN-PyTorch: 87_982_370) = the same body + linear + a 1000 x 1536 class
        // projection embedding, which BigBiGAN's unconditional F does not have.
        assertEquals(87_982_370, f + 1000L * 1536);
        long h = mlp(120, 2048, 4);                    // 247_808 + 4 * 2 * 4_196_352 + 2_049
        assertEquals(33_820_673, h);
        long j = mlp(1536 + 2048, 2048, 4);            // 7_342_080 + 33_570_816 + 2_049
        assertEquals(40_914_945, j);
        assertEquals(161_181_988, f + h + j);

        // The modules themselves, built part by part to keep memory low (~1.7 s). No forward at 128 px: a batch-1
        // forward takes 0.9-2 s on 2 cores.
        Module fNet = new JointDiscriminator.ImageConvNet(c);
        assertEquals(f, count(fNet));
        fNet.close();
        Module hNet = new ResidualMlp(c.zDim(), c.hWidth(), c.hBlocks());
        assertEquals(h, count(hNet));
        hNet.close();
        Module jNet = new ResidualMlp(c.fFeatures() + c.hWidth(), c.jWidth(), c.jBlocks());
        assertEquals(j, count(jNet));
        jNet.close();
    }

    private static long count(Module m) {
        try (StepScope s = StepScope.open()) {
            return Modules.parameterCount(m);
        }
    }
}
