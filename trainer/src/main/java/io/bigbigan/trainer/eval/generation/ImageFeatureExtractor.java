package io.bigbigan.trainer.eval.generation;

import org.bytedeco.pytorch.Tensor;

/**
 * A fixed network that maps images to features (for Fréchet distances) and class logits (for Inception-style
 * scores). Images are dataset images {@code [B, C, H, W]} in [0, 1]; extractors adapt channels and size themselves.
 */
public interface ImageFeatureExtractor {
    /** Short name for reports: {@code inception} or {@code domain}. */
    String name();

    /** What identifies the weights (a file hash or classifier id): part of the reference-statistics cache key. */
    String id();

    /** Pool / penultimate features, {@code [B, D]} float32. */
    Tensor features(Tensor images);

    /** Class logits, {@code [B, K]} float32 (softmax gives p(y|x)). */
    Tensor logits(Tensor images);
}
