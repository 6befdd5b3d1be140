package io.bigbigan.trainer.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Which discriminator scores the BigBiGAN objective uses: the ablations of Donahue &amp; Simonyan 2019, Section 3.1
 * and Table 1 (rows "s_xz only", "+ s_x", "+ s_z", and the BigGAN baseline without an encoder).
 *
 * <p>JSON value: the lower-case id ({@code full}, {@code joint_only}, ...). A configuration without the key reads as
 * {@link #FULL} (see {@link RunConfig#fromJson(String, int)}). The BiGAN MLP has only a joint score, so it accepts
 * {@link #FULL} and {@link #JOINT_ONLY} (identical there) and rejects the others.
 */
public enum Objective {
    /** s_x + s_z + s_xz: the full BigBiGAN objective (the default). */
    FULL("full", true, true, true, true),
    /** s_xz only: the original BiGAN objective (Donahue et al. 2017) on BigBiGAN's networks. */
    JOINT_ONLY("joint_only", false, false, true, true),
    /** s_xz + s_x: the joint score plus the image unary term. */
    X_UNARY("x_unary", true, false, true, true),
    /** s_xz + s_z: the joint score plus the latent unary term. */
    Z_UNARY("z_unary", false, true, true, true),
    /**
     * Plain BigGAN (Brock et al. 2019): only s_x, real images x against G(z); the encoder is neither used in the
     * losses nor updated.
     */
    NO_ENCODER("no_encoder", true, false, false, false);

    private final String id;
    private final boolean sx, sz, sxz, trainsEncoder;

    Objective(String id, boolean sx, boolean sz, boolean sxz, boolean trainsEncoder) {
        this.id = id;
        this.sx = sx;
        this.sz = sz;
        this.sxz = sxz;
        this.trainsEncoder = trainsEncoder;
    }

    @JsonValue
    public String id() { return id; }

    /** Whether the loss includes the image unary score s_x. */
    public boolean usesSx() { return sx; }

    /** Whether the loss includes the latent unary score s_z. */
    public boolean usesSz() { return sz; }

    /** Whether the loss includes the joint score s_xz. */
    public boolean usesSxz() { return sxz; }

    /** Whether E is trained (false only for {@link #NO_ENCODER}). */
    public boolean trainsEncoder() { return trainsEncoder; }

    /** Parses an id ({@code full}, {@code joint_only}, {@code x_unary}, {@code z_unary}, {@code no_encoder}) or enum name. */
    @JsonCreator
    public static Objective parse(String s) {
        for (Objective o : values()) if (o.id.equalsIgnoreCase(s) || o.name().equalsIgnoreCase(s)) return o;
        throw new IllegalArgumentException("unknown objective '" + s
                + "' (expected full, joint_only, x_unary, z_unary or no_encoder)");
    }
}
