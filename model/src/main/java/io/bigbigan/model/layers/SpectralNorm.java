package io.bigbigan.model.layers;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Spectral normalisation (Miyato et al., ICLR 2018; used on every layer of BigGAN's G and D): W / sigma(W), with
 * sigma estimated by power iteration on the weight reshaped to [out, rest].
 *
 * <p>Same semantics and names as PyTorch's {@code torch.nn.utils.spectral_norm}: the raw weight is the parameter
 * {@code weight_orig}, the singular-vector estimates are the buffers {@code weight_u} [out] and {@code weight_v}
 * [rest] (saved and restored with checkpoints). A new layer runs {@link #INIT_ITERATIONS} power iterations; in
 * training mode each forward runs one more and updates the buffers in place; in evaluation mode the stored vectors
 * are used as they are.
 */
public final class SpectralNorm {
    private static final double EPS = 1e-12;
    /** Power iterations run when a layer is created (as PyTorch's spectral_norm parametrization does). */
    public static final int INIT_ITERATIONS = 15;

    private SpectralNorm() {}

    /**
     * The normalised weight (differentiable with respect to {@code weight}). Inside a {@link Shared} block, a weight
     * is normalised (and iterated) on its first use only and later uses get the same tensor.
     *
     * @param weight     [out, ...]
     * @param u          [out] left singular vector estimate, updated in place when {@code iterations > 0}
     * @param v          [rest] right singular vector estimate, updated in place when {@code iterations > 0}
     * @param iterations power iterations to run first (1 in training, 0 in evaluation)
     */
    public static Tensor normalise(Tensor weight, Tensor u, Tensor v, int iterations) {
        Shared shared = Shared.ACTIVE.get();
        if (shared != null) {
            Tensor w = shared.weights.get(weight);
            if (w == null) {
                try (AutoGradMode grad = new AutoGradMode(true)) {          // a graph whenever weight needs one
                    w = compute(weight, u, v, iterations);
                }
                shared.weights.put(weight, w);
            }
            return w;
        }
        return compute(weight, u, v, iterations);
    }

    private static Tensor compute(Tensor weight, Tensor u, Tensor v, int iterations) {
        powerIterate(weight, u, v, iterations);
        Tensor w2d = weight.reshape(weight.size(0), -1);                          // [out, rest]
        Tensor sigma = torch.dot(u, w2d.mv(v));                                    // scalar, grad flows through W
        return weight.div(sigma);
    }

    /**
     * A block in which every spectrally normalised layer normalises its weight once, however often it runs: a
     * network applied to several inputs in turn (e.g. to the halves of a batch that need and need not a gradient)
     * then computes exactly what one pass over their concatenation computes, with one power iteration per layer in
     * training. Thread-local; blocks do not nest (an inner block shares the outer one's weights).
     */
    public static final class Shared implements AutoCloseable {
        private static final ThreadLocal<Shared> ACTIVE = new ThreadLocal<>();
        private final java.util.IdentityHashMap<Tensor, Tensor> weights = new java.util.IdentityHashMap<>();
        private final boolean outer;

        private Shared(boolean outer) {
            this.outer = outer;
        }

        /** Opens a block on this thread. */
        public static Shared open() {
            if (ACTIVE.get() != null) return new Shared(false);
            Shared s = new Shared(true);
            ACTIVE.set(s);
            return s;
        }

        @Override
        public void close() {
            if (outer && ACTIVE.get() == this) ACTIVE.remove();
            weights.clear();
        }
    }

    /** Runs {@code iterations} power iterations, updating u [out] and v [rest] in place (no gradient). */
    public static void powerIterate(Tensor weight, Tensor u, Tensor v, int iterations) {
        if (iterations <= 0) return;
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor wd = weight.detach().reshape(weight.size(0), -1);               // [out, rest]
            for (int i = 0; i < iterations; i++) {
                v.copy_(normalize(wd.t().mv(u)));                                  // [rest]
                u.copy_(normalize(wd.mv(v)));                                      // [out]
            }
        }
    }

    /**
     * Re-estimates the singular vectors of every spectrally normalised weight under {@code root} (found by the names
     * {@code X.weight_orig}, {@code X.weight_u}, {@code X.weight_v}), e.g. after re-initialising the weights, so that
     * an evaluation-mode forward before any training step already uses a good sigma.
     */
    public static void refreshAll(Module root, int iterations) {
        forEachLayer(root, (name, w, u, v) -> powerIterate(w, u, v, iterations));
    }

    /**
     * sigma(W) = u^T W v of every spectrally normalised weight under {@code root}, by the weight's name prefix
     * ({@code X.weight} for {@code X.weight_orig}), from the stored u and v without iterating (for monitoring;
     * cost: one matrix-vector product per layer). Empty when {@code root} has no such layer.
     */
    public static java.util.LinkedHashMap<String, Double> sigmas(Module root) {
        var out = new java.util.LinkedHashMap<String, Double>();
        forEachLayer(root, (name, w, u, v) -> out.put(name, sigma(w, u, v)));
        return out;
    }

    /** A spectrally normalised layer's weight (named {@code X.weight}) with its singular-vector buffers. */
    private interface LayerVisitor {
        void visit(String weightName, Tensor weightOrig, Tensor u, Tensor v);
    }

    /** Visits every {@code X.weight_orig} under {@code root} that has {@code X.weight_u} and {@code X.weight_v}. */
    private static void forEachLayer(Module root, LayerVisitor visitor) {
        StringTensorDict params = root.named_parameters(true);
        StringTensorDict buffers = root.named_buffers(true);
        for (long i = 0; i < params.size(); i++) {
            String name = params.get(i).key().getString();
            if (!name.endsWith("weight_orig")) continue;
            String prefix = name.substring(0, name.length() - "orig".length());       // "X.weight_"
            if (!buffers.contains(prefix + "u") || !buffers.contains(prefix + "v")) continue;
            visitor.visit(prefix.substring(0, prefix.length() - 1), params.get(i).value(), buffers.get(prefix + "u"),
                    buffers.get(prefix + "v"));
        }
    }

    /** sigma(W) from the stored vectors, without iterating (for monitoring). */
    public static double sigma(Tensor weight, Tensor u, Tensor v) {
        try (NoGradGuard g = new NoGradGuard()) {
            return torch.dot(u, weight.reshape(weight.size(0), -1).mv(v)).item_double();
        }
    }

    /** Unit vectors for a fresh [out, rest] weight: u, v drawn from N(0, 1) and normalised. */
    static Tensor[] initialVectors(long out, long rest) {
        try (NoGradGuard g = new NoGradGuard()) {
            return new Tensor[]{normalize(torch.randn(out)), normalize(torch.randn(rest))};
        }
    }

    private static Tensor normalize(Tensor t) {
        return t.div(t.norm().add(new Scalar(EPS)));
    }
}
