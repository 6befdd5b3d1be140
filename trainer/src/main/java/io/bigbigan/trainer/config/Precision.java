package io.bigbigan.trainer.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Numeric precision of the forward passes; master weights, gradients and optimiser state stay fp32. */
public enum Precision {
    /** Everything in fp32. */
    FP32("fp32"),
    /** Forward passes under bf16 autocast (matrix products and convolutions in bfloat16), losses in fp32. */
    BF16("bf16");

    private final String id;

    Precision(String id) { this.id = id; }

    @JsonValue
    public String id() { return id; }

    /** Parses {@code fp32} or {@code bf16}. */
    @JsonCreator
    public static Precision parse(String s) {
        for (Precision p : values()) if (p.id.equalsIgnoreCase(s) || p.name().equalsIgnoreCase(s)) return p;
        throw new IllegalArgumentException("unknown precision '" + s + "' (expected fp32 or bf16)");
    }
}
