package io.bigbigan.tools;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.step.ComputeDevice;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.Locale;

/**
 * The machine's matrix-multiply ceiling as LibTorch reaches it: the best GFLOP/s of square {@code torch.mm} products
 * in fp32 (on the CPU: OpenBLAS's sgemm) and in bf16 (oneDNN: AMX or AVX512-BF16 where the CPU has them), at the
 * thread count in effect, so that a training step's achieved GFLOP/s can be read as a fraction of what one large
 * product gets. A step is made of many smaller products, element-wise work and memory traffic, so it stays below.
 *
 * @param n          the side of the square products
 * @param fp32Gflops the best fp32 rate measured
 * @param bf16Gflops the best bf16 rate measured
 */
record GemmCeiling(int n, double fp32Gflops, double bf16Gflops) {
    /** Side of the products: large enough for the blocked kernels' peak, small enough to take ~10-50 ms each on a CPU. */
    static final int SIDE = 2048;

    /** Measures both precisions on {@code device}, about {@code seconds} each, keeping the best rate of several runs. */
    static GemmCeiling measure(Device device, double seconds) {
        return new GemmCeiling(SIDE, best(device, torch.ScalarType.Float, seconds),
                best(device, torch.ScalarType.BFloat16, seconds));
    }

    private static double best(Device device, torch.ScalarType dtype, double seconds) {
        boolean cuda = ComputeDevice.isCuda(device);
        double flops = 2.0 * SIDE * SIDE * SIDE, best = 0;
        try (StepScope s = StepScope.open()) {
            var gen = torch.createCPUGenerator(3);
            var f = new TensorOptions(torch.ScalarType.Float);
            Tensor a = ComputeDevice.move(torch.randn(new long[]{SIDE, SIDE}, new GeneratorOptional(gen), f).to(dtype), device, false);
            Tensor b = ComputeDevice.move(torch.randn(new long[]{SIDE, SIDE}, new GeneratorOptional(gen), f).to(dtype), device, false);
            Tensor out = torch.mm(a, b);                                     // warm-up (kernel selection, pages)
            if (cuda) torch.cuda_synchronize();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int runs = 0;
            while (runs < 3 || System.nanoTime() < end) {
                long t0 = System.nanoTime();
                torch.mm_out(out, a, b);
                if (cuda) torch.cuda_synchronize();
                best = Math.max(best, flops / ((System.nanoTime() - t0) / 1e9));
                runs++;
            }
        }
        return best / 1e9;
    }

    /** The ceiling of {@code bf16 ? bf16 : fp32}. */
    double of(boolean bf16) {
        return bf16 ? bf16Gflops : fp32Gflops;
    }

    /** One line: both ceilings. */
    String describe(int threads) {
        return String.format(Locale.ROOT, "gemm ceiling (torch.mm %d^3, %d threads): fp32 %.1f GFLOP/s, bf16 %.1f GFLOP/s",
                n, threads, fp32Gflops, bf16Gflops);
    }
}
