package io.bigbigan.trainer.config;

import io.bigbigan.bindings.Precision;

/** A command's {@code --precision} value: the training and inference precisions a user may name, and {@code auto}. */
public final class PrecisionOption {
    private PrecisionOption() {}

    /**
     * Parses a command's {@code --precision}: {@code fp32}, {@code bf16}, {@code fp64} or {@code auto}, which is bf16 on CUDA and
     * on a CPU that multiplies bfloat16 in hardware (AVX512-BF16 or AMX, {@code CpuFeatures.nativeBf16}), fp32
     * elsewhere (emulated bf16 is slower than fp32).
     *
     * @param cuda whether the command computes on a CUDA device
     * @throws OptionException naming the value when it is none of the four
     */
    public static Precision resolve(String s, boolean cuda) {
        return resolve(s, cuda, true);
    }

    /**
     * As {@link #resolve}, for the precision of inference ({@code --precision} of the commands that read a trained
     * model): fp32, bf16 or auto; fp64 is a training precision only.
     *
     * @throws OptionException naming the value when it is none of the three
     */
    public static Precision resolveInference(String s, boolean cuda) {
        return resolve(s, cuda, false);
    }

    private static Precision resolve(String s, boolean cuda, boolean training) {
        String v = s == null ? "" : s.trim();
        if (v.equalsIgnoreCase("auto")) return Precision.auto(cuda);
        for (Precision p : Precision.values())
            if ((training || p != Precision.FP64) && (p.id().equalsIgnoreCase(v) || p.name().equalsIgnoreCase(v))) return p;
        throw new OptionException(training
                ? "--precision: unknown precision '" + s + "' (expected fp32, bf16, fp64 or auto)"
                : "--precision: unknown inference precision '" + s + "' (expected fp32, bf16 or auto)");
    }
}
