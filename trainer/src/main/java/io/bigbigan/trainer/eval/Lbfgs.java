package io.bigbigan.trainer.eval;

/**
 * Limited-memory BFGS (Nocedal, "Updating quasi-Newton matrices with limited storage", Math. Comp. 1980; Nocedal &amp;
 * Wright, Numerical Optimization, Algorithm 7.4 and 7.5) for smooth unconstrained problems on {@code double[]}
 * vectors: the two-loop recursion over the last {@code history} curvature pairs with the scaling
 * {@code gamma = s'y / y'y}, and a backtracking line search (Armijo condition, quadratic interpolation). Pairs with
 * {@code s'y <= 0} are skipped, so the search direction stays a descent direction.
 *
 * <p>Stops when the largest gradient component is at most {@code tolerance} (converged), when no step along the
 * search direction decreases the objective (the objective's round-off is reached: also reported as converged when
 * the gradient is within 100x the tolerance), or after {@code maxIterations} iterations.
 */
public final class Lbfgs {
    private static final double ARMIJO = 1e-4;
    private static final int MAX_BACKTRACKS = 40;

    private Lbfgs() {}

    /** A differentiable objective. */
    public interface Objective {
        /** Returns f(x) and writes its gradient into {@code gradient} (same length as x). */
        double evaluate(double[] x, double[] gradient);

        /**
         * The measure compared with the tolerance, for the point of the latest {@link #evaluate} call, whose
         * gradient is {@code gradient}: by default its largest component. A change of variables overrides it to
         * measure the gradient in the original variables.
         */
        default double stationarity(double[] gradient) {
            return maxAbs(gradient);
        }
    }

    /**
     * The minimisation's outcome.
     *
     * @param x               the last iterate
     * @param value           f(x)
     * @param gradientMaxAbs  {@link Objective#stationarity} at x (by default the largest |gradient component|)
     * @param iterations      iterations run
     * @param evaluations     objective evaluations
     * @param converged       whether the gradient criterion was met (see the class comment)
     */
    public record Result(double[] x, double value, double gradientMaxAbs, int iterations, int evaluations,
                         boolean converged) {}

    /** Minimises {@code f} from {@code x0} (not modified). */
    public static Result minimize(Objective f, double[] x0, int maxIterations, double tolerance, int history) {
        if (maxIterations < 0) throw new IllegalArgumentException("maxIterations must be >= 0, got " + maxIterations);
        if (!(tolerance > 0)) throw new IllegalArgumentException("tolerance must be > 0, got " + tolerance);
        if (history < 1) throw new IllegalArgumentException("history must be >= 1, got " + history);
        int n = x0.length;
        double[] x = x0.clone(), g = new double[n], xn = new double[n], gn = new double[n], d = new double[n];
        double[] sNew = new double[n], yNew = new double[n];
        double[][] s = new double[history][], y = new double[history][];
        double[] rho = new double[history], alpha = new double[history];
        int stored = 0, newest = -1;
        double fx = f.evaluate(x, g), stationarity = f.stationarity(g);
        int evaluations = 1, iteration = 0;
        while (stationarity > tolerance && iteration < maxIterations) {
            iteration++;
            // d = -H g by the two-loop recursion (steepest descent, scaled to a unit step, without pairs)
            System.arraycopy(g, 0, d, 0, n);
            for (int k = 0; k < stored; k++) {
                int i = Math.floorMod(newest - k, history);
                alpha[i] = rho[i] * dot(s[i], d);
                axpy(-alpha[i], y[i], d);
            }
            double gamma = stored > 0 ? dot(s[newest], y[newest]) / dot(y[newest], y[newest]) : 1 / norm(g);
            scale(gamma, d);
            for (int k = stored - 1; k >= 0; k--) {
                int i = Math.floorMod(newest - k, history);
                double beta = rho[i] * dot(y[i], d);
                axpy(alpha[i] - beta, s[i], d);
            }
            scale(-1, d);
            double slope = dot(g, d);
            if (!(slope < 0)) {                                   // not a descent direction: restart from -g
                stored = 0;
                double gNorm = norm(g);
                for (int j = 0; j < n; j++) d[j] = -g[j] / gNorm;
                slope = dot(g, d);
            }
            // backtracking line search on the Armijo condition
            double t = 1, fn = Double.NaN;
            boolean accepted = false;
            for (int b = 0; b < MAX_BACKTRACKS; b++) {
                for (int j = 0; j < n; j++) xn[j] = x[j] + t * d[j];
                fn = f.evaluate(xn, gn);
                evaluations++;
                if (fn <= fx + ARMIJO * t * slope) {
                    accepted = true;
                    stationarity = f.stationarity(gn);
                    break;
                }
                // minimiser of the quadratic through f(0), f'(0) and f(t), kept within [0.1 t, 0.5 t]
                double q = Double.isFinite(fn) ? -slope * t * t / (2 * (fn - fx - slope * t)) : 0.1 * t;
                t = Math.min(0.5 * t, Math.max(0.1 * t, q));
            }
            if (!accepted) {                                      // round-off level: no decrease left to find
                return new Result(x, fx, stationarity, iteration, evaluations, stationarity <= 100 * tolerance);
            }
            for (int j = 0; j < n; j++) {
                sNew[j] = xn[j] - x[j];
                yNew[j] = gn[j] - g[j];
            }
            double sy = dot(sNew, yNew);
            if (sy > 1e-12 * dot(yNew, yNew)) {                   // else no curvature information: drop the pair
                newest = (newest + 1) % history;                  // replaces the oldest pair when full
                double[] freeS = s[newest], freeY = y[newest];
                s[newest] = sNew;
                y[newest] = yNew;
                sNew = freeS != null ? freeS : new double[n];
                yNew = freeY != null ? freeY : new double[n];
                rho[newest] = 1 / sy;
                stored = Math.min(stored + 1, history);
            }
            double[] swap = x;
            x = xn;
            xn = swap;
            swap = g;
            g = gn;
            gn = swap;
            fx = fn;
        }
        return new Result(x, fx, stationarity, iteration, evaluations, stationarity <= tolerance);
    }

    private static double dot(double[] a, double[] b) {
        double r = 0;
        for (int i = 0; i < a.length; i++) r += a[i] * b[i];
        return r;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static void axpy(double alpha, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) y[i] += alpha * x[i];
    }

    private static void scale(double alpha, double[] x) {
        for (int i = 0; i < x.length; i++) x[i] *= alpha;
    }
}
