package io.bigbigan.api;

import io.bigbigan.model.ModelInputs;
import io.bigbigan.bindings.Modules;
import io.bigbigan.model.ModelConfig;
import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.bigbigan.BigGanGenerator;
import io.bigbigan.model.bigbigan.StochasticEncoder;
import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.model.mlp.MlpEncoder;
import io.bigbigan.model.mlp.MlpGenerator;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Map;

/**
 * The inference half of a model: G and E only (no D, no optimisers), registered as {@code G} and {@code E} so that
 * their state names are those of a training checkpoint ({@code G.fc1.weight}, {@code E.backbone.stem.weight}, ...).
 * Always in evaluation mode. The forward helpers here mirror the trainers' {@code prepare}, {@code generate} and
 * {@code features} exactly, so that a bundle reproduces a checkpoint's outputs bit for bit.
 */
final class Networks extends Module {
    private final ModelConfig config;
    private final Preprocessing pre;
    private final MlpGenerator mlpG;
    private final MlpEncoder mlpE;
    private final BigGanGenerator bigG;
    private final StochasticEncoder bigE;

    Networks(ModelConfig config, Preprocessing pre) {
        this.config = config;
        this.pre = pre;
        if (config instanceof BiganMlpConfig m) {
            mlpG = register_module("G", new MlpGenerator(m));
            mlpE = register_module("E", new MlpEncoder(m));
            bigG = null;
            bigE = null;
        } else if (config instanceof BigBiganConfig b) {
            bigG = register_module("G", new BigGanGenerator(b.generator(), false));   // weights come from the bundle
            bigE = register_module("E", new StochasticEncoder(b.encoder()));
            mlpG = null;
            mlpE = null;
        } else {
            throw new IllegalArgumentException("unsupported model kind " + config.getClass().getSimpleName());
        }
        eval();
    }

    ModelConfig config() { return config; }

    /** Latent dimension. */
    int latentDim() {
        return config instanceof BiganMlpConfig m ? m.latentDim() : ((BigBiganConfig) config).latentDim();
    }

    /** Dimension of the pooled (BigBiGAN) or penultimate (MLP) features. */
    int pooledDim() {
        return config instanceof BiganMlpConfig m ? m.hidden() : ((BigBiganConfig) config).encoder().featureDim();
    }

    /** Whether E's posterior is stochastic (sampled z differs from mu). */
    boolean stochastic() {
        return bigE != null && bigE.head().posterior() == io.bigbigan.model.bigbigan.EncoderConfig.Posterior.GAUSSIAN;
    }

    /** Copies tensors named {@code G.*}/{@code E.*} into the networks; lists missing/unexpected/mis-shaped names. */
    void load(Map<String, Tensor> state) {
        Modules.copyState(state, this);
    }

    /** Images [B, C, S, S] in [0, 1] (S = imageSize) -> network inputs, exactly as the trainer's prepare. */
    Tensor toInputs(Tensor images) {
        if (mlpE != null) return images.flatten(1, -1);                                  // [B, C*S*S]
        return ModelInputs.squareSigned(images, pre.networkSize());                    // [B, C, R, R] in [-1, 1]
    }

    /** G(z) as images [B, C, R, R] in [0, 1], float32 (also when the forward ran under bf16 autocast). */
    Tensor generate(Tensor z) {
        if (mlpG != null) {
            long side = pre.networkSize();
            return fp32(mlpG.forward(z)).reshape(z.size(0), 1, side, side);               // [B, 1, 28, 28]
        }
        return fp32(bigG.forward(z)).add(new Scalar(1.0)).div(new Scalar(2.0))           // [B, C, R, R]
                .clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(1.0)));
    }

    private static Tensor fp32(Tensor t) {
        return t.scalar_type() == torch.ScalarType.Float ? t : t.to(torch.ScalarType.Float);
    }

    /**
     * E's features of network inputs: {@code LATENT} (E(x) / the posterior mean), {@code POOLED} (penultimate /
     * pooled backbone features) or {@code SAMPLED} (z = mu + eps * sigma, eps from {@code generator}; null: the
     * default generator).
     */
    Tensor encode(Tensor inputs, FeatureKind kind, Generator generator) {
        if (mlpE != null) {
            var out = mlpE.encode(inputs);                                               // [B, z], [B, h]
            return fp32(kind == FeatureKind.POOLED ? out.hidden() : out.z());
        }
        var out = bigE.forward(inputs, generator);     // eps from the call's own generator: the global RNG stays untouched
        return fp32(switch (kind) {
            case LATENT -> out.mu();                                                     // [B, z]
            case SAMPLED -> out.z();                                                     // [B, z]
            case POOLED -> out.pooled();                                                 // [B, F]
        });
    }
}
