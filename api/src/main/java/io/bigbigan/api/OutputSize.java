package io.bigbigan.api;

/**
 * The size of the images {@link BigBiganModel#generate} and {@link BigBiganModel#reconstruct} return, for a model
 * whose generator draws larger images than the training data only by padding (28 px data padded to 32 px for a
 * BigBiGAN preset; {@link Preprocessing#toNetwork()} {@code pad}). For other models both are G's output size.
 */
public enum OutputSize {
    /**
     * The training images' size ({@link Preprocessing#imageSize()}): the centre of G's output, as {@code bigbigan
     * sample} writes it; such images encode again without resampling. The default.
     */
    TRAINING,
    /** G's full output ({@link Preprocessing#networkSize()}), padding border included. */
    NETWORK
}
