package io.bigbigan.model.bigbigan;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.bigbigan.EncoderConfig.BlockSpec;
import io.bigbigan.model.bigbigan.EncoderConfig.BlockType;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The paper's backbones: ResNet-v2-50 and RevNet-50 (Kolesnikov et al. 2019), with the 4096-wide head. */
class ResNet50EncoderTest {

    // ---- hand arithmetic ------------------------------------------------------------------------------------

    /** Pre-activation bottleneck in -> m -> c: bn1 2*in, conv1 in*m, bn2 2m, conv2 9m^2, bn3 2m, conv3 m*c. */
    static long bottleneck(long in, long m, long c, boolean projection) {
        return 2 * in + in * m + 2 * m + 9 * m * m + 2 * m + m * c + (projection ? in * c : 0);
    }

    /** Reversible block on c channels: F and G, each a bottleneck c/2 -> c/8 -> c/2 without shortcut. */
    static long reversible(long c) {
        return 2 * bottleneck(c / 2, c / 8, c / 2, false);
    }

    /**
     * ResNet-v2-50 / RevNet-50 x w backbone: stem 7x7 3->64w (no bias), four stages (first block projects, the
     * rest are bottlenecks or reversible blocks), final BN on 2048w.
     */
    static long backbone50(int w, boolean rev, int... depths) {
        long n = 49L * 3 * 64 * w, in = 64L * w;
        for (int s = 0; s < 4; s++) {
            long m = (64L * w) << s, c = 4 * m;
            n += bottleneck(in, m, c, true);
            n += (depths[s] - 1) * (rev ? reversible(c) : bottleneck(c, m, c, false));
            in = c;
        }
        return n + 2 * in;
    }

    /** Paper head on f features: fc_in f*4096+4096, 2 blocks x 2 x (4096^2+4096), out 4096*240+240. */
    static long paperHead(long f) {
        return f * 4096 + 4096 + 2 * 2 * (4096L * 4096 + 4096) + 4096L * 240 + 240;
    }

    @Test
    void handArithmeticTotals() {
        // ResNet-v2-50 x1 = ResNet-50 (v1, no fc) 23,508,032 - 53,120 v1 BN params + 45,440 v2 BN params:
        // v1 BN: stem 128 + 12m per block (45,312) + 8m per projection (7,680); v2 BN: bn1 on each block's input
        // (3,712 + 22,528), bn2/bn3 4m per block (15,104), final 2*2048 (4,096); identical convs (23,454,912).
        assertEquals(23_508_032 - 53_120 + 45_440, backbone50(1, false, 3, 4, 6, 3));
        assertEquals(23_500_352, backbone50(1, false, 3, 4, 6, 3));
        assertEquals(76_501_232, paperHead(2048));
        assertEquals(100_001_584, backbone50(1, false, 3, 4, 6, 3) + paperHead(2048));
        assertEquals(15_771_200, backbone50(1, true, 3, 4, 6, 3));
        assertEquals(251_681_024, backbone50(4, true, 3, 4, 6, 3));
        assertEquals(353_348_080, backbone50(4, true, 3, 4, 6, 3) + paperHead(8192));   // RevNet-50 x4 E
        assertEquals(375_347_456, backbone50(4, false, 3, 4, 6, 3));
        assertEquals(477_014_512, backbone50(4, false, 3, 4, 6, 3) + paperHead(8192));  // ResNet-v2-50 x4 E
    }

    @Test
    void resnetV2x50ParametersAndForwardAt64px() {
        StochasticEncoder e = new StochasticEncoder(EncoderConfig.resnet50(1, 64, 120));
        assertEquals(backbone50(1, false, 3, 4, 6, 3), Modules.parameterCount(e.backbone()));
        assertEquals(paperHead(2048), Modules.parameterCount(e.head()));
        assertEquals(100_001_584, Modules.parameterCount(e));
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            long t0 = System.nanoTime();
            StochasticEncoder.Output o = e.forward(torch.rand(2, 3, 64, 64), torch.createCPUGenerator(1));
            System.out.printf("ResNet-v2-50 x1 forward, batch 2 at 64 px: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            assertArrayEquals(new long[]{2, 2048}, Tensors.shape(o.pooled()));
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(o.z()));
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(o.sigma()));
        }
        var names = Modules.state(e).keySet();
        for (String n : new String[]{"backbone.stages.0.0.conv3.weight", "backbone.stages.0.0.shortcut.weight",
                "backbone.stages.2.5.bn3.running_var", "backbone.bn_out.bias", "head.blocks.1.fc2.weight"})
            assertTrue(names.contains(n), n);
        assertTrue(!names.contains("backbone.stages.0.1.shortcut.weight"));
    }

    @Test
    void revnet50ParametersAndForwardAt64px() {
        EncoderConfig c = EncoderConfig.revnet50(1, 64, 120).withHead(256, 1);
        StochasticEncoder e = new StochasticEncoder(c);
        assertEquals(backbone50(1, true, 3, 4, 6, 3), Modules.parameterCount(e.backbone()));
        assertTrue(e.backbone().stages().get(2).get(1) instanceof RevNetBlock);
        assertTrue(e.backbone().stages().get(2).get(0) instanceof EncoderBlock);
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            long t0 = System.nanoTime();
            StochasticEncoder.Output o = e.forward(torch.rand(2, 3, 64, 64));
            System.out.printf("RevNet-50 x1 forward, batch 2 at 64 px: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            assertArrayEquals(new long[]{2, 2048}, Tensors.shape(o.pooled()));
            assertArrayEquals(new long[]{2, 120}, Tensors.shape(o.mu()));
        }
        assertTrue(Modules.state(e).containsKey("backbone.stages.1.1.f.conv2.weight"));
        assertTrue(Modules.state(e).containsKey("backbone.stages.1.3.g.bn1.running_mean"));
    }

    @Test
    void revnetBlockIsInvertible() {
        RevNetBlock b = new RevNetBlock(new BlockSpec(BlockType.REVERSIBLE, 32, 4, 32, 1));
        // F, G: bottleneck 16 -> 4 -> 16 each: 2 * (32 + 64 + 8 + 144 + 8 + 64)
        assertEquals(2 * (32 + 16 * 4 + 8 + 9 * 16 + 8 + 4 * 16), Modules.parameterCount(b));
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.randn(2, 32, 8, 8);
            Tensor y = b.forward(x);                              // train mode, batch statistics
            assertArrayEquals(new long[]{2, 32, 8, 8}, Tensors.shape(y));
            assertTrue(y.sub(x).abs().max().item_float() > 1e-2, "the block is not the identity");
            assertTrue(b.inverse(y).sub(x).abs().max().item_float() < 1e-4, "train-mode inverse");
            b.eval();
            Tensor ye = b.forward(x);
            assertTrue(b.inverse(ye).sub(x).abs().max().item_float() < 1e-4, "eval-mode inverse");
        }
    }

    @Test
    void smallStageDepthsForTests() {
        EncoderConfig c = EncoderConfig.revnet50(1, 32, 16).withDepths(1, 2, 1, 1).withHead(64, 1);
        StochasticEncoder e = new StochasticEncoder(c);
        assertEquals(backbone50(1, true, 1, 2, 1, 1), Modules.parameterCount(e.backbone()));
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            StochasticEncoder.Output o = e.forward(torch.rand(2, 3, 40, 40));  // resized to 32
            assertArrayEquals(new long[]{2, 2048}, Tensors.shape(o.pooled()));
            assertArrayEquals(new long[]{2, 16}, Tensors.shape(o.z()));
        }
    }

    /** Builds the x4 encoders (350-480M parameters, ~2 GB): run with -Dbigbigan.bigTests=true. */
    @Test
    @EnabledIfSystemProperty(named = "bigbigan.bigTests", matches = "true")
    void x4ParameterCounts() {
        StochasticEncoder rev = new StochasticEncoder(EncoderConfig.revnet50(4, 256, 120));
        assertEquals(353_348_080, Modules.parameterCount(rev));
        rev.close();
        StochasticEncoder res = new StochasticEncoder(EncoderConfig.resnet50(4, 256, 120));
        assertEquals(477_014_512, Modules.parameterCount(res));
    }
}
