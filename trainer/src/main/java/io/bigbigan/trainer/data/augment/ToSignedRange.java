package io.bigbigan.trainer.data.augment;

import java.util.SplittableRandom;

/** Maps values from [0, 1] to [-1, 1] ({@code 2x - 1}), the range of the generator's tanh output. */
public final class ToSignedRange implements ImageTransform {
    @Override
    public ImageShape outputShape(ImageShape in) {
        return in;
    }

    @Override
    public float[] apply(float[] src, ImageShape in, SplittableRandom rng) {
        float[] out = new float[src.length];
        for (int i = 0; i < src.length; i++) out[i] = 2f * src[i] - 1f;
        return out;
    }

    @Override
    public String toString() {
        return "ToSignedRange";
    }
}
