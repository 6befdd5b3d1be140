package io.bigbigan.model;

import io.bigbigan.model.bigbigan.DiscriminatorConfig;
import io.bigbigan.model.bigbigan.EncoderConfig;
import io.bigbigan.model.bigbigan.GeneratorConfig;

/**
 * A BigBiGAN architecture (Donahue &amp; Simonyan 2019, Section 2-3): BigGAN generator G, ResNet/RevNet encoder E and
 * joint discriminator D = (F, H, J), each as data. The three must agree on z and on the image channels; E's input
 * resolution may differ from G's (images are resized for E).
 */
public record BigBiganConfig(GeneratorConfig generator, EncoderConfig encoder, DiscriminatorConfig discriminator)
        implements ModelConfig {
    public BigBiganConfig {
        if (generator == null || encoder == null || discriminator == null)
            throw new IllegalArgumentException("bigbigan: generator, encoder and discriminator are required");
        if (generator.zDim() != encoder.zDim() || generator.zDim() != discriminator.zDim())
            throw new IllegalArgumentException("bigbigan: z sizes differ: G " + generator.zDim() + ", E "
                    + encoder.zDim() + ", D " + discriminator.zDim());
        if (generator.imageChannels() != encoder.imageChannels()
                || generator.imageChannels() != discriminator.imageChannels())
            throw new IllegalArgumentException("bigbigan: image channels differ: G " + generator.imageChannels()
                    + ", E " + encoder.imageChannels() + ", D " + discriminator.imageChannels());
        if (generator.resolution() != discriminator.resolution())
            throw new IllegalArgumentException("bigbigan: G makes " + generator.resolution() + " px images but D reads "
                    + discriminator.resolution() + " px");
    }

    @Override
    public int latentDim() {
        return generator.zDim();
    }

    @Override
    public BigBiganKind modelKind() {
        return new BigBiganKind(this);
    }

    /** Side of G's (and D's) square images. */
    public int resolution() {
        return generator.resolution();
    }

    /** Image channels (1 grayscale, 3 RGB). */
    public int imageChannels() {
        return generator.imageChannels();
    }

    /**
     * The small-data model, exactly as specified for 32 px: G ch 32 (4ch wide, z 120 in 4 chunks of 30), D's F with
     * four 4ch down-blocks and H/J 256 wide with two residual blocks, E a pre-activation ResNet (ch 32) with a 256-wide
     * two-block head and a Gaussian posterior.
     */
    public static BigBiganConfig bigbigan32(int imageChannels) {
        return bigbigan32(imageChannels, 32);
    }

    /**
     * The 32 px model with G, D's F and E all {@code ch} wide (32 as specified; 16 for {@code bigbigan-32-narrow},
     * a CPU deviation from the paper with about a quarter of the convolution FLOPs); H, J and E's head as specified.
     */
    public static BigBiganConfig bigbigan32(int imageChannels, int ch) {
        return new BigBiganConfig(GeneratorConfig.biggan(32, ch, 120, imageChannels, 0, 0, 1),
                EncoderConfig.resnetSmall(imageChannels, ch, 32, 256, 2, 120),
                DiscriminatorConfig.biggan(32, ch, imageChannels, 0, 120, 256, 2, 256, 2));
    }

    /**
     * A 64 px model for small data sets: BigGAN 64 px tables with ch 64, attention at 32, shared embedding 128;
     * E ResNet-v2-50 x1 at 64 px with the paper's head; H/J 1024 wide with 2 residual blocks. Our choice: the paper
     * has no 64 px row.
     */
    public static BigBiganConfig bigbigan64() {
        return new BigBiganConfig(GeneratorConfig.biggan(64, 64, 120, 3, 32, 128, 1),
                EncoderConfig.resnet50(1, 64, 120),
                DiscriminatorConfig.biggan(64, 64, 3, 32, 120, 1024, 2, 1024, 2));
    }

    /** The paper's Base row: G BigGAN 128 px (ch 96), E ResNet-v2-50 at {@code encoderResolution}, H/J 2048 x 4 blocks. */
    public static BigBiganConfig bigbigan128(int encoderResolution) {
        return new BigBiganConfig(GeneratorConfig.paper128(), EncoderConfig.resnet50(1, encoderResolution, 120),
                DiscriminatorConfig.paper128());
    }

    /** The paper's best representation: RevNet-50 x4 encoder at 256 px with the 128 px G and D. */
    public static BigBiganConfig revnet4x() {
        return new BigBiganConfig(GeneratorConfig.paper128(), EncoderConfig.revnet50(4, 256, 120),
                DiscriminatorConfig.paper128());
    }
}
