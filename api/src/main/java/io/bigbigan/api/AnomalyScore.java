package io.bigbigan.api;

import java.util.Locale;

/**
 * The anomaly scores of a trained BiGAN (higher = more unusual), by the names {@code bigbigan score --score} uses.
 * The library's models hold G and E only, so {@link AnomalyScorer} computes the reconstruction scores; the others
 * read the discriminator D and are computed by {@code bigbigan score} and {@code bigbigan evaluate --metrics anomaly}
 * from a training checkpoint.
 */
public enum AnomalyScore {
    /** ||x - G(E(x))||_2 over the model's pixels in [0, 1]. */
    RECON("recon", false),
    /** ||x - G(E(x))||_1 over the model's pixels in [0, 1]. */
    RECON_L1("recon-l1", false),
    /** -D(x, E(x)), D's main (joint) score negated. Needs D. */
    DISC("disc", true),
    /** -s_x(x), BigBiGAN's unary image score negated. Needs D. */
    DISC_SX("disc-sx", true),
    /** -s_xz(x, E(x)), BigBiGAN's joint score negated. Needs D. */
    DISC_SXZ("disc-sxz", true),
    /** EGBAD's feature matching: ||f(x, E(x)) - f(G(E(x)), E(x))||_1 over D's last hidden layer. Needs D. */
    FEATURE("feature", true),
    /** EGBAD's (1 - alpha) * recon-l1 + alpha * feature. Needs D. */
    COMBINED("combined", true);

    private final String id;
    private final boolean needsDiscriminator;

    AnomalyScore(String id, boolean needsDiscriminator) {
        this.id = id;
        this.needsDiscriminator = needsDiscriminator;
    }

    /** The command-line name, e.g. {@code recon-l1}. */
    public String id() { return id; }

    /** Whether the score reads the discriminator D (which inference bundles do not hold). */
    public boolean needsDiscriminator() { return needsDiscriminator; }

    /**
     * Parses a command-line name.
     *
     * @throws IllegalArgumentException listing the names
     */
    public static AnomalyScore parse(String s) {
        String k = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (AnomalyScore a : values()) if (a.id.equals(k)) return a;
        throw new IllegalArgumentException("anomaly score '" + s + "': expected recon, recon-l1, disc, disc-sx, "
                + "disc-sxz, feature or combined");
    }
}
