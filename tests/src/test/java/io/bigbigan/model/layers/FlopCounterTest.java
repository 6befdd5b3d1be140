package io.bigbigan.model.layers;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** FLOP counts of the matmul layers against hand-computed values (one multiply-add = 2 FLOPs). */
class FlopCounterTest {
    @Test
    void linearCountsForwardAndTheWeightGradientOnly() {
        SNLinear fc = new SNLinear(3, 4);
        try (StepScope s = StepScope.open(); FlopCounter c = FlopCounter.open()) {
            fc.forward(torch.randn(5, 3));                     // [5, 4]: 5*4 outputs x 3 MACs x 2
            assertEquals(120, c.forwardFlops());
            assertEquals(120, c.backwardFlops());             // input needs no gradient: weight gradient only
            c.reset();
            fc.forward(torch.randn(5, 3).requires_grad_(true));
            assertEquals(240, c.backwardFlops());             // and the input gradient
            c.reset();
            try (NoGradGuard g = new NoGradGuard()) {
                fc.forward(torch.randn(5, 3));
            }
            assertEquals(120, c.forwardFlops());
            assertEquals(0, c.backwardFlops());               // no graph, no backward
        }
    }

    @Test
    void convolutionCountsKernelTimesInputChannelsPerOutput() {
        SNConv2d conv = new SNConv2d(2, 3, 3);
        try (StepScope s = StepScope.open(); FlopCounter c = FlopCounter.open()) {
            Tensor y = conv.forward(torch.randn(1, 2, 4, 4));  // [1, 3, 4, 4]
            assertEquals(48, y.numel());
            assertEquals(2 * 48 * 2 * 9, c.forwardFlops());
        }
    }

    @Test
    void selfAttentionCountsItsFourConvolutionsAndTwoProducts() {
        SelfAttention attn = new SelfAttention(16);
        try (StepScope s = StepScope.open(); FlopCounter c = FlopCounter.open()) {
            attn.forward(torch.randn(2, 16, 8, 8));
            // theta, phi 16->2 (256 outputs x 16), g 16->8 (1024 x 16), theta^T phi (2x64x16 outputs x 2),
            // g beta^T (2x8x64 outputs x 16), o 8->16 (2048 x 8); x2 FLOPs per MAC
            assertEquals(2L * (256 * 16 * 2 + 1024 * 16 + 2048 * 2 + 1024 * 16 + 2048 * 8), c.forwardFlops());
            // weights of all four convolutions, both operands of both products, and o's input
            assertEquals(2L * (256 * 16 * 2 + 1024 * 16 + 2 * 2048 * 2 + 2 * 1024 * 16 + 2 * 2048 * 8), c.backwardFlops());
        }
    }

    @Test
    void nothingIsCountedOutsideAnOpenCounterAndNestingRestoresTheOuterOne() {
        SNLinear fc = new SNLinear(3, 4);
        try (StepScope s = StepScope.open()) {
            fc.forward(torch.randn(5, 3));
            try (FlopCounter outer = FlopCounter.open()) {
                try (FlopCounter inner = FlopCounter.open()) {
                    fc.forward(torch.randn(1, 3));
                    assertEquals(24, inner.forwardFlops());
                }
                assertEquals(0, outer.forwardFlops());
                fc.forward(torch.randn(1, 3));
                assertEquals(24, outer.forwardFlops());
            }
        }
    }
}
