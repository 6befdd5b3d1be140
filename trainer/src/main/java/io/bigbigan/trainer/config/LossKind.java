package io.bigbigan.trainer.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The adversarial loss: the original BiGAN log-loss or the hinge loss of BigBiGAN. */
public enum LossKind {
    /** BiGAN (Donahue et al. 2017, eq. 3): D log-loss; E/G non-saturating (inverted labels). */
    LOGISTIC("log"),
    /** BigBiGAN (Donahue and Simonyan 2019, Section 2): D hinge; E/G minimise the sign-reversed score. */
    HINGE("hinge");

    private final String id;

    LossKind(String id) { this.id = id; }

    @JsonValue
    public String id() { return id; }

    /** Parses {@code log} or {@code hinge}. */
    @JsonCreator
    public static LossKind parse(String s) {
        for (LossKind k : values()) if (k.id.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) return k;
        throw new IllegalArgumentException("unknown loss '" + s + "' (expected log or hinge)");
    }
}
