package io.bigbigan.model;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;

/**
 * Everything outside the model that depends on which architecture a {@link ModelConfig} describes, answered in one
 * place per kind ({@link BiganMlpKind}, {@link BigBiganKind}), reached as {@link ModelConfig#modelKind()}: the
 * images the networks read, how images become network inputs and G's outputs become images, the latent prior,
 * the networks' construction and E's feature spaces. Trainer, CLI and inference API all ask here instead of
 * switching on the configuration's type.
 *
 * <p>Methods transform tensors only: moving to a device, precision casts and memory layout stay with the callers,
 * in their own order.
 */
public sealed interface ModelKind permits BiganMlpKind, BigBiganKind {
    /** The configuration's JSON kind tag ({@code bigan-mlp}, {@code bigbigan}). */
    String name();

    /** Side of the square images the networks read (and G makes). */
    int imageSize();

    /** Channels of the images the networks read: 1 grey, 3 RGB. */
    int imageChannels();

    /** Channels of G's images (the MLP's flattened outputs are grey). */
    int outputChannels();

    /** Size of the latent z. */
    int latentDim();

    /** Size of E's pooled (BigBiGAN) or penultimate (MLP) features. */
    int featureDim();

    /** Whether E's posterior is stochastic (a sampled z that differs from its mean). */
    boolean stochasticEncoder();

    /** Whether the networks are convolutional (their activations grow with the pixels). */
    boolean convolutional();

    /** G, E and D, freshly initialised, under one module as {@code G.*}, {@code E.*}, {@code D.*}. */
    Module build();

    /** A G of this architecture for inference or as an EMA copy (weights to be copied in, not initialised). */
    Module newGenerator();

    /** An E of this architecture for inference or as an EMA copy. */
    Module newEncoder();

    /** D's named parts of {@code networks}, a module from {@link #build} (BigBiGAN: F, H, J); empty when D has none. */
    LinkedHashMap<String, Module> discriminatorParts(Module networks);

    /**
     * Checks that dataset images [B, C, H, W] suit the networks.
     *
     * @throws IllegalArgumentException naming {@code preset} and the shape
     */
    void checkImages(Tensor images, String preset);

    /**
     * Images [B, C, S, S] in [0, 1] -> network inputs: flattened [B, C*S*S] (MLP) or padded/resized to
     * {@code networkSize} and scaled to [-1, 1] (BigBiGAN, see {@link ModelInputs#squareSigned}).
     */
    Tensor toInputs(Tensor images, long networkSize);

    /** G's outputs (network space) -> images [B, C, R, R] in [0, 1]. */
    Tensor toImages(Tensor outputs);

    /** G(z), in network space ({@code generator} from {@link #build} or {@link #newGenerator}). */
    Tensor generate(Module generator, Tensor z);

    /**
     * E's features of network inputs ({@code encoder} from {@link #build} or {@link #newEncoder}); posterior noise
     * from {@code noise}, or the default generator when null.
     */
    Encoding encode(Module encoder, Tensor inputs, Generator noise);

    /**
     * Names of {@link Encoding#latent()} and {@link Encoding#pooled()} in evaluation reports, in that order
     * ({@code E(x)}, {@code E penultimate} for the MLP; {@code E mu}, {@code E pooled} for BigBiGAN).
     */
    String[] featureNames();

    /** Latents from the prior, [n, latentDim] on the generator's device; {@code truncation} as {@link Latents}. */
    Tensor prior(long n, Generator generator, double truncation);

    /** Random network inputs in the range and shape the networks read (stand-ins for real data), float32 on the CPU. */
    Tensor randomInputs(long n, Generator generator);

    /**
     * How images of side {@code imageSize} (0: the networks' own) become network inputs.
     *
     * @throws IllegalArgumentException when this kind cannot read such images
     */
    Inputs inputs(int imageSize);

    /**
     * E's outputs for one batch.
     *
     * @param latent  the deterministic code E(x) (the posterior mean for a stochastic E), [B, z]
     * @param sampled a posterior sample (= latent for a deterministic E), [B, z]
     * @param pooled  the pooled (BigBiGAN) or penultimate (MLP) features, [B, F]
     */
    record Encoding(Tensor latent, Tensor sampled, Tensor pooled) {}

    /**
     * The input convention: images {@code imageSize} x {@code imageSize} with {@code channels} channels, scaled to
     * [{@code inputMin}, {@code inputMax}], then {@code toNetwork} ({@code flatten}, {@code pad} or
     * {@code resize}) to {@code networkSize}.
     */
    record Inputs(int imageSize, int channels, double inputMin, double inputMax, String toNetwork, int networkSize) {}
}
