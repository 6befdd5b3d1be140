package io.bigbigan.model;

import io.bigbigan.model.bigbigan.BigBigan;
import io.bigbigan.model.bigbigan.BigGanGenerator;
import io.bigbigan.model.bigbigan.EncoderConfig;
import io.bigbigan.model.bigbigan.StochasticEncoder;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;

/**
 * BigBiGAN (Donahue &amp; Simonyan 2019): images [B, C, R, R] in [-1, 1] (smaller ones padded, others resized),
 * a stochastic E with pooled backbone features, latents N(0, I), D in three parts F, H and J.
 */
public record BigBiganKind(BigBiganConfig config) implements ModelKind {
    @Override
    public String name() { return "bigbigan"; }

    @Override
    public int imageSize() { return config.resolution(); }

    @Override
    public int imageChannels() { return config.imageChannels(); }

    @Override
    public int outputChannels() { return config.imageChannels(); }

    @Override
    public int latentDim() { return config.latentDim(); }

    @Override
    public int featureDim() { return config.encoder().featureDim(); }

    @Override
    public boolean stochasticEncoder() {
        return config.encoder().posterior() == EncoderConfig.Posterior.GAUSSIAN;
    }

    @Override
    public boolean convolutional() { return true; }

    @Override
    public BigBigan build() { return new BigBigan(config); }

    /** G without BigGAN's orthogonal initialisation (its weights are copied in). */
    @Override
    public BigGanGenerator newGenerator() { return new BigGanGenerator(config.generator(), false); }

    @Override
    public StochasticEncoder newEncoder() { return new StochasticEncoder(config.encoder()); }

    /** F (the ConvNet on x), H (the MLP on z) and J (the MLP on both). */
    @Override
    public LinkedHashMap<String, Module> discriminatorParts(Module networks) {
        var d = ((BigBigan) networks).discriminator();
        LinkedHashMap<String, Module> parts = new LinkedHashMap<>();
        parts.put("F", d.imageNet());
        parts.put("H", d.latentNet());
        parts.put("J", d.jointNet());
        return parts;
    }

    @Override
    public void checkImages(Tensor images, String preset) {
        long c = config.imageChannels();
        if (images.dim() != 4 || images.size(1) != c)
            throw new IllegalArgumentException("preset " + preset + " reads " + c + "-channel images, got shape "
                    + java.util.Arrays.toString(images.sizes().vec().get()));
    }

    /** Pads (smaller images, evenly) or resizes to {@code networkSize} and maps [0, 1] to [-1, 1]. */
    @Override
    public Tensor toInputs(Tensor images, long networkSize) {
        return ModelInputs.squareSigned(images, networkSize);                            // [B, C, R, R]
    }

    /** [-1, 1] -> [0, 1], clamped. */
    @Override
    public Tensor toImages(Tensor outputs) {
        return outputs.add(new Scalar(1.0)).div(new Scalar(2.0)).clamp(new ScalarOptional(new Scalar(0.0)),
                new ScalarOptional(new Scalar(1.0)));                                    // [B, C, R, R]
    }

    @Override
    public Tensor generate(Module generator, Tensor z) {
        return ((BigGanGenerator) generator).forward(z);                                 // [B, C, R, R]
    }

    @Override
    public Encoding encode(Module encoder, Tensor inputs, Generator noise) {
        StochasticEncoder.Output out = ((StochasticEncoder) encoder).forward(inputs, noise);
        return new Encoding(out.mu(), out.z(), out.pooled());                            // [B, z], [B, z], [B, F]
    }

    @Override
    public String[] featureNames() { return new String[]{"E mu", "E pooled"}; }

    /** N(0, I), re-drawn outside [-t, t] by a truncation t. */
    @Override
    public Tensor prior(long n, Generator generator, double truncation) {
        return Latents.truncatedNormal(n, config.latentDim(), truncation, generator);   // [n, z]
    }

    /** Uniform values in [-1, 1]: [n, C, R, R]. */
    @Override
    public Tensor randomInputs(long n, Generator generator) {
        long r = config.resolution();
        return torch.rand(new long[]{n, config.imageChannels(), r, r}, new GeneratorOptional(generator),
                new TensorOptions(torch.ScalarType.Float)).mul(new Scalar(2.0)).sub(new Scalar(1.0));
    }

    /** Images smaller than G's output are padded when the difference is even, others resized. */
    @Override
    public Inputs inputs(int imageSize) {
        int r = config.resolution();
        int size = imageSize > 0 ? imageSize : r;
        boolean pad = size < r && (r - size) % 2 == 0;
        return new Inputs(size, config.imageChannels(), -1.0, 1.0, pad ? "pad" : "resize", r);
    }
}
