package io.bigbigan.trainer.objective;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BigGAN's orthogonal regularisation (Brock et al. 2019, Section 3.1, eq. 3), the variant that penalises only the
 * off-diagonal entries of the Gram matrix, i.e. the cosine similarity between filters without constraining their
 * norms:
 * <pre>
 *   R_beta(W) = beta * || W W^T (.) (1 - I) ||_F^2        W reshaped to [out, rest] (one row per filter)
 *   dR/dW     = 4 beta * (W W^T (.) (1 - I)) W
 * </pre>
 * summed over the selected weights and added to G's loss (BigGAN: beta = 1e-4, on G only). The paper writes the
 * Gram matrix as W^T W with filters as columns; this is the same quantity for our [out, in, ...] layout.
 *
 * <p>Selection ({@link #forModule}): every parameter named {@code *.weight_orig} with at least two dimensions, i.e.
 * the raw weights of all spectrally normalised convolutions and linear layers, including conditional batch norm's
 * gain/bias maps and self-attention's convolutions. This matches BigGAN-PyTorch's {@code utils.ortho} (all
 * parameters with {@code ndim >= 2}) with its blacklist of the shared class embedding ({@code shared.weight}, not a
 * {@code weight_orig}). Plain (non-SN) weights, biases, batch-norm affines and attention's gamma are excluded.
 *
 * <p>Note that BigGAN-PyTorch adds {@code strength * 2 (W W^T (.) (1 - I)) W} straight to the gradient, i.e. it
 * implements R with half the paper's beta; use {@code beta = strength / 2} to reproduce its numbers.
 */
public final class OrthogonalRegularization {
    /** BigGAN's strength (Brock et al. 2019, Section 3.1: "we find beta = 10^-4 works well"). */
    public static final double BIGGAN_BETA = 1e-4;

    private final double beta;
    private final Map<String, Tensor> weights;

    /**
     * @param beta    the strength, &gt;= 0
     * @param weights the regularised weights by name, each with at least 2 dimensions [out, ...]
     */
    public OrthogonalRegularization(double beta, Map<String, Tensor> weights) {
        if (!(beta >= 0)) throw new IllegalArgumentException("orthogonal regularisation: beta must be >= 0, got " + beta);
        for (var e : weights.entrySet())
            if (e.getValue().dim() < 2)
                throw new IllegalArgumentException("orthogonal regularisation: " + e.getKey()
                        + " has " + e.getValue().dim() + " dimension(s), needs >= 2");
        this.beta = beta;
        this.weights = new LinkedHashMap<>(weights);
    }

    /**
     * The regulariser over every {@code *.weight_orig} parameter (&gt;= 2 dims) of {@code module}. Build it once,
     * outside any {@code StepScope} (the weight handles are kept).
     */
    public static OrthogonalRegularization forModule(Module module, double beta) {
        Map<String, Tensor> selected = new LinkedHashMap<>();
        StringTensorDict ps = module.named_parameters(true);
        for (long i = 0; i < ps.size(); i++) {
            String name = ps.get(i).key().getString();
            Tensor p = ps.get(i).value();
            if (name.endsWith("weight_orig") && p.dim() >= 2) selected.put(name, new Tensor(p));   // owning handle
        }
        if (selected.isEmpty())
            throw new IllegalArgumentException("orthogonal regularisation: no weight_orig parameters in the module");
        return new OrthogonalRegularization(beta, selected);
    }

    /** beta * sum_W ||W W^T (.) (1 - I)||_F^2 as a differentiable scalar tensor (float32). */
    public Tensor penalty() {
        Tensor total = null;
        for (Tensor w : weights.values()) {
            Tensor t = offDiagonalSquaredNorm(w);
            total = total == null ? t : total.add(t);
        }
        return total.mul(new Scalar(beta));
    }

    /**
     * ||W W^T (.) (1 - I)||_F^2 for one weight W [out, ...], differentiable. Reduced-precision weights (bf16, fp16)
     * are promoted to float32; float32 and float64 weights keep their type.
     */
    public static Tensor offDiagonalSquaredNorm(Tensor weight) {
        Tensor w = weight.reshape(weight.size(0), -1);                             // [out, rest]
        var type = w.scalar_type().intern();
        if (type != torch.ScalarType.Float && type != torch.ScalarType.Double) w = w.to(torch.ScalarType.Float);
        Tensor gram = torch.mm(w, w.t());                                          // [out, out]
        Tensor offDiagonal = gram.sub(torch.diag_embed(gram.diagonal()));          // [out, out], exact zero diagonal
        return offDiagonal.pow(new Scalar(2)).sum();                               // scalar
    }

    public double beta() { return beta; }

    /** Names of the regularised weights, in order. */
    public List<String> weightNames() { return new ArrayList<>(weights.keySet()); }
}
