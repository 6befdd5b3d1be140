package io.bigbigan.bindings;

import io.bigbigan.nativelib.Torch;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Creating and reading tensors from Java values. Every tensor returned owns its memory. */
public final class Tensors {
    private Tensors() {}

    /**
     * A 4-D {@code t} in channels-last (NHWC) memory layout with strides that LibTorch recognises as channels-last
     * ({@code suggest_memory_format}), so that convolutions pick their channels-last kernels and produce
     * channels-last outputs. {@code contiguous(ChannelsLast)} alone leaves the standard strides on tensors whose
     * layouts coincide (one channel, as images and the first layers' weights have), and a convolution reading
     * only such tensors then runs, and hands the next layer, in the standard layout (a conversion per layer and
     * pass). Returns {@code t} itself when nothing is to be done.
     */
    public static Tensor channelsLast(Tensor t) {
        Tensor c = t.contiguous(torch.MemoryFormat.ChannelsLast);
        if (c.dim() != 4 || c.suggest_memory_format().intern() == torch.MemoryFormat.ChannelsLast) return c;
        return torch.empty(c.sizes().vec().get(), c.options(),
                new org.bytedeco.pytorch.MemoryFormatOptional(torch.MemoryFormat.ChannelsLast)).copy_(c);
    }

    /** A float32 tensor of {@code shape} holding a copy of {@code values}. */
    public static Tensor of(float[] values, long... shape) {
        Torch.load();
        checkCount(values.length, shape);
        try (FloatPointer p = new FloatPointer(values)) {
            return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Float)).clone();
        }
    }

    /** An int64 tensor of {@code shape} holding a copy of {@code values}. */
    public static Tensor ofLongs(long[] values, long... shape) {
        Torch.load();
        checkCount(values.length, shape);
        try (LongPointer p = new LongPointer(values)) {
            return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Long)).clone();
        }
    }

    /** A uint8 tensor of {@code shape} holding a copy of {@code values}. */
    public static Tensor ofBytes(byte[] values, long... shape) {
        Torch.load();
        checkCount(values.length, shape);
        try (BytePointer p = new BytePointer(values)) {
            return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Byte)).clone();
        }
    }

    /** The values of any numeric tensor, converted to float32, in row-major order. */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Float).cpu().contiguous();
        float[] out = new float[Math.toIntExact(c.numel())];
        c.data_ptr_float().get(out);
        return out;
    }

    /** The values of an integer tensor, converted to int64, in row-major order. */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Long).cpu().contiguous();
        long[] out = new long[Math.toIntExact(c.numel())];
        c.data_ptr_long().get(out);
        return out;
    }

    /** The tensor's shape. */
    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    /** A Scalar for arithmetic with tensors. */
    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /** Zeros of {@code shape}, float32. */
    public static Tensor zeros(long... shape) {
        Torch.load();
        return torch.zeros(shape, new TensorOptions(torch.ScalarType.Float));
    }

    private static void checkCount(int count, long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        if (n != count)
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n
                    + " values, got " + count);
    }

    /**
     * The name of the first floating-point tensor (in map order) holding a NaN or an infinity, or null when all are
     * finite; other dtypes are skipped. One reduction and one host read per tensor (for loading and saving, not steps).
     */
    public static String firstNonFinite(java.util.Map<String, Tensor> tensors) {
        try (StepScope s = StepScope.open()) {
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                if (t == null || !t.defined() || !t.is_floating_point() || t.numel() == 0) continue;
                if (!org.bytedeco.pytorch.global.torch.isfinite(t).all().item_bool()) return e.getKey();
            }
        }
        return null;
    }
}
