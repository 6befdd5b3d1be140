package io.bigbigan.model;

import io.bigbigan.model.mlp.BiganMlp;
import io.bigbigan.model.mlp.MlpEncoder;
import io.bigbigan.model.mlp.MlpGenerator;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;

/**
 * The BiGAN MLP (Donahue et al. 2017, Section 4.2): square grey images flattened to [B, imageDim] in [0, 1], a
 * deterministic E, latents uniform on [-1, 1].
 */
public record BiganMlpKind(BiganMlpConfig config) implements ModelKind {
    @Override
    public String name() { return "bigan-mlp"; }

    @Override
    public int imageSize() { return (int) Math.round(Math.sqrt(config.imageDim())); }

    @Override
    public int imageChannels() { return 1; }

    @Override
    public int outputChannels() { return 1; }

    @Override
    public int latentDim() { return config.latentDim(); }

    @Override
    public int featureDim() { return config.hidden(); }

    @Override
    public boolean stochasticEncoder() { return false; }

    @Override
    public boolean convolutional() { return false; }

    @Override
    public BiganMlp build() { return new BiganMlp(config); }

    @Override
    public MlpGenerator newGenerator() { return new MlpGenerator(config); }

    @Override
    public MlpEncoder newEncoder() { return new MlpEncoder(config); }

    @Override
    public LinkedHashMap<String, Module> discriminatorParts(Module networks) {
        return new LinkedHashMap<>();
    }

    @Override
    public void checkImages(Tensor images, String preset) {
        if (images.dim() != 4 || images.size(1) * images.size(2) * images.size(3) != config.imageDim())
            throw new IllegalArgumentException("preset " + preset + " reads " + config.imageDim()
                    + "-pixel images, got shape " + java.util.Arrays.toString(images.sizes().vec().get()));
    }

    /** Flattens images [B, 1, S, S] to [B, S*S]. */
    @Override
    public Tensor toInputs(Tensor images, long networkSize) {
        return images.flatten(1, -1);                                                    // [B, C*S*S]
    }

    @Override
    public Tensor toImages(Tensor outputs) {
        long side = imageSize();
        return outputs.reshape(outputs.size(0), 1, side, side);                          // [B, 1, S, S]
    }

    @Override
    public Tensor generate(Module generator, Tensor z) {
        return ((MlpGenerator) generator).forward(z);                                    // [B, imageDim]
    }

    @Override
    public Encoding encode(Module encoder, Tensor inputs, Generator noise) {
        MlpEncoder.Output out = ((MlpEncoder) encoder).encode(inputs);                   // [B, z], [B, h]
        return new Encoding(out.z(), out.z(), out.hidden());
    }

    @Override
    public String[] featureNames() { return new String[]{"E(x)", "E penultimate"}; }

    /** Uniform on [-1, 1] (narrowed to [-t, t] by a truncation t). */
    @Override
    public Tensor prior(long n, Generator generator, double truncation) {
        return Latents.truncatedUniform(n, config.latentDim(), truncation, generator);  // [n, z]
    }

    /** Uniform pixels in [0, 1], flattened: [n, imageDim]. */
    @Override
    public Tensor randomInputs(long n, Generator generator) {
        return torch.rand(new long[]{n, config.imageDim()}, new GeneratorOptional(generator),
                new TensorOptions(torch.ScalarType.Float));
    }

    @Override
    public Inputs inputs(int imageSize) {
        int side = imageSize();
        if (side * side != config.imageDim())
            throw new IllegalArgumentException("bigan-mlp input dimension " + config.imageDim() + " is not a square image");
        return new Inputs(side, 1, 0.0, 1.0, "flatten", side);
    }
}
