package io.bigbigan.model.mlp;

import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.model.AdversarialNetworks;
import org.bytedeco.pytorch.Module;

/**
 * The three BiGAN networks under one module, so their parameters carry stable PyTorch-style names:
 * {@code G.fc1.weight}, {@code E.bn2.running_mean}, {@code D.joint.weight}, ...
 */
public final class BiganMlp extends Module implements AdversarialNetworks {
    private final BiganMlpConfig config;
    private final MlpGenerator generator;
    private final MlpEncoder encoder;
    private final MlpJointDiscriminator discriminator;

    public BiganMlp(BiganMlpConfig config) {
        this.config = config;
        generator = register_module("G", new MlpGenerator(config));
        encoder = register_module("E", new MlpEncoder(config));
        discriminator = register_module("D", new MlpJointDiscriminator(config));
    }

    public BiganMlpConfig config() { return config; }
    @Override
    public MlpGenerator generator() { return generator; }
    @Override
    public MlpEncoder encoder() { return encoder; }
    @Override
    public MlpJointDiscriminator discriminator() { return discriminator; }
}
