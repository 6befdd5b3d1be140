package io.bigbigan.model;

import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.kBilinear;

/**
 * The BigBiGAN models' input convention, shared by the trainer and the inference API so both prepare images the
 * same way: images [B, C, H, W] in [0, 1] become [B, C, R, R] in [-1, 1]; smaller images (28x28 Fashion-MNIST for the
 * 32 px models) are padded with the background value 0 on every side, others resized bilinearly.
 */
public final class ModelInputs {
    private ModelInputs() {}

    /** Pads or resizes {@code images} to {@code r} x {@code r} and maps [0, 1] to [-1, 1]. */
    public static Tensor squareSigned(Tensor images, long r) {
        Tensor x = images;                                                               // [B, C, H, W]
        long h = x.size(2), w = x.size(3);
        if (h < r && w < r && (r - h) % 2 == 0 && (r - w) % 2 == 0) {
            long ph = (r - h) / 2, pw = (r - w) / 2;
            x = torch.constant_pad_nd(x, new long[]{pw, pw, ph, ph}, new Scalar(0.0));  // [B, C, R, R]
        } else if (h != r || w != r) {
            InterpolateFuncOptions o = new InterpolateFuncOptions();
            o.size().put(new LongVector(r, r));
            o.mode().put(new kBilinear());
            o.align_corners().put(false);
            x = torch.interpolate(x, o);                                                 // [B, C, R, R]
        }
        return x.mul(new Scalar(2.0)).sub(new Scalar(1.0));                             // [-1, 1]
    }
}
