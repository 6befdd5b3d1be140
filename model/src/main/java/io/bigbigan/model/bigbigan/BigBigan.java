package io.bigbigan.model.bigbigan;

import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.AdversarialNetworks;
import org.bytedeco.pytorch.Module;

/**
 * The three BigBiGAN networks under one module, so that their parameters carry stable PyTorch-style names:
 * {@code G.blocks.0.conv1.weight_orig}, {@code E.backbone.stem.weight}, {@code D.F.blocks.0.conv1.weight_orig}, ...
 */
public final class BigBigan extends Module implements AdversarialNetworks {
    private final BigBiganConfig config;
    private final BigGanGenerator generator;
    private final StochasticEncoder encoder;
    private final JointDiscriminator discriminator;

    public BigBigan(BigBiganConfig config) {
        this.config = config;
        generator = register_module("G", new BigGanGenerator(config.generator()));
        encoder = register_module("E", new StochasticEncoder(config.encoder()));
        discriminator = register_module("D", new JointDiscriminator(config.discriminator()));
    }

    public BigBiganConfig config() { return config; }

    @Override
    public BigGanGenerator generator() { return generator; }

    @Override
    public StochasticEncoder encoder() { return encoder; }

    @Override
    public JointDiscriminator discriminator() { return discriminator; }
}
