package io.bigbigan.tools;

import io.bigbigan.nativelib.CpuFeatures;
import io.bigbigan.bindings.Precision;

/**
 * The warning for bf16 that the CPU can only emulate. Without AVX512-BF16 or AMX-BF16 every bf16 matrix product is
 * converted to and from fp32 around fp32 arithmetic: on an AVX2-only CPU {@code bench --preset bigan-mlp} measured
 * 8.9 s per step in bf16 against 0.108 s in fp32 (about 80x). {@code --precision auto} already picks fp32 there; an
 * explicit {@code --precision bf16} runs as asked, with this warning.
 */
final class EmulatedBf16 {
    private EmulatedBf16() {}

    /**
     * The warning line for an explicit {@code --precision} of {@code given} that resolved to {@code resolved}, on a
     * CUDA device or not, with the CPU's {@code features}; null when bf16 is native (CUDA, AVX512-BF16, AMX-BF16), when
     * the precision is not bf16, or when it came from {@code auto} (which picks bf16 only where it is native).
     */
    static String warning(String given, Precision resolved, boolean cuda, CpuFeatures features) {
        if (given == null || resolved != Precision.BF16 || cuda || features.nativeBf16()) return null;
        if (given.trim().equalsIgnoreCase("auto")) return null;
        return "--precision bf16 on a CPU without native bf16 (no avx512_bf16 or amx_bf16; LibTorch dispatches "
                + features.capability() + "): bf16 products are emulated, measured about 80x slower than fp32 "
                + "(bigan-mlp: 8.9 s vs 0.108 s per step on AVX2); --precision auto picks fp32 here";
    }

    /** Prints {@link #warning} for this host as a {@code bigbigan: warning:} line on standard error, if any. */
    static String warnIfEmulated(String given, Precision resolved, boolean cuda) {
        String w = warning(given, resolved, cuda, CpuFeatures.host());
        if (w != null) System.err.println("bigbigan: warning: " + w);
        return w;
    }
}
