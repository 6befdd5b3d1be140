package io.bigbigan.api;

import io.bigbigan.bindings.Modules;
import io.bigbigan.model.ModelConfig;
import io.bigbigan.model.ModelKind;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/**
 * The inference half of a model: G and E only (no D, no optimisers), registered as {@code G} and {@code E} so that
 * their state names are those of a training checkpoint ({@code G.fc1.weight}, {@code E.backbone.stem.weight}, ...).
 * Always in evaluation mode. The forward helpers ask the configuration's {@link ModelKind}, as the trainers'
 * {@code prepare}, {@code generate} and {@code features} do, so that a bundle reproduces a checkpoint's outputs bit
 * for bit.
 */
final class Networks extends Module {
    private final ModelConfig config;
    private final ModelKind kind;
    private final Preprocessing pre;
    private final Module G, E;

    Networks(ModelConfig config, Preprocessing pre) {
        this.config = config;
        this.kind = config.modelKind();
        this.pre = pre;
        G = register_module("G", kind.newGenerator());                                 // weights come from the bundle
        E = register_module("E", kind.newEncoder());
        eval();
    }

    ModelConfig config() { return config; }

    /** Latent dimension. */
    int latentDim() {
        return kind.latentDim();
    }

    /** Dimension of the pooled (BigBiGAN) or penultimate (MLP) features. */
    int pooledDim() {
        return kind.featureDim();
    }

    /** Whether E's posterior is stochastic (sampled z differs from mu). */
    boolean stochastic() {
        return kind.stochasticEncoder();
    }

    /** Copies tensors named {@code G.*}/{@code E.*} into the networks; lists missing/unexpected/mis-shaped names. */
    void load(Map<String, Tensor> state) {
        Modules.copyState(state, this);
    }

    /** Images [B, C, S, S] in [0, 1] (S = imageSize) -> network inputs, exactly as the trainer's prepare. */
    Tensor toInputs(Tensor images) {
        return kind.toInputs(images, pre.networkSize());        // [B, C*S*S] (MLP) or [B, C, R, R] in [-1, 1]
    }

    /** G(z) as images [B, C, R, R] in [0, 1], float32 (also when the forward ran under bf16 autocast). */
    Tensor generate(Tensor z) {
        return kind.toImages(fp32(kind.generate(G, z)));                                 // [B, C, R, R]
    }

    private static Tensor fp32(Tensor t) {
        return t.scalar_type() == torch.ScalarType.Float ? t : t.to(torch.ScalarType.Float);
    }

    /**
     * E's features of network inputs: {@code LATENT} (E(x) / the posterior mean), {@code POOLED} (penultimate /
     * pooled backbone features) or {@code SAMPLED} (z = mu + eps * sigma, eps from {@code generator}; null: the
     * default generator).
     */
    Tensor encode(Tensor inputs, FeatureKind feature, Generator generator) {
        var out = kind.encode(E, inputs, generator);   // eps from the call's own generator: the global RNG stays untouched
        return fp32(switch (feature) {
            case LATENT -> out.latent();                                                 // [B, z]
            case SAMPLED -> out.sampled();                                               // [B, z]
            case POOLED -> out.pooled();                                                 // [B, F]
        });
    }
}
