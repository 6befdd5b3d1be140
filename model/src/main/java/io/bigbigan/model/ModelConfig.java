package io.bigbigan.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * An architecture, as data. Serialised with a {@code "kind"} tag; configurations written before the tag existed
 * (BiGAN MLP only) read as {@code bigan-mlp}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind", defaultImpl = BiganMlpConfig.class)
@JsonSubTypes({
        @JsonSubTypes.Type(value = BiganMlpConfig.class, name = "bigan-mlp"),
        @JsonSubTypes.Type(value = BigBiganConfig.class, name = "bigbigan"),
})
public interface ModelConfig {
    /** Size of the latent z. */
    int latentDim();
}
