package io.bigbigan.trainer.eval.anomaly;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How unusual an image is, as one number per image read from a trained BiGAN; higher always means more unusual.
 * The D-based kinds follow EGBAD (Zenati et al. 2018, "Efficient GAN-Based Anomaly Detection", Section 3).
 */
public enum ScoreKind {
    /** ||x - G(E(x))||_2 in the model's image space ([0, 1] pixels at G's resolution). */
    RECON("recon", false, false, "||x - G(E(x))||_2"),
    /** ||x - G(E(x))||_1 in the model's image space. */
    RECON_L1("recon-l1", false, false, "||x - G(E(x))||_1"),
    /** -D(x, E(x)): the negated logit of D's main score (BigBiGAN: s_x + s_z + s_xz). */
    DISC("disc", true, false, "-D(x, E(x))"),
    /** BigBiGAN only: -s_x(x), the negated unary image score. */
    DISC_SX("disc-sx", true, true, "-s_x(x)"),
    /** BigBiGAN only: -s_xz(x, E(x)), the negated joint score. */
    DISC_SXZ("disc-sxz", true, true, "-s_xz(x, E(x))"),
    /**
     * EGBAD's feature-matching score: ||f(x, E(x)) - f(G(E(x)), E(x))||_1 with f D's last hidden layer before the
     * joint logit (the MLP's joint layer; BigBiGAN's J features).
     */
    FEATURE("feature", true, false, "||f(x,E(x)) - f(G(E(x)),E(x))||_1"),
    /** EGBAD's weighted sum (1 - alpha) * recon-l1 + alpha * feature. */
    COMBINED("combined", true, false, "(1-a)*recon-l1 + a*feature");

    private final String id;
    private final boolean needsDiscriminator;
    private final boolean bigBiganOnly;
    private final String formula;

    ScoreKind(String id, boolean needsDiscriminator, boolean bigBiganOnly, String formula) {
        this.id = id;
        this.needsDiscriminator = needsDiscriminator;
        this.bigBiganOnly = bigBiganOnly;
        this.formula = formula;
    }

    /** The command-line and JSON name, e.g. {@code recon-l1}. */
    public String id() { return id; }

    /** Whether the score reads D (so needs a training checkpoint, not a G/E bundle). */
    public boolean needsDiscriminator() { return needsDiscriminator; }

    /** Whether only BigBiGAN's three-headed D has it. */
    public boolean bigBiganOnly() { return bigBiganOnly; }

    /** A short formula for tables. */
    public String formula() { return formula; }

    /** Every id, comma-separated. */
    public static String ids() {
        return String.join(", ", Arrays.stream(values()).map(ScoreKind::id).toList());
    }

    /**
     * Parses an id ({@code recon}, {@code disc-sx}, ...).
     *
     * @throws IllegalArgumentException naming the kinds there are
     */
    public static ScoreKind parse(String id) {
        String k = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (ScoreKind s : values()) if (s.id.equals(k)) return s;
        throw new IllegalArgumentException("--score: unknown score '" + id + "' (use " + ids() + ")");
    }

    /** Parses a comma-separated list, or {@code all}. */
    public static List<ScoreKind> parseList(String list) {
        if (list.trim().equalsIgnoreCase("all")) return List.of(values());
        return Arrays.stream(list.split(",")).map(ScoreKind::parse).distinct().toList();
    }
}
