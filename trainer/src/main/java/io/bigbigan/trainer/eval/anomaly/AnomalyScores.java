package io.bigbigan.trainer.eval.anomaly;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.bigbigan.JointDiscriminator;
import io.bigbigan.model.mlp.MlpJointDiscriminator;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.eval.TrainedModel;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Anomaly scores ({@link ScoreKind}) of images under a trained model: its G and E through {@link TrainedModel}
 * (EMA weights where the checkpoint keeps them, at the model's inference precision) and, for the D-based kinds, its
 * discriminator, run in evaluation mode without gradients in the model's element type. All requested kinds of one
 * chunk share one E(x) and one G(E(x)).
 *
 * @param model         the trained model
 * @param discriminator its D ({@link MlpJointDiscriminator} or {@link JointDiscriminator}); null when only G and E
 *                      are at hand (the reconstruction scores)
 * @param alpha         the feature score's weight in {@link ScoreKind#COMBINED}, in [0, 1]
 */
public record AnomalyScores(TrainedModel model, Module discriminator, double alpha) {
    /** EGBAD's default weight of the feature score in the combined score. */
    public static final double DEFAULT_ALPHA = 0.1;

    public AnomalyScores {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("--alpha must be in [0, 1], got " + alpha);
        if (discriminator != null && !(discriminator instanceof MlpJointDiscriminator)
                && !(discriminator instanceof JointDiscriminator))
            throw new IllegalArgumentException("unsupported discriminator " + discriminator.getClass().getSimpleName());
    }

    /**
     * Why {@code kind} cannot be scored here, as one line naming the score and what it needs; null when it can.
     */
    public String unsupported(ScoreKind kind) {
        if (kind.needsDiscriminator() && discriminator == null)
            return "score " + kind.id() + " needs the discriminator D, which an inference bundle does not hold: give the "
                    + "training checkpoint (file or run folder) as --model (a bundle supports recon and recon-l1)";
        if (kind.bigBiganOnly() && !(discriminator instanceof JointDiscriminator))
            return "score " + kind.id() + " needs BigBiGAN's three-headed D (s_x, s_z, s_xz); preset "
                    + model.config().preset() + " has one joint score (use disc)";
        return null;
    }

    /** The kinds this model supports, in {@link ScoreKind} order. */
    public List<ScoreKind> supported() {
        List<ScoreKind> out = new ArrayList<>();
        for (ScoreKind k : ScoreKind.values()) if (unsupported(k) == null) out.add(k);
        return out;
    }

    /**
     * Checks that every kind is supported.
     *
     * @throws IllegalArgumentException with {@link #unsupported}'s line for the first that is not
     */
    public void require(List<ScoreKind> kinds) {
        for (ScoreKind k : kinds) {
            String why = unsupported(k);
            if (why != null) throw new IllegalArgumentException(why);
        }
    }

    /**
     * The scores of one chunk of dataset images [B, C, H, W] in [0, 1], one array of B values per kind. Run inside
     * a {@link StepScope}.
     */
    public Map<ScoreKind, double[]> scoreBatch(Tensor images, List<ScoreKind> kinds) {
        require(kinds);
        Map<ScoreKind, double[]> out = new EnumMap<>(ScoreKind.class);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor in = model.prepare(images);                                         // network inputs
            Tensor z = model.encode(in);                                               // [B, zDim] fp32
            boolean needRec = kinds.stream().anyMatch(k -> k == ScoreKind.RECON || k == ScoreKind.RECON_L1
                    || k == ScoreKind.FEATURE || k == ScoreKind.COMBINED);
            Tensor rec = needRec ? model.generate(z) : null;                           // [B, C, R, R] in [0, 1]
            Tensor diff = null;
            if (needRec) {
                Tensor x = toFloat(model.toImages(in)).flatten(1, -1);                 // [B, D]
                diff = x.sub(rec.flatten(1, -1));                                      // [B, D]
            }
            boolean needD = kinds.stream().anyMatch(ScoreKind::needsDiscriminator);
            Critique real = null, fake = null;
            if (needD) {
                Tensor zD = z.to(in.scalar_type());                                    // D reads the model's type
                real = critique(in, zD);
                if (kinds.contains(ScoreKind.FEATURE) || kinds.contains(ScoreKind.COMBINED))
                    fake = critique(model.prepare(rec), zD);
            }
            Tensor l1 = diff == null ? null : diff.abs().sum(new long[]{1});           // [B]
            for (ScoreKind k : kinds) {
                Tensor s = switch (k) {                                                // [B]
                    case RECON -> diff.pow(new Scalar(2)).sum(new long[]{1}).sqrt();
                    case RECON_L1 -> l1;
                    case DISC -> real.logit().neg();
                    case DISC_SX -> real.sx().neg();
                    case DISC_SXZ -> real.sxz().neg();
                    case FEATURE -> featureDistance(real, fake);
                    case COMBINED -> l1.mul(new Scalar(1 - alpha)).add(featureDistance(real, fake).mul(new Scalar(alpha)));
                };
                out.put(k, toDoubles(s));
            }
        }
        return out;
    }

    /**
     * The scores of every image of {@code data}, {@code batch} images per forward pass (memory does not grow with
     * the data set), in the data set's order.
     */
    public Map<ScoreKind, double[]> score(ImageDataset data, List<ScoreKind> kinds, int batch) {
        if (batch < 1) throw new IllegalArgumentException("--eval-batch must be at least 1, got " + batch);
        require(kinds);
        int n = data.size();
        Map<ScoreKind, double[]> out = new EnumMap<>(ScoreKind.class);
        for (ScoreKind k : kinds) out.put(k, new double[n]);
        for (int start = 0; start < n; start += batch) {
            int b = Math.min(batch, n - start);
            try (StepScope s = StepScope.open()) {
                Map<ScoreKind, double[]> chunk = scoreBatch(data.batch(start, start + b), kinds);
                for (ScoreKind k : kinds) System.arraycopy(chunk.get(k), 0, out.get(k), start, b);
            }
        }
        return out;
    }

    /** D's scores and last hidden layer on one batch of pairs (logit: the main score; sx, sxz: BigBiGAN's). */
    private record Critique(Tensor logit, Tensor sx, Tensor sxz, Tensor features) {}

    private Critique critique(Tensor x, Tensor z) {
        boolean wasTraining = discriminator.is_training();
        discriminator.eval();                                                          // spectral norm: no power step
        try {
            if (discriminator instanceof MlpJointDiscriminator d) {
                var o = d.forwardWithFeatures(x, z);
                return new Critique(toFloat(o.logit()), null, null, toFloat(o.joint()));
            }
            var o = ((JointDiscriminator) discriminator).forwardWithFeatures(x, z);
            var s = o.scores();
            Tensor total = s.sx().add(s.sz()).add(s.sxz());
            return new Critique(toFloat(total), toFloat(s.sx()), toFloat(s.sxz()), toFloat(o.jxz()));
        } finally {
            discriminator.train(wasTraining);
        }
    }

    private static Tensor featureDistance(Critique real, Critique fake) {
        return real.features().sub(fake.features()).abs().sum(new long[]{1});        // [B]
    }

    private static Tensor toFloat(Tensor t) {
        return t.scalar_type() == org.bytedeco.pytorch.global.torch.ScalarType.Float ? t
                : t.to(org.bytedeco.pytorch.global.torch.ScalarType.Float);
    }

    private static double[] toDoubles(Tensor t) {
        float[] f = Tensors.toFloats(toFloat(t).contiguous());
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
