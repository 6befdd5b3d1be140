package io.bigbigan.trainer.objective;

import io.bigbigan.model.bigbigan.JointDiscriminator.Scores;
import io.bigbigan.trainer.config.LossKind;
import org.bytedeco.pytorch.Tensor;

/**
 * The BigBiGAN objective (Donahue &amp; Simonyan 2019, Section 2, eq. 4-6): D minimises a hinge loss on each of the
 * unary scores s_x, s_z and the joint score s_xz, positive for encoder pairs (x, E(x)) and negative for generator
 * pairs (G(z), z); E and G jointly minimise the sum of the scores with the signs reversed
 * (s(x, E(x)) - s(G(z), z) for each score). Each term is a batch mean; the three are summed.
 */
public final class BigBiganObjective {
    private BigBiganObjective() {}

    /** D's loss: sum over s_x, s_z, s_xz of hinge(real) + hinge(fake). */
    public static Tensor discriminatorLoss(Scores real, Scores fake) {
        return BiganObjective.discriminatorLoss(real.sx(), fake.sx(), LossKind.HINGE)
                .add(BiganObjective.discriminatorLoss(real.sz(), fake.sz(), LossKind.HINGE))
                .add(BiganObjective.discriminatorLoss(real.sxz(), fake.sxz(), LossKind.HINGE));
    }

    /** E and G's joint loss: sum over the three scores of mean(s_real) - mean(s_fake). */
    public static Tensor encoderGeneratorLoss(Scores real, Scores fake) {
        return BiganObjective.encoderGeneratorLoss(real.sx(), fake.sx(), LossKind.HINGE)
                .add(BiganObjective.encoderGeneratorLoss(real.sz(), fake.sz(), LossKind.HINGE))
                .add(BiganObjective.encoderGeneratorLoss(real.sxz(), fake.sxz(), LossKind.HINGE));
    }

    /** Scores [2B] of a concatenated (real, fake) batch split into the first and second halves. */
    public static Scores[] split(Scores both, long b) {
        return new Scores[]{
                new Scores(both.sx().narrow(0, 0, b), both.sz().narrow(0, 0, b), both.sxz().narrow(0, 0, b)),
                new Scores(both.sx().narrow(0, b, b), both.sz().narrow(0, b, b), both.sxz().narrow(0, b, b))};
    }
}
