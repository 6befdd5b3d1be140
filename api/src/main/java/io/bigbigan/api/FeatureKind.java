package io.bigbigan.api;

/** Which encoder output {@link BigBiganModel#encode} returns. */
public enum FeatureKind {
    /** The deterministic latent code: E(x) for the BiGAN MLP, the posterior mean mu for BigBiGAN ([latentDim]). */
    LATENT,
    /** z sampled from E's posterior, z = mu + eps * sigma with seeded eps (equals {@link #LATENT} for deterministic E). */
    SAMPLED,
    /** The representation evaluated downstream: the MLP's penultimate layer, BigBiGAN's pooled backbone features. */
    POOLED;

    /** Parses {@code latent}, {@code mu}, {@code sampled}, {@code z}, {@code pooled} or {@code penultimate}. */
    public static FeatureKind parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "latent", "mu" -> LATENT;
            case "sampled", "z" -> SAMPLED;
            case "pooled", "penultimate" -> POOLED;
            default -> throw new IllegalArgumentException("feature kind '" + s
                    + "': expected latent (mu), sampled (z) or pooled (penultimate)");
        };
    }
}
