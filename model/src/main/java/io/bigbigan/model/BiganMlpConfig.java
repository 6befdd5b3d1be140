package io.bigbigan.model;


/**
 * The BiGAN paper's permutation-invariant configuration (Donahue et al., ICLR 2017, Section 4.2 and Appendix C.1):
 * fully connected G, E and D on flattened 28x28 images.
 *
 * @param imageDim  flattened image size (784 for 28x28 grayscale), pixel values in [0, 1]
 * @param latentDim size of z (50), prior uniform on [-1, 1]
 * @param hidden    width of every hidden layer (1024)
 * @param leak      negative slope of the LeakyReLUs in E and D (0.2)
 */
public record BiganMlpConfig(int imageDim, int latentDim, int hidden, double leak) implements ModelConfig {
    public BiganMlpConfig {
        if (imageDim <= 0 || latentDim <= 0 || hidden <= 0)
            throw new IllegalArgumentException("bigan-mlp: imageDim, latentDim and hidden must be positive");
        if (leak < 0 || leak >= 1) throw new IllegalArgumentException("bigan-mlp: leak must be in [0, 1)");
    }

    @Override
    public BiganMlpKind modelKind() {
        return new BiganMlpKind(this);
    }

    /** The paper's sizes: 784-d images, 50-d latents, 1024-wide layers, LeakyReLU(0.2). */
    public static BiganMlpConfig paper() {
        return new BiganMlpConfig(784, 50, 1024, 0.2);
    }
}
