package io.bigbigan.model.bigbigan;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.layers.Initializers;
import org.bytedeco.pytorch.Scalar;
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

class GeneratorTest {

    /** Parameters of a GBlock: cbn1 (2 x cond x in), cbn2 (2 x cond x out), conv1, conv2 (3x3 + bias), 1x1 shortcut. */
    private static long gblock(long in, long out, long cond) {
        return 2 * cond * in + 2 * cond * out + (in * out * 9 + out) + (out * out * 9 + out) + (in * out + out);
    }

    private static void assertInOpenUnitInterval(Tensor x) {
        for (float f : Tensors.toFloats(x)) assertTrue(f > -1 && f < 1, "tanh output in (-1, 1): " + f);
    }

    @Test
    void blockUpsamplesAndChangesChannels() {
        GeneratorBlock block = new GeneratorBlock(new GBlockSpec(16, 8, true, 16), 10);
        try (StepScope s = StepScope.open()) {
            Tensor out = block.forward(torch.randn(2, 16, 8, 8), torch.randn(2, 10));
            assertArrayEquals(new long[]{2, 8, 16, 16}, Tensors.shape(out));
        }
        assertEquals(gblock(16, 8, 10), Modules.parameterCount(block));
        assertTrue(Modules.parameters(block).containsKey("conv_sc.weight_orig"));
    }

    @Test
    void blockWithoutUpsamplingKeepsAnIdentityShortcut() {
        GeneratorBlock block = new GeneratorBlock(new GBlockSpec(8, 8, false, 8), 4);
        try (StepScope s = StepScope.open()) {
            Tensor out = block.forward(torch.randn(2, 8, 8, 8), torch.randn(2, 4));
            assertArrayEquals(new long[]{2, 8, 8, 8}, Tensors.shape(out));
        }
        assertFalse(Modules.parameters(block).keySet().stream().anyMatch(k -> k.startsWith("conv_sc")));
        assertEquals(gblock(8, 8, 4) - (8 * 8 + 8), Modules.parameterCount(block));
    }

    @Test
    void bigbigan32ShapesRangeAndCounts() {
        for (int channels : new int[]{1, 3}) {
            GeneratorConfig c = GeneratorConfig.bigbigan32(channels);
            assertEquals(4, c.numBlocks() + 1);
            assertEquals(30, c.chunkSize());
            assertEquals(30, c.conditioningDim());                     // the chunk alone: no shared embedding
            assertEquals(List.of(8, 16, 32), c.blocks().stream().map(GBlockSpec::resolution).toList());
            BigGanGenerator g = new BigGanGenerator(c);
            try (StepScope s = StepScope.open()) {
                Tensor x = g.forward(torch.randn(2, 120));
                assertArrayEquals(new long[]{2, channels, 32, 32}, Tensors.shape(x));
                assertInOpenUnitInterval(x);
            }
            // linear: 30 -> 128*4*4 with bias; 3 blocks 128 -> 128 conditioned on 30; output BN (affine);
            // output conv 3x3 128 -> channels with bias
            long linear = 30L * 2048 + 2048;                            // 63,488
            long block = gblock(128, 128, 30);                          // 7,680 + 7,680 + 147,584 + 147,584 + 16,512 = 327,040
            long outBn = 2 * 128, outConv = 128L * channels * 9 + channels;
            assertEquals(327_040, block);
            assertEquals(linear + 3 * block + outBn + outConv, Modules.parameterCount(g));
            assertEquals(channels == 1 ? 1_046_017 : 1_048_323, Modules.parameterCount(g));
        }
    }

    @Test
    void table64WithSharedEmbeddingAndAttention() {
        // ch 8: in [128, 128, 64, 32], out [128, 64, 32, 16]; z 60 in 5 chunks of 12; shared 16-d of 1 class
        GeneratorConfig c = GeneratorConfig.biggan(64, 8, 60, 3, 32, 16, 1);
        assertEquals(28, c.conditioningDim());
        BigGanGenerator g = new BigGanGenerator(c);
        try (StepScope s = StepScope.open()) {
            Tensor x = g.forward(torch.randn(2, 60));
            assertArrayEquals(new long[]{2, 3, 64, 64}, Tensors.shape(x));
            assertInOpenUnitInterval(x);
            Tensor withLabels = g.forward(torch.randn(2, 60), Tensors.ofLongs(new long[]{0, 0}, 2));
            assertArrayEquals(new long[]{2, 3, 64, 64}, Tensors.shape(withLabels));
        }
        long shared = 16, linear = 12L * 128 * 16 + 128 * 16;
        long blocks = gblock(128, 128, 28) + gblock(128, 64, 28) + gblock(64, 32, 28) + gblock(32, 16, 28);
        long attention = 32 * 4 + 32 * 4 + 32 * 16 + 16 * 32 + 1;      // at 32 px, 32 channels
        long output = 2 * 16 + (16 * 3 * 9 + 3);
        assertEquals(shared + linear + blocks + attention + output, Modules.parameterCount(g));
    }

    @Test
    void everyChunkOfZReachesTheImage() {
        BigGanGenerator g = new BigGanGenerator(GeneratorConfig.biggan(32, 4, 40, 1, 0, 8, 1));  // 4 chunks of 10
        g.eval();                                                                                   // deterministic
        try (StepScope s = StepScope.open()) {
            Tensor z = torch.randn(2, 40);
            Tensor x = g.forward(z);
            assertTrue(torch.equal(x, g.forward(z.clone())), "eval forward is deterministic");
            for (int chunk = 1; chunk < 4; chunk++) {
                Tensor z2 = z.clone();
                z2.narrow(1, chunk * 10L, 10).add_(new Scalar(1.0));                               // this chunk only
                Tensor d = g.forward(z2).sub(x).abs().max();
                assertTrue(d.item_double() > 1e-4, "chunk " + chunk + " changes the output: " + d.item_double());
            }
        }
    }

    @Test
    void namesArePyTorchStyle() {
        BigGanGenerator g = new BigGanGenerator(GeneratorConfig.biggan(32, 4, 40, 3, 16, 8, 1));
        Set<String> names = Modules.state(g).keySet();
        for (String n : new String[]{"shared.weight", "linear.weight_orig", "linear.bias", "linear.weight_u",
                "blocks.0.cbn1.gain.weight_orig", "blocks.0.cbn1.bias.weight_orig", "blocks.0.cbn1.bn.running_var",
                "blocks.0.conv1.weight_orig", "blocks.0.conv1.weight_v", "blocks.2.conv_sc.weight_orig",
                "attention.theta.weight_orig", "attention.gamma", "output_bn.weight", "output_bn.running_mean",
                "output_conv.weight_orig", "output_conv.bias"})
            assertTrue(names.contains(n), n + " in " + names);
        assertEquals(3, g.blocks().size());
    }

    @Test
    void orthogonalInitialisation() {
        try (StepScope s = StepScope.open()) {
            Tensor w = Initializers.orthogonal_(torch.empty(16, 64));                 // rows orthonormal
            assertTrue(torch.allclose(w.mm(w.t()), torch.eye(16), 1e-5, 1e-5, false));
            Tensor tall = Initializers.orthogonal_(torch.empty(64, 16));              // columns orthonormal
            assertTrue(torch.allclose(tall.t().mm(tall), torch.eye(16), 1e-5, 1e-5, false));
            Tensor conv = Initializers.orthogonal_(torch.empty(8, 4, 3, 3)).reshape(8, 36);
            assertTrue(torch.allclose(conv.mm(conv.t()), torch.eye(8), 1e-5, 1e-5, false));

            BigGanGenerator g = new BigGanGenerator(GeneratorConfig.bigbigan32(1));
            Map<String, Tensor> p = Modules.parameters(g);
            Tensor lin = p.get("linear.weight_orig").detach();                       // [2048, 30]
            assertTrue(torch.allclose(lin.t().mm(lin), torch.eye(30), 1e-4, 1e-4, false));
            Tensor c1 = p.get("blocks.1.conv1.weight_orig").detach().reshape(128, -1); // [128, 1152]
            assertTrue(torch.allclose(c1.mm(c1.t()), torch.eye(128), 1e-4, 1e-4, false));
        }
    }

    @Test
    void paper128Count() {
        GeneratorConfig c = GeneratorConfig.paper128();
        assertEquals(6, c.numBlocks() + 1);
        assertEquals(20, c.chunkSize());
        assertEquals(148, c.conditioningDim());                                        // 128 shared + 20 chunk
        assertEquals(List.of(1536, 1536, 768, 384, 192), c.blocks().stream().map(GBlockSpec::in).toList());
        assertEquals(List.of(1536, 768, 384, 192, 96), c.blocks().stream().map(GBlockSpec::out).toList());
        long shared = 1 * 128;                                                         // 1 dummy class
        long linear = 20L * 1536 * 16 + 1536 * 16;                                     // 516,096
        long blocks = gblock(1536, 1536, 148) + gblock(1536, 768, 148) + gblock(768, 384, 148)
                + gblock(384, 192, 148) + gblock(192, 96, 148);
        assertEquals(45_740_544L + 17_789_184 + 4_618_368 + 1_240_128 + 352_800, blocks);  // 69,741,024
        long attention = 192 * 24 + 192 * 24 + 192 * 96 + 96 * 192 + 1;              // at 64 px: 46,081
        long output = 2 * 96 + (96 * 3 * 9 + 3);                                       // 192 + 2,595
        long expected = shared + linear + blocks + attention + output;
        assertEquals(70_306_116L, expected);
        // BigGAN 128 (1000 classes) differs only in the shared embedding: +999 x 128 = 70,433,988 (~70.4M)
        assertEquals(70_433_988L, expected + 999L * 128);
        BigGanGenerator g = new BigGanGenerator(c, false);                             // count only; skip ortho QR
        assertEquals(expected, Modules.parameterCount(g));
    }

    @Test
    void invalidConfigurationsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GeneratorConfig.biggan(32, 4, 121, 1, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> GeneratorConfig.biggan(48, 4, 120, 1, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> GeneratorConfig.biggan(32, 4, 120, 1, 64, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new GeneratorConfig(4, 120, 1, 4,
                List.of(new GBlockSpec(16, 16, true, 8), new GBlockSpec(8, 8, true, 16)), 0, 0, 1));
        BigGanGenerator g = new BigGanGenerator(GeneratorConfig.biggan(32, 4, 40, 1, 0, 0, 1));
        try (StepScope s = StepScope.open()) {
            assertThrows(IllegalArgumentException.class, () -> g.forward(torch.randn(2, 40), torch.zeros(2)));
            assertThrows(IllegalArgumentException.class, () -> g.forward(torch.randn(2, 30)));
        }
    }
}
