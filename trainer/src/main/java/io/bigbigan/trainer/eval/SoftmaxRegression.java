package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Multinomial logistic (softmax) regression on fixed features, fitted exactly: the full-batch objective
 * <pre>
 * L(W, b) = (1/N) sum_i [logsumexp(x_i W + b) - (x_i W + b)_{y_i}] + (l2 / 2) ||W||^2      W [D, K], b [K]
 * </pre>
 * is minimised by {@link Lbfgs} (the bias is not penalised); with row weights the mean is a weighted mean. This is
 * scikit-learn's {@code LogisticRegression(solver="lbfgs")} objective with {@code l2 = 1 / (C N)}. Everything runs
 * in float64, as in scikit-learn: in float32 the objective's round-off (~1e-7) stops the line search before the
 * gradient is small.
 *
 * <p>Parameters travel as one {@code double[]} of length {@code (D + 1) K}: W row-major, then b.
 */
final class SoftmaxRegression implements Lbfgs.Objective {
    private final Tensor x, targets, weights;    // [N, D] float64, [N, K] float64 one-hot, [N, 1] float64 summing to 1
    private final long dim;
    private final int classes;
    private double l2;

    /**
     * @param x       features float64 [N, D] (kept, not copied)
     * @param y       labels int64 [N] in 0..K-1
     * @param rows    float64 [N] 1 for the rows the loss averages over, 0 for the others; null: every row
     * @param classes K
     */
    SoftmaxRegression(Tensor x, Tensor y, Tensor rows, int classes) {
        if (x.scalar_type().intern() != torch.ScalarType.Double) throw new IllegalArgumentException("features must be float64");
        this.x = x;
        this.dim = x.size(1);
        this.classes = classes;
        try (NoGradGuard g = new NoGradGuard()) {
            targets = torch.one_hot(y, classes).to(torch.ScalarType.Double);
            Tensor w = rows != null ? rows.to(torch.ScalarType.Double)
                    : torch.ones(new long[]{x.size(0)}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double));
            weights = w.div(w.sum()).unsqueeze(1);                                           // [N, 1]
        }
    }

    /** Sets the L2 coefficient of the objective. */
    SoftmaxRegression l2(double v) {
        this.l2 = v;
        return this;
    }

    /** The number of parameters, {@code (D + 1) K}. */
    int size() {
        return Math.toIntExact((dim + 1) * classes);
    }

    /** Minimises the objective from {@code start} (all zeros when null) without a preconditioner. */
    Lbfgs.Result fit(double[] start, int maxIterations, double tolerance) {
        return fit(start, maxIterations, tolerance, null);
    }

    /**
     * Minimises the objective from {@code start} (all zeros when null), preconditioned by the features' second
     * moment {@code moment} [D, D] (e.g. {@code X'X / N}; null: none): L-BFGS runs on U = L' W with
     * L L' = moment + K l2 I (Cholesky), the Hessian of the loss with respect to W being roughly
     * {@code (1/K) moment + l2 I} near W = 0; in U the problem is about as well conditioned as on whitened
     * features, while the objective (and its L2 penalty) stays the one on W. The tolerance applies to the gradient
     * with respect to W and b.
     */
    Lbfgs.Result fit(double[] start, int maxIterations, double tolerance, Tensor moment) {
        double[] x0 = start != null ? start : new double[size()];
        if (moment == null) return Lbfgs.minimize(this, x0, maxIterations, tolerance, 10);
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor eye = torch.eye(dim, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double));
            Tensor l = torch.linalg_cholesky(moment.add(eye.mul(new Scalar(classes * l2))));  // [D, D] lower
            Preconditioned p = new Preconditioned(l);
            Lbfgs.Result r = Lbfgs.minimize(p, p.toU(x0), maxIterations, tolerance, 10);
            return new Lbfgs.Result(p.toTheta(r.x()), r.value(), r.gradientMaxAbs(), r.iterations(),
                    r.evaluations(), r.converged());
        }
    }

    /** The objective in U = L' W (b unchanged); {@link #stationarity} measures the gradient in (W, b). */
    private final class Preconditioned implements Lbfgs.Objective {
        private final Tensor l;                     // [D, D] lower triangular
        private final double[] theta = new double[size()], grad = new double[size()];
        private double lastStationarity;

        Preconditioned(Tensor l) {
            this.l = l;
        }

        double[] toU(double[] t) {                  // U = L' W
            return transform(t, w -> l.t().mm(w));
        }

        double[] toTheta(double[] u) {              // W = L'^-1 U
            return transform(u, v -> torch.linalg_solve_triangular(l.t(), v, true));
        }

        private double[] transform(double[] in, java.util.function.UnaryOperator<Tensor> onW) {
            int wn = Math.toIntExact(dim * classes);
            double[] out = in.clone();
            try (StepScope s = StepScope.open()) {
                Tensor w = onW.apply(parameters(in)[0]).contiguous();                        // [D, K]
                w.data_ptr_double().get(out, 0, wn);
            }
            return out;
        }

        @Override
        public double evaluate(double[] u, double[] gradient) {
            int wn = Math.toIntExact(dim * classes);
            System.arraycopy(toTheta(u), 0, theta, 0, theta.length);
            double f = SoftmaxRegression.this.evaluate(theta, grad);
            lastStationarity = Lbfgs.maxAbs(grad);
            System.arraycopy(grad, wn, gradient, wn, classes);                               // d/db unchanged
            try (StepScope s = StepScope.open()) {                                           // dU = L^-1 dW
                Tensor gu = torch.linalg_solve_triangular(l, parameters(grad)[0], false).contiguous();
                gu.data_ptr_double().get(gradient, 0, wn);
            }
            return f;
        }

        @Override
        public double stationarity(double[] gradient) {
            return lastStationarity;
        }
    }

    @Override
    public double evaluate(double[] theta, double[] gradient) {
        int wn = Math.toIntExact(dim * classes);
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor[] wb = parameters(theta);
            Tensor logits = torch.addmm(wb[1], x, wb[0]);                                    // [N, K]
            Tensor lse = logits.logsumexp(new long[]{1}, true);                              // [N, 1]
            Tensor ce = lse.sub(logits.mul(targets).sum(new long[]{1}, true, new ScalarTypeOptional())); // [N, 1]
            double loss = ce.mul(weights).sum().item_double();
            Tensor dLogits = torch.softmax(logits, 1).sub(targets).mul(weights);              // [N, K]
            Tensor dW = x.t().mm(dLogits);                                                   // [D, K]
            Tensor db = dLogits.sum(new long[]{0}, false, new ScalarTypeOptional());          // [K]
            double[] gw = new double[wn], gb = new double[classes];
            dW.contiguous().data_ptr_double().get(gw);
            db.contiguous().data_ptr_double().get(gb);
            double penalty = 0;
            for (int i = 0; i < wn; i++) {
                penalty += theta[i] * theta[i];
                gradient[i] = gw[i] + l2 * theta[i];
            }
            System.arraycopy(gb, 0, gradient, wn, classes);
            return loss + 0.5 * l2 * penalty;
        }
    }

    /** {@code theta} as float64 tensors W [D, K] and b [K] (in the caller's scope). */
    Tensor[] parameters(double[] theta) {
        int wn = Math.toIntExact(dim * classes);
        Tensor all;
        try (DoublePointer p = new DoublePointer(theta)) {
            all = torch.from_blob(p, new long[]{theta.length}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double)).clone();
        }
        return new Tensor[]{all.narrow(0, 0, wn).view(dim, classes), all.narrow(0, wn, classes)};
    }

    /** Top-{@code topK} accuracy of {@code theta} on rows {@code features} [R, D] (float64) with labels [R]. */
    double accuracy(double[] theta, Tensor features, Tensor labels, int topK) {
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor[] wb = parameters(theta);
            Tensor logits = torch.addmm(wb[1], features, wb[0]);                              // [R, K]
            long correct;
            if (topK == 1) correct = logits.argmax(new LongOptional(1), false).eq(labels).sum().item_long();
            else correct = logits.topk(topK, 1, true, true).get1().eq(labels.unsqueeze(1)).any(1).sum().item_long();
            return correct / (double) features.size(0);
        }
    }

    /** The mean cross-entropy (no penalty) of {@code theta} on rows {@code features} [R, D] with labels [R]. */
    double crossEntropy(double[] theta, Tensor features, Tensor labels) {
        try (StepScope s = StepScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor[] wb = parameters(theta);
            return torch.cross_entropy_loss(torch.addmm(wb[1], features, wb[0]), labels).item_double();
        }
    }
}
