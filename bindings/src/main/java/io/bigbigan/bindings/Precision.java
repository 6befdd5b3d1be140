package io.bigbigan.bindings;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.bigbigan.nativelib.CpuFeatures;

/**
 * Numeric precision of the forward passes; with fp32 and bf16 the master weights, gradients and optimiser state stay
 * fp32. fp64 runs everything in float64 (weights, optimiser state, activations, latents): slow, meant for checking
 * the arithmetic against a reference without float32 rounding (the PyTorch twin's step replay, docs/pytorch-twin.md).
 */
public enum Precision {
    /** Everything in fp32. */
    FP32("fp32"),
    /** Forward passes under bf16 autocast (matrix products and convolutions in bfloat16), losses in fp32. */
    BF16("bf16"),
    /** Everything in float64 (for equivalence checks; see the class comment). */
    FP64("fp64");

    private final String id;

    Precision(String id) { this.id = id; }

    @JsonValue
    public String id() { return id; }

    /** Parses {@code fp32}, {@code bf16} or {@code fp64} (what a configuration records). */
    @JsonCreator
    public static Precision parse(String s) {
        for (Precision p : values()) if (p.id.equalsIgnoreCase(s) || p.name().equalsIgnoreCase(s)) return p;
        throw new IllegalArgumentException("unknown precision '" + s + "' (expected fp32, bf16 or fp64)");
    }

    /** What {@code auto} means on this host: bf16 on CUDA or with native CPU bf16, else fp32. */
    public static Precision auto(boolean cuda) {
        return cuda || CpuFeatures.host().nativeBf16() ? BF16 : FP32;
    }
}
