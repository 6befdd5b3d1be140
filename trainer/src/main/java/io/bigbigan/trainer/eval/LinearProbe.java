package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.Optimizers;
import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Linear probe: a softmax-regression classifier trained on frozen features (a simplified version of the
 * BigBiGAN paper's linear evaluation protocol).
 *
 * <p>Protocol:
 * <ol>
 *   <li>the train split is shuffled with a private generator seeded by {@link Config#seed()}, and
 *       {@link Config#holdoutFraction()} of it is held out for model selection; the rest is the fit part;</li>
 *   <li>features are standardised with the fit part's per-feature mean and (population) std; features with
 *       std &lt; 1e-6 are only centred;</li>
 *   <li>for each learning rate, weights {@code W [D, K]} and bias {@code b [K]} start at zero and are trained with
 *       Adam (betas 0.9, 0.999) on mini-batches of cross-entropy (+ {@code l2/2 * ||W||^2}); batch order comes
 *       from a generator seeded by the same seed, so every learning rate sees the same batches;</li>
 *   <li>an exponential moving average of {@code W} and {@code b} (decay {@link Config#emaDecay()} per step, as in the
 *       BigBiGAN paper's linear evaluation, Appendix; the decay is {@code min(emaDecay, (1 + t) / (10 + t))} at step
 *       {@code t}, a warm-up) is kept beside the live weights; every accuracy below is
 *       measured with the averaged weights ({@code emaDecay = 0} uses the live weights);</li>
 *   <li>after each epoch the held-out accuracy is measured; the (learning rate, epoch) with the best held-out
 *       accuracy is kept (first one wins on equal accuracy), and a learning rate stops early after
 *       {@link Config#patience()} epochs without improvement;</li>
 *   <li>the kept classifier is scored on the test split: top-1, and top-5 when there are more than 5 classes.</li>
 * </ol>
 * The classifier is not retrained on the full train split. Results are bit-identical for equal seeds, data and
 * thread settings. Each mini-batch step runs in its own {@link StepScope}; weights and optimiser live in the
 * evaluation's outer scope and are released when it returns.
 *
 * <p><b>Threads.</b> The probe's steps are tiny ({@code [256, D] x [D, K]}), too small to gain from intra-op
 * parallelism, while OpenMP's synchronisation makes them 10-50x slower whenever the cores are busy (measured on
 * 2 cores: ~0.3 ms vs 5-15 ms per step). {@link #evaluate} therefore sets LibTorch's process-wide intra-op thread
 * count to 1 while it runs and restores the previous count afterwards; do not run it concurrently with other
 * LibTorch work that relies on the thread count.
 */
public final class LinearProbe {
    private LinearProbe() {}

    /** Rows per forward pass when scoring held-out and test rows (no gradients). */
    private static final int EVAL_BATCH = 8192;

    /**
     * Settings of one linear-probe evaluation.
     *
     * @param epochs          maximum passes over the fit part per learning rate; 0 evaluates the all-zero
     *                        classifier (every row predicted as class 0), a baseline
     * @param batchSize       mini-batch rows
     * @param learningRates   Adam learning rates to sweep, at least one
     * @param l2              L2 penalty coefficient on {@code W} (0: none)
     * @param holdoutFraction share of the train split held out for selection, in (0, 1)
     * @param patience        epochs without held-out improvement before a learning rate stops (0: never early)
     * @param seed            seed of the split and of the batch order
     * @param emaDecay        decay of the weights' moving average per step, in [0, 1); 0 evaluates the live weights
     */
    public record Config(int epochs, int batchSize, List<Double> learningRates, double l2, double holdoutFraction,
                         int patience, long seed, double emaDecay) {
        public Config {
            if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
            if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            if (learningRates == null || learningRates.isEmpty())
                throw new IllegalArgumentException("at least one learning rate is required");
            for (Double lr : learningRates)
                if (lr == null || !(lr > 0) || lr.isInfinite())
                    throw new IllegalArgumentException("learning rates must be positive, got " + lr);
            learningRates = List.copyOf(learningRates);
            if (!(l2 >= 0) || Double.isInfinite(l2)) throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
            if (!(holdoutFraction > 0 && holdoutFraction < 1))
                throw new IllegalArgumentException("holdoutFraction must be in (0, 1), got " + holdoutFraction);
            if (patience < 0) throw new IllegalArgumentException("patience must be >= 0, got " + patience);
            if (!(emaDecay >= 0 && emaDecay < 1))
                throw new IllegalArgumentException("emaDecay must be in [0, 1), got " + emaDecay);
        }

        /** Without a moving average (the live weights are evaluated). */
        public Config(int epochs, int batchSize, List<Double> learningRates, double l2, double holdoutFraction,
                      int patience, long seed) {
            this(epochs, batchSize, learningRates, l2, holdoutFraction, patience, seed, 0.0);
        }

        /**
         * 15 epochs, batches of 256, lr sweep {1e-3, 3e-3, 1e-2}, no L2, 10% held out, patience 4, seed 0, weights
         * averaged with decay 0.99 per step.
         */
        public static Config defaults() {
            return new Config(15, 256, List.of(1e-3, 3e-3, 1e-2), 0.0, 0.1, 4, 0L, 0.99);
        }

        /** This configuration with another moving-average decay (0: evaluate the live weights). */
        public Config withEmaDecay(double d) {
            return new Config(epochs, batchSize, learningRates, l2, holdoutFraction, patience, seed, d);
        }

        /** This configuration with another epoch budget. */
        public Config withEpochs(int e) {
            return new Config(e, batchSize, learningRates, l2, holdoutFraction, patience, seed, emaDecay);
        }

        /** This configuration with other learning rates. */
        public Config withLearningRates(Double... lrs) {
            return new Config(epochs, batchSize, List.of(lrs), l2, holdoutFraction, patience, seed, emaDecay);
        }

        /** This configuration with another L2 coefficient. */
        public Config withL2(double v) {
            return new Config(epochs, batchSize, learningRates, v, holdoutFraction, patience, seed, emaDecay);
        }

        /** This configuration with another seed. */
        public Config withSeed(long s) {
            return new Config(epochs, batchSize, learningRates, l2, holdoutFraction, patience, s, emaDecay);
        }

        /** This configuration with another batch size. */
        public Config withBatchSize(int b) {
            return new Config(epochs, b, learningRates, l2, holdoutFraction, patience, seed, emaDecay);
        }

        /** This configuration with another patience. */
        public Config withPatience(int p) {
            return new Config(epochs, batchSize, learningRates, l2, holdoutFraction, p, seed, emaDecay);
        }
    }

    /**
     * Outcome of one linear-probe evaluation (accuracies in [0, 1]).
     *
     * @param numClasses            K
     * @param dim                   feature dimension D
     * @param fitRows               train rows used for fitting
     * @param holdoutRows           train rows held out for selection
     * @param holdoutAccuracy       held-out accuracy of the kept classifier
     * @param bestEpoch             epoch (1-based; 0 when {@code epochs == 0}) of the kept classifier
     * @param bestLearningRate      learning rate of the kept classifier (NaN when {@code epochs == 0})
     * @param holdoutByLearningRate best held-out accuracy reached by each learning rate, in sweep order
     * @param testTop1              test top-1 accuracy
     * @param testTop5              test top-5 accuracy, NaN when {@code K <= 5}
     * @param seconds               wall time of the evaluation
     */
    public record Result(int numClasses, long dim, long fitRows, long holdoutRows, double holdoutAccuracy,
                         int bestEpoch, double bestLearningRate, Map<Double, Double> holdoutByLearningRate,
                         double testTop1, double testTop5, double seconds) {
        public Result {
            holdoutByLearningRate = Collections.unmodifiableMap(new LinkedHashMap<>(holdoutByLearningRate));
        }
    }

    /**
     * Trains and selects a linear classifier on {@code data}'s train split and scores it on its test split.
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
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try {
            return run(data, config, holdout, start);
        } finally {
            torch.set_num_threads(threads);
        }
    }

    private static Result run(FeatureSet data, Config config, long holdout, long start) {
        long n = data.trainRows();
        int k = data.numClasses();
        long d = data.dim();
        try (StepScope _ = StepScope.open()) {
            TensorOptions longs = new TensorOptions(torch.ScalarType.Long);
            // --- split and standardise (no gradients: the features are constants) ---
            Tensor fitX, fitY, holdX, holdY, testX;
            try (NoGradGuard _ = new NoGradGuard()) {
                Generator splitGen = torch.createCPUGenerator(config.seed());
                Tensor perm = torch.randperm(n, new GeneratorOptional(splitGen), longs);   // [N]
                Tensor holdIdx = perm.narrow(0, 0, holdout);
                Tensor fitIdx = perm.narrow(0, holdout, n - holdout);
                Tensor train = data.train().detach();
                Tensor rawFit = train.index_select(0, fitIdx);                              // [F, D]
                T_TensorTensor_T stdMean = torch.std_mean(rawFit, new long[]{0}, false, true);
                Tensor std = stdMean.get0();                                                // [1, D]
                Tensor mean = stdMean.get1();                                               // [1, D]
                std.masked_fill_(std.lt(new Scalar(1e-6)), new Scalar(1.0));
                fitX = rawFit.sub(mean).div(std);                                           // [F, D]
                fitY = data.trainLabels().index_select(0, fitIdx);                          // [F]
                holdX = train.index_select(0, holdIdx).sub(mean).div(std);                  // [H, D]
                holdY = data.trainLabels().index_select(0, holdIdx);                        // [H]
                testX = data.test().detach().sub(mean).div(std);                            // [M, D]
            }
            long fitRows = n - holdout;

            // --- the selected classifier so far ---
            Tensor bestW = torch.zeros(new long[]{d, k}, new TensorOptions(torch.ScalarType.Float)); // [D, K]
            Tensor bestB = torch.zeros(new long[]{k}, new TensorOptions(torch.ScalarType.Float));    // [K]
            double bestAcc = accuracy(bestW, bestB, holdX, holdY, 1);
            int bestEpoch = 0;
            double bestLr = Double.NaN;
            boolean haveTrained = false;
            Map<Double, Double> byLr = new LinkedHashMap<>();

            for (double lr : config.epochs() == 0 ? List.<Double>of() : config.learningRates()) {
                Tensor w = torch.zeros(new long[]{d, k}, new TensorOptions(torch.ScalarType.Float)).requires_grad_(true);
                Tensor b = torch.zeros(new long[]{k}, new TensorOptions(torch.ScalarType.Float)).requires_grad_(true);
                Adam adam = Optimizers.adam(new TensorVector(w, b), lr, 0.9, 0.999, 1e-8);
                boolean ema = config.emaDecay() > 0;
                Tensor emaW = ema ? torch.zeros(new long[]{d, k}, new TensorOptions(torch.ScalarType.Float)) : w;
                Tensor emaB = ema ? torch.zeros(new long[]{k}, new TensorOptions(torch.ScalarType.Float)) : b;
                long[] emaSteps = {0};
                Generator batchGen = torch.createCPUGenerator(config.seed() + 1);
                double lrBest = -1;
                int lrBestEpoch = 0;
                for (int epoch = 1; epoch <= config.epochs(); epoch++) {
                    double acc;
                    try (StepScope _ = StepScope.open()) {
                        Tensor order;                                                       // [F]
                        try (NoGradGuard _ = new NoGradGuard()) {
                            order = torch.randperm(fitRows, new GeneratorOptional(batchGen), longs);
                        }
                        for (long off = 0; off < fitRows; off += config.batchSize()) {
                            try (StepScope _ = StepScope.open()) {
                                Tensor idx = order.narrow(0, off, Math.min(config.batchSize(), fitRows - off));
                                Tensor x = fitX.index_select(0, idx);                       // [B, D]
                                Tensor y = fitY.index_select(0, idx);                       // [B]
                                Tensor logits = torch.addmm(b, x, w);                       // [B, K]
                                Tensor loss = torch.cross_entropy_loss(logits, y);
                                if (config.l2() > 0)
                                    loss = loss.add(w.mul(w).sum().mul(new Scalar(config.l2() / 2)));
                                adam.zero_grad(true);
                                loss.backward();
                                adam.step();
                                if (ema) {
                                    try (NoGradGuard _ = new NoGradGuard()) {
                                        // warm-up as TensorFlow's ExponentialMovingAverage(num_updates): early
                                        // steps average over a short window, so short runs are not dominated by
                                        // the zero initialisation
                                        emaSteps[0]++;
                                        double dk = Math.min(config.emaDecay(), (1.0 + emaSteps[0]) / (10.0 + emaSteps[0]));
                                        emaW.lerp_(w, new Scalar(1 - dk));                  // emaW += (1-d)(w-emaW)
                                        emaB.lerp_(b, new Scalar(1 - dk));
                                    }
                                }
                            }
                        }
                        acc = accuracy(emaW, emaB, holdX, holdY, 1);
                    }
                    if (acc > lrBest) {
                        lrBest = acc;
                        lrBestEpoch = epoch;
                    }
                    if (!haveTrained || acc > bestAcc) {
                        haveTrained = true;
                        bestAcc = acc;
                        bestEpoch = epoch;
                        bestLr = lr;
                        try (NoGradGuard _ = new NoGradGuard()) {
                            bestW.copy_(emaW);
                            bestB.copy_(emaB);
                        }
                    }
                    if (config.patience() > 0 && epoch - lrBestEpoch >= config.patience()) break;
                }
                byLr.put(lr, lrBest);
            }

            double top1 = accuracy(bestW, bestB, testX, data.testLabels(), 1);
            double top5 = k > 5 ? accuracy(bestW, bestB, testX, data.testLabels(), 5) : Double.NaN;
            return new Result(k, d, fitRows, holdout, bestAcc, bestEpoch, bestLr, byLr, top1, top5,
                    (System.nanoTime() - start) / 1e9);
        }
    }

    /** Top-{@code topK} accuracy of the classifier {@code x @ w + b} on standardised rows {@code x [R, D]}. */
    private static double accuracy(Tensor w, Tensor b, Tensor x, Tensor y, int topK) {
        long rows = x.size(0);
        long correct = 0;
        try (NoGradGuard _ = new NoGradGuard()) {
            for (long off = 0; off < rows; off += EVAL_BATCH) {
                try (StepScope _ = StepScope.open()) {
                    long len = Math.min(EVAL_BATCH, rows - off);
                    Tensor logits = torch.addmm(b, x.narrow(0, off, len), w);              // [R', K]
                    Tensor truth = y.narrow(0, off, len);                                   // [R']
                    if (topK == 1) {
                        correct += logits.argmax(new LongOptional(1), false).eq(truth).sum().item_long();
                    } else {
                        Tensor top = logits.topk(topK, 1, true, true).get1();               // [R', topK]
                        correct += top.eq(truth.unsqueeze(1)).any(1).sum().item_long();
                    }
                }
            }
        }
        return correct / (double) rows;
    }
}
