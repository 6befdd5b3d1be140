package io.bigbigan.trainer.objective;

import io.bigbigan.model.bigbigan.JointDiscriminator.Scores;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.Objective;
import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The BigBiGAN objective (Donahue &amp; Simonyan 2019, Section 2, eq. 4-6): D minimises a hinge loss on each of the
 * unary scores s_x, s_z and the joint score s_xz, positive for encoder pairs (x, E(x)) and negative for generator
 * pairs (G(z), z); E and G jointly minimise the sum of the scores with the signs reversed
 * (s(x, E(x)) - s(G(z), z) for each score). Each term is a batch mean; the terms are summed.
 *
 * <p>An {@link Objective} selects which of the three terms enter both losses (the ablations of Section 3.1,
 * Table 1). With {@link Objective#NO_ENCODER} only s_x is used and the "real" scores are those of real images x
 * (the encoder plays no part), which is BigGAN's hinge loss (Brock et al. 2019); callers may then pass
 * {@link Scores} whose {@code sz} and {@code sxz} are null. Terms an objective does not use are never read.
 */
public final class BigBiganObjective {
    private BigBiganObjective() {}

    /** D's loss with the full objective: sum over s_x, s_z, s_xz of hinge(real) + hinge(fake). */
    public static Tensor discriminatorLoss(Scores real, Scores fake) {
        return discriminatorLoss(real, fake, Objective.FULL);
    }

    /** E and G's joint loss with the full objective: sum over the three scores of mean(s_real) - mean(s_fake). */
    public static Tensor encoderGeneratorLoss(Scores real, Scores fake) {
        return encoderGeneratorLoss(real, fake, Objective.FULL);
    }

    /** D's loss: sum over the scores {@code objective} uses of hinge(real) + hinge(fake). */
    public static Tensor discriminatorLoss(Scores real, Scores fake, Objective objective) {
        Tensor total = null;
        for (var e : terms(real, fake, objective).entrySet()) {
            Tensor t = ScoreLoss.discriminatorLoss(e.getValue()[0], e.getValue()[1], LossKind.HINGE);
            total = total == null ? t : total.add(t);
        }
        return total;
    }

    /** E and G's joint loss: sum over the scores {@code objective} uses of mean(s_real) - mean(s_fake). */
    public static Tensor encoderGeneratorLoss(Scores real, Scores fake, Objective objective) {
        Tensor total = null;
        for (var e : terms(real, fake, objective).entrySet()) {
            Tensor t = ScoreLoss.encoderGeneratorLoss(e.getValue()[0], e.getValue()[1], LossKind.HINGE);
            total = total == null ? t : total.add(t);
        }
        return total;
    }

    /**
     * The (real, fake) score pairs {@code objective} uses, by head name ({@code sx}, {@code sz}, {@code sxz}), in
     * that order. Every objective uses at least one head.
     *
     * @throws IllegalArgumentException when a used score is missing (null)
     */
    public static Map<String, Tensor[]> terms(Scores real, Scores fake, Objective objective) {
        Map<String, Tensor[]> m = new LinkedHashMap<>();
        if (objective.usesSx()) m.put("sx", pair("s_x", real.sx(), fake.sx(), objective));
        if (objective.usesSz()) m.put("sz", pair("s_z", real.sz(), fake.sz(), objective));
        if (objective.usesSxz()) m.put("sxz", pair("s_xz", real.sxz(), fake.sxz(), objective));
        return m;
    }

    private static Tensor[] pair(String name, Tensor real, Tensor fake, Objective objective) {
        if (real == null || fake == null)
            throw new IllegalArgumentException("objective " + objective.id() + " needs the score " + name + ", got none");
        return new Tensor[]{real, fake};
    }

    /**
     * Per-head D hinge losses and accuracies, as Java values for monitoring: {@code loss_d_<head>} and
     * {@code acc_d_<head>} for each head present in both score sets (heads that are null are skipped).
     */
    public static Map<String, Double> headMetrics(Scores real, Scores fake) {
        Map<String, Double> m = new LinkedHashMap<>();
        headMetricTensors(real, fake).forEach((key, t) -> m.put(key, t.length == 1 ? t[0].item_double()
                : ScoreLoss.accuracy(t[0].item_float(), t[1].item_float())));
        return m;
    }

    /**
     * The tensors behind {@link #headMetrics}, on the scores' device: for each head present,
     * {@code loss_d_<head>} (0-dim) and {@code acc_d_<head>} (the two {@link ScoreLoss#accuracyParts}).
     */
    public static Map<String, Tensor[]> headMetricTensors(Scores real, Scores fake) {
        Map<String, Tensor[]> m = new LinkedHashMap<>();
        headTensors(m, "sx", real.sx(), fake.sx());
        headTensors(m, "sz", real.sz(), fake.sz());
        headTensors(m, "sxz", real.sxz(), fake.sxz());
        return m;
    }

    private static void headTensors(Map<String, Tensor[]> m, String name, Tensor real, Tensor fake) {
        if (real == null || fake == null) return;
        m.put("loss_d_" + name, new Tensor[]{ScoreLoss.discriminatorLoss(real.detach(), fake.detach(), LossKind.HINGE)});
        m.put("acc_d_" + name, ScoreLoss.accuracyParts(real, fake));
    }

    /** Scores [2B] of a concatenated (real, fake) batch split into the first and second halves (null stays null). */
    public static Scores[] split(Scores both, long b) {
        return new Scores[]{
                new Scores(half(both.sx(), 0, b), half(both.sz(), 0, b), half(both.sxz(), 0, b)),
                new Scores(half(both.sx(), b, b), half(both.sz(), b, b), half(both.sxz(), b, b))};
    }

    private static Tensor half(Tensor t, long start, long b) {
        return t == null ? null : t.narrow(0, start, b);
    }
}
