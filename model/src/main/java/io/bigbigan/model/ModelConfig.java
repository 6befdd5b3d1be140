package io.bigbigan.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * An architecture, as data. Serialised with a {@code "kind"} tag; configurations written before the tag existed
 * (BiGAN MLP only) read as {@code bigan-mlp}. Sealed: each kind's adapter ({@link #modelKind()}) answers what the
 * rest of the system needs to know about it.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind", defaultImpl = BiganMlpConfig.class)
@JsonSubTypes({
        @JsonSubTypes.Type(value = BiganMlpConfig.class, name = "bigan-mlp"),
        @JsonSubTypes.Type(value = BigBiganConfig.class, name = "bigbigan"),
})
public sealed interface ModelConfig permits BiganMlpConfig, BigBiganConfig {
    /** Size of the latent z. */
    int latentDim();

    /** What this architecture means to trainer, CLI and inference: images, inputs, prior, networks, features. */
    ModelKind modelKind();
}
