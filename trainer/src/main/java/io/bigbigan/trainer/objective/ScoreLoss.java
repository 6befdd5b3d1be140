package io.bigbigan.trainer.objective;

import io.bigbigan.trainer.config.LossKind;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The adversarial loss on one score, and D's accuracy on it: the BiGAN MLP's joint score, and each of BigBiGAN's
 * scores s_x, s_z, s_xz ({@link BigBiganObjective} sums them, with the hinge). "Real" pairs are encoder pairs
 * (x, E(x)), "fake" pairs generator pairs (G(z), z); scores are logits, positive meaning "encoder pair".
 *
 * <ul>
 *   <li>log-loss (BiGAN, Donahue et al. 2017, Section 3): L_D = softplus(-s_real) + softplus(s_fake);
 *       E and G use the non-saturating inverted-label loss L_EG = softplus(s_real) + softplus(-s_fake).</li>
 *   <li>hinge (BigBiGAN, Donahue and Simonyan 2019, Section 2): L_D = relu(1 - s_real) + relu(1 + s_fake);
 *       L_EG = s_real - s_fake.</li>
 * </ul>
 * All losses are means over the batch.
 */
public final class ScoreLoss {
    // No static Scalar constants: a class initialised inside a StepScope would attach them to it and free them.

    private ScoreLoss() {}

    /** Discriminator loss from scores of encoder pairs [B] and generator pairs [B]. */
    public static Tensor discriminatorLoss(Tensor sReal, Tensor sFake, LossKind kind) {
        return switch (kind) {
            case LOGISTIC -> torch.softplus(sReal.neg()).mean().add(torch.softplus(sFake).mean());
            case HINGE -> torch.relu(torch.rsub(sReal, new Scalar(1.0))).mean().add(torch.relu(sFake.add(new Scalar(1.0))).mean());
        };
    }

    /** Joint encoder/generator loss from the same scores (with graph through E and G). */
    public static Tensor encoderGeneratorLoss(Tensor sReal, Tensor sFake, LossKind kind) {
        return switch (kind) {
            case LOGISTIC -> torch.softplus(sReal).mean().add(torch.softplus(sFake.neg()).mean());
            case HINGE -> sReal.mean().sub(sFake.mean());
        };
    }

    /** Fraction of pairs the discriminator classifies correctly: s_real > 0 and s_fake < 0, averaged. */
    public static double discriminatorAccuracy(Tensor sReal, Tensor sFake) {
        Tensor[] parts = accuracyParts(sReal, sFake);
        return accuracy(parts[0].item_float(), parts[1].item_float());
    }

    /**
     * The two halves of {@link #discriminatorAccuracy} as float32 scalars on the scores' device, for reading with
     * other values in one transfer: the fraction of real pairs with s > 0 and of fake pairs with s < 0.
     */
    public static Tensor[] accuracyParts(Tensor sReal, Tensor sFake) {
        return new Tensor[]{sReal.gt(new Scalar(0.0)).to(torch.ScalarType.Float).mean(),
                sFake.lt(new Scalar(0.0)).to(torch.ScalarType.Float).mean()};
    }

    /** The accuracy from the fetched {@link #accuracyParts} (in float64, as {@link #discriminatorAccuracy}). */
    public static double accuracy(double realFraction, double fakeFraction) {
        return (realFraction + fakeFraction) / 2;
    }
}
