package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Linear probe: multinomial logistic regression on frozen features, fitted to convergence (the linear evaluation
 * of the BiGAN and BigBiGAN papers; the same model as scikit-learn's {@code LogisticRegression} on standardised
 * features).
 *
 * <p>Protocol:
 * <ol>
 *   <li>features are standardised with the train split's per-feature mean and (population) std; features with
 *       std &lt; 1e-6 are only centred;</li>
 *   <li>the train split is shuffled with a private generator seeded by {@link Config#seed()} and
 *       {@link Config#holdoutFraction()} of it is held out; the rest is the fit part;</li>
 *   <li>for each L2 coefficient of {@link Config#l2Grid()}, strongest first, {@link SoftmaxRegression} is fitted on
 *       the fit part by full-batch L-BFGS ({@link Lbfgs}) until the largest gradient component is below
 *       {@link Config#tolerance()} (each fit starts from the previous one's solution: a regularisation path); the
 *       held-out accuracy is measured; the path stops after {@link Config#patience()} coefficients without a better
 *       held-out accuracy;</li>
 *   <li>the coefficient with the best held-out accuracy (ties: the lower held-out cross-entropy) is kept and the
 *       classifier is refitted with it on the whole train split (from the fit part's solution);</li>
 *   <li>that classifier is scored on the test split: top-1, and top-5 when there are more than 5 classes.</li>
 * </ol>
 * Results are identical for equal seeds, data and thread settings. Every tensor lives in the evaluation's own
 * {@link StepScope}.
 */
public final class LinearProbe {
    private LinearProbe() {}

    /**
     * Settings of one linear-probe evaluation.
     *
     * @param l2Grid          L2 coefficients to select from (of the mean-loss objective; scikit-learn's C is
     *                        {@code 1 / (l2 N)}), at least one, each &gt; 0; they are tried from the largest down
     * @param holdoutFraction share of the train split held out for the selection, in (0, 1)
     * @param patience        coefficients without a better held-out accuracy before the path stops (0: never)
     * @param seed            seed of the held-out split
     * @param maxIterations   L-BFGS iterations per fit, at least 1
     * @param tolerance       convergence threshold on the largest gradient component, &gt; 0
     */
    public record Config(List<Double> l2Grid, double holdoutFraction, int patience, long seed, int maxIterations,
                         double tolerance) {
        public Config {
            if (l2Grid == null || l2Grid.isEmpty()) throw new IllegalArgumentException("at least one L2 coefficient is required");
            for (Double v : l2Grid)
                if (v == null || !(v > 0) || v.isInfinite())
                    throw new IllegalArgumentException("L2 coefficients must be positive, got " + v);
            List<Double> sorted = new ArrayList<>(l2Grid);
            sorted.sort(Collections.reverseOrder());
            l2Grid = List.copyOf(sorted);
            if (!(holdoutFraction > 0 && holdoutFraction < 1))
                throw new IllegalArgumentException("holdoutFraction must be in (0, 1), got " + holdoutFraction);
            if (patience < 0) throw new IllegalArgumentException("patience must be >= 0, got " + patience);
            if (maxIterations < 1) throw new IllegalArgumentException("maxIterations must be >= 1, got " + maxIterations);
            if (!(tolerance > 0)) throw new IllegalArgumentException("tolerance must be > 0, got " + tolerance);
        }

        /**
         * L2 coefficients 1 .. 1e-7 in half decades, 10% held out, patience 3, seed 0, at most 1000 L-BFGS
         * iterations per fit, gradient tolerance 1e-4 (at equal L2, test accuracies matched scikit-learn's to 0.05
         * points on bigbigan-32 features; a tolerance of 1e-6 changed them by at most 0.05 points).
         */
        public static Config defaults() {
            return new Config(List.of(1.0, 3e-1, 1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7,
                    1e-7), 0.1, 3, 0L, 1000, 1e-4);
        }

        /** This configuration with other L2 coefficients. */
        public Config withL2Grid(Double... values) {
            return new Config(List.of(values), holdoutFraction, patience, seed, maxIterations, tolerance);
        }

        /** This configuration with another seed. */
        public Config withSeed(long s) {
            return new Config(l2Grid, holdoutFraction, patience, s, maxIterations, tolerance);
        }

        /** This configuration with another iteration budget per fit. */
        public Config withMaxIterations(int n) {
            return new Config(l2Grid, holdoutFraction, patience, seed, n, tolerance);
        }

        /** This configuration with another gradient tolerance. */
        public Config withTolerance(double t) {
            return new Config(l2Grid, holdoutFraction, patience, seed, maxIterations, t);
        }

        /** This configuration with another patience. */
        public Config withPatience(int p) {
            return new Config(l2Grid, holdoutFraction, p, seed, maxIterations, tolerance);
        }
    }

    /**
     * Outcome of one linear-probe evaluation (accuracies in [0, 1]).
     *
     * @param numClasses      K
     * @param dim             feature dimension D
     * @param fitRows         train rows of the fit part
     * @param holdoutRows     train rows held out for the selection
     * @param holdoutAccuracy held-out accuracy at the kept coefficient
     * @param bestL2          the kept L2 coefficient
     * @param holdoutByL2     held-out accuracy of each coefficient tried, in the order tried
     * @param iterations      L-BFGS iterations over the path and the refit
     * @param converged       whether the final fit met the gradient tolerance
     * @param testTop1        test top-1 accuracy of the refitted classifier
     * @param testTop5        test top-5 accuracy, NaN when {@code K <= 5}
     * @param seconds         wall time of the evaluation
     */
    public record Result(int numClasses, long dim, long fitRows, long holdoutRows, double holdoutAccuracy,
                         double bestL2, Map<Double, Double> holdoutByL2, int iterations, boolean converged,
                         double testTop1, double testTop5, double seconds) {
        public Result {
            holdoutByL2 = Collections.unmodifiableMap(new LinkedHashMap<>(holdoutByL2));
        }
    }

    /**
     * Selects, refits and scores a linear classifier on {@code data}.
     *
     * @throws IllegalArgumentException when the train split is too small to hold out at least one row and keep at
     *                                  least one for fitting
     */
    public static Result evaluate(FeatureSet data, Config config) {
        long start = System.nanoTime();
        long n = data.trainRows();
        long holdout = Math.round(n * config.holdoutFraction());
        if (holdout < 1 || holdout >= n)
            throw new IllegalArgumentException("cannot hold out " + config.holdoutFraction() + " of " + n
                    + " train rows and keep both parts non-empty");
        int k = data.numClasses();
        try (StepScope _ = StepScope.open(); NoGradGuard _ = new NoGradGuard()) {
            // --- standardise with the train split's statistics, then split ---
            Tensor train = data.train().detach().to(torch.ScalarType.Double);               // as scikit-learn
            T_TensorTensor_T stdMean = torch.std_mean(train, new long[]{0}, false, true);
            Tensor std = stdMean.get0();                                                    // [1, D]
            Tensor mean = stdMean.get1();                                                   // [1, D]
            std.masked_fill_(std.lt(new Scalar(1e-6)), new Scalar(1.0));
            Tensor trainX = train.sub(mean).div(std);                                       // [N, D]
            Tensor testX = data.test().detach().to(torch.ScalarType.Double).sub(mean).div(std); // [M, D]
            Generator splitGen = torch.createCPUGenerator(config.seed());
            Tensor perm = torch.randperm(n, new GeneratorOptional(splitGen), new TensorOptions(torch.ScalarType.Long));
            Tensor holdIdx = perm.narrow(0, 0, holdout);                                    // the rest is the fit part
            Tensor holdX = trainX.index_select(0, holdIdx), holdY = data.trainLabels().index_select(0, holdIdx);
            Tensor fitRows = torch.ones(new long[]{n}, new TensorOptions(torch.ScalarType.Double))
                    .index_fill_(0, holdIdx, new Scalar(0.0));                               // [N]: 0 = held out

            // --- the regularisation path on the fit part (the held-out rows weigh 0), selected on the held-out part ---
            SoftmaxRegression fit = new SoftmaxRegression(trainX, data.trainLabels(), fitRows, k);
            Tensor moment = trainX.t().mm(trainX).div(new Scalar((double) n));               // [D, D] preconditioner
            Map<Double, Double> byL2 = new LinkedHashMap<>();
            double[] theta = null, bestTheta = null;
            double bestAcc = -1, bestLoss = Double.POSITIVE_INFINITY, bestL2 = Double.NaN;
            int iterations = 0, sinceBest = 0;
            for (double l2 : config.l2Grid()) {
                Lbfgs.Result r = fit.l2(l2).fit(theta, config.maxIterations(), config.tolerance(), moment);
                theta = r.x();
                iterations += r.iterations();
                double acc = fit.accuracy(theta, holdX, holdY, 1);
                double loss = fit.crossEntropy(theta, holdX, holdY);
                byL2.put(l2, acc);
                if (acc > bestAcc || (acc == bestAcc && loss < bestLoss)) {
                    bestAcc = acc;
                    bestLoss = loss;
                    bestL2 = l2;
                    bestTheta = theta;
                    sinceBest = 0;
                } else if (config.patience() > 0 && ++sinceBest >= config.patience()) {
                    break;
                }
            }

            // --- refit on the whole train split and score ---
            SoftmaxRegression all = new SoftmaxRegression(trainX, data.trainLabels(), null, k).l2(bestL2);
            Lbfgs.Result r = all.fit(bestTheta, config.maxIterations(), config.tolerance(), moment);
            iterations += r.iterations();
            double top1 = all.accuracy(r.x(), testX, data.testLabels(), 1);
            double top5 = k > 5 ? all.accuracy(r.x(), testX, data.testLabels(), 5) : Double.NaN;
            return new Result(k, data.dim(), n - holdout, holdout, bestAcc, bestL2, byL2, iterations, r.converged(),
                    top1, top5, (System.nanoTime() - start) / 1e9);
        }
    }
}
