package io.bigbigan.api;

import java.util.Locale;

/** The numeric precision of a model's forward passes. Results are always float32. */
public enum Precision {
    /** Everything in float32: the exact figures (the default). */
    FP32,
    /**
     * Forward passes under bfloat16 autocast (matrix products and convolutions in bf16); each call casts the weights
     * it uses, so it pays off for batches rather than single images.
     */
    BF16,
    /** bf16 on CUDA and on CPUs that multiply bfloat16 in hardware (AVX512-BF16 or AMX), fp32 elsewhere. */
    AUTO;

    /**
     * Parses {@code fp32}, {@code bf16} or {@code auto} (any case).
     *
     * @throws IllegalArgumentException naming the value when it is none of these
     */
    public static Precision parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (Precision p : values()) if (p.id().equals(v)) return p;
        throw new IllegalArgumentException("precision '" + s + "': expected fp32, bf16 or auto");
    }

    /** The lower-case name: {@code fp32}, {@code bf16} or {@code auto}. */
    public String id() { return name().toLowerCase(Locale.ROOT); }
}
