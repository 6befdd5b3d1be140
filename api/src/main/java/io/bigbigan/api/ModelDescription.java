package io.bigbigan.api;

/**
 * What a loaded model is, in the terms an application needs.
 *
 * @param preset      the preset it was trained with, e.g. {@code bigbigan-32}
 * @param kind        the architecture: {@code bigan-mlp} or {@code bigbigan}
 * @param imageSize   side of the training images in pixels (the size {@code encode} fits inputs to)
 * @param channels    1 (grey) or 3 (RGB)
 * @param networkSize side of G's output in pixels (larger than {@code imageSize} where the trainer padded the data)
 * @param latentDim   length of z and of the {@link FeatureKind#LATENT} and {@link FeatureKind#SAMPLED} vectors
 * @param pooledDim   length of the {@link FeatureKind#POOLED} vectors
 */
public record ModelDescription(String preset, String kind, int imageSize, int channels, int networkSize, int latentDim,
                               int pooledDim) {
    /** The length of the vectors {@link BigBiganModel#encode} returns for {@code feature}. */
    public int featureDim(FeatureKind feature) {
        return feature == FeatureKind.POOLED ? pooledDim : latentDim;
    }
}
