package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Locale;

/**
 * Timing of k-NN and the linear probe at Fashion-MNIST size (60000 x 784 train, 10000 x 784 test, 10 classes) on
 * random data. Prints numbers, asserts nothing about time. Skipped unless {@code -Dbigbigan.bench=true}:
 * <pre>
 * /tmp/mvnj -q test -pl tests -am -Dtest='io.bigbigan.trainer.eval.EvalBenchmarkTest' \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dbigbigan.bench=true
 * </pre>
 */
@EnabledIfSystemProperty(named = "bigbigan.bench", matches = "true")
class EvalBenchmarkTest {
    private static final int TRAIN = 60000, TEST = 10000, DIM = 784, CLASSES = 10;

    /** Random features with a weak class signal (class mean shifted by 0.15 on 1/10 of the dimensions). */
    private static FeatureSet fashionSized() {
        TensorOptions f = new TensorOptions(torch.ScalarType.Float), l = new TensorOptions(torch.ScalarType.Long);
        Generator g = torch.createCPUGenerator(2024);
        Tensor means = torch.randn(new long[]{CLASSES, DIM}, new GeneratorOptional(g), f).mul(new Scalar(0.15));
        Tensor ytr = torch.arange(new Scalar((long) TRAIN), l).remainder(new Scalar((long) CLASSES));
        Tensor yte = torch.arange(new Scalar((long) TEST), l).remainder(new Scalar((long) CLASSES));
        Tensor xtr = torch.randn(new long[]{TRAIN, DIM}, new GeneratorOptional(g), f).add(means.index_select(0, ytr));
        Tensor xte = torch.randn(new long[]{TEST, DIM}, new GeneratorOptional(g), f).add(means.index_select(0, yte));
        return new FeatureSet(xtr, ytr, xte, yte);
    }

    @Test
    void fashionMnistSizedTimings() {
        try (StepScope _ = StepScope.open()) {
            FeatureSet fs = fashionSized();
            System.out.printf(Locale.ROOT, "data: %d x %d train, %d x %d test, %d threads%n",
                    fs.trainRows(), fs.dim(), fs.testRows(), fs.dim(), torch.get_num_threads());
            for (KNearestNeighbors.Metric m : KNearestNeighbors.Metric.values()) {
                KNearestNeighbors.Result r = KNearestNeighbors.evaluate(fs,
                        KNearestNeighbors.Config.defaults().withMetric(m));
                System.out.printf(Locale.ROOT, "k-NN %s k={1,5,20}: %.1f s, accuracy %s%n", m, r.seconds(), r.accuracyByK());
            }
            LinearProbe.Result p = LinearProbe.evaluate(fs, LinearProbe.Config.defaults());
            System.out.printf(Locale.ROOT, "linear probe (L-BFGS, l2 grid %s): %.1f s, %d iterations, chosen l2 %s, "
                            + "held-out %.4f, test top-1 %.4f, top-5 %.4f%n", LinearProbe.Config.defaults().l2Grid(),
                    p.seconds(), p.iterations(), p.bestL2(), p.holdoutAccuracy(), p.testTop1(), p.testTop5());
            LinearProbe.Result one = LinearProbe.evaluate(fs, LinearProbe.Config.defaults().withL2Grid(1.0 / TRAIN));
            System.out.printf(Locale.ROOT, "linear probe (l2 = 1/N, scikit-learn's C = 1): %.1f s, test top-1 %.4f%n",
                    one.seconds(), one.testTop1());
        }
    }
}
