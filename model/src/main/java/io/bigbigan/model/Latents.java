package io.bigbigan.model;

import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Latent priors with BigGAN's truncation trick (Brock et al. 2019, Section 3.1): values outside the truncation
 * threshold are re-drawn, trading variety for fidelity. Deterministic given the generator's state; drawn on the
 * generator's device.
 */
public final class Latents {
    private Latents() {
    }

    /**
     * N(0, I) truncated to [-t, t] by re-drawing, [n, dim]; {@code t <= 0} or infinite means no truncation.
     *
     * @throws IllegalArgumentException when {@code t} is NaN or in (0, 0.05) (re-drawing would take too long)
     */
    public static Tensor truncatedNormal(long n, long dim, double t, Generator generator) {
        check(t);
        TensorOptions f32 = new TensorOptions(torch.ScalarType.Float).device(new DeviceOptional(generator.device()));
        Tensor z = torch.randn(new long[]{n, dim}, new GeneratorOptional(generator), f32);    // [n, dim]
        if (t <= 0 || Double.isInfinite(t)) return z;
        Scalar limit = new Scalar(t);
        for (int round = 0; round < 10_000; round++) {
            Tensor outside = z.abs().gt(limit);                                                // [n, dim] bool
            if (!outside.any().item_bool()) return z;
            Tensor fresh = torch.randn(new long[]{n, dim}, new GeneratorOptional(generator), f32);
            z = torch.where(outside, fresh, z);
        }
        throw new IllegalStateException("truncation " + t + " did not converge");
    }

    /** Uniform on [-t, t] ({@code t} in (0, 1]; {@code t <= 0} means t = 1), [n, dim]: BiGAN's prior, truncated. */
    public static Tensor truncatedUniform(long n, long dim, double t, Generator generator) {
        check(t);
        double r = t <= 0 || t > 1 ? 1 : t;
        TensorOptions f32 = new TensorOptions(torch.ScalarType.Float).device(new DeviceOptional(generator.device()));
        return torch.rand(new long[]{n, dim}, new GeneratorOptional(generator), f32)    // [n, dim]
                .mul(new Scalar(2 * r)).sub(new Scalar(r));
    }

    private static void check(double t) {
        if (Double.isNaN(t) || (t > 0 && t < 0.05))
            throw new IllegalArgumentException("truncation must be 0 (none) or at least 0.05, got " + t);
    }
}
