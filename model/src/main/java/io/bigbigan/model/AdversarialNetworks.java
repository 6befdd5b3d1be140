package io.bigbigan.model;

import org.bytedeco.pytorch.Module;

/**
 * The three networks of an adversarial feature learner (Donahue et al. 2017, Section 3): generator G, encoder E and
 * joint discriminator D, registered under one module as {@code G.*}, {@code E.*} and {@code D.*}. Implementations
 * return their concrete network types.
 */
public interface AdversarialNetworks {
    /** G: latents -> images. */
    Module generator();

    /** E: images -> latents. */
    Module encoder();

    /** D: (image, latent) pairs -> scores. */
    Module discriminator();
}
