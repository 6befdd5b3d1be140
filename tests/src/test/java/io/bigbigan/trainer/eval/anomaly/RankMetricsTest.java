package io.bigbigan.trainer.eval.anomaly;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** AUROC and average precision: a hand-computed example with a tie, edge cases, and scikit-learn on random data. */
class RankMetricsTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void handComputedExampleWithATie() {
        // positives 0.4 and 0.8; negatives 0.1, 0.35, 0.4 (one tie across the classes).
        double[] s = {0.1, 0.4, 0.35, 0.8, 0.4};
        boolean[] y = {false, true, false, true, false};
        // pairs (pos, neg): 0.4 beats 0.1 and 0.35, ties 0.4 (1/2); 0.8 beats all three: 5.5 of 6
        assertEquals(5.5 / 6, RankMetrics.auroc(s, y), 1e-12);
        // thresholds high to low: 0.8 -> recall 1/2 at precision 1; 0.4 (two images) -> recall 1 at precision 2/3
        assertEquals(0.5 * 1 + 0.5 * 2.0 / 3, RankMetrics.averagePrecision(s, y), 1e-12);
    }

    @Test
    void perfectReversedAndConstantScores() {
        boolean[] y = {false, false, true, true};
        assertEquals(1.0, RankMetrics.auroc(new double[]{1, 2, 3, 4}, y));
        assertEquals(1.0, RankMetrics.averagePrecision(new double[]{1, 2, 3, 4}, y));
        assertEquals(0.0, RankMetrics.auroc(new double[]{4, 3, 2, 1}, y));
        assertEquals(0.5, RankMetrics.auroc(new double[]{7, 7, 7, 7}, y), "all tied: chance");
        assertEquals(0.5, RankMetrics.averagePrecision(new double[]{7, 7, 7, 7}, y), "all tied: the positive rate");
    }

    @Test
    void refusesOneClassAndNaN() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> RankMetrics.auroc(new double[]{1, 2}, new boolean[]{true, true}));
        assertTrue(e.getMessage().contains("both normal and anomalous"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> RankMetrics.averagePrecision(new double[]{Double.NaN, 2}, new boolean[]{true, false}));
        assertThrows(IllegalArgumentException.class,
                () -> RankMetrics.auroc(new double[]{1, 2, 3}, new boolean[]{true, false}));
    }

    /** Equals roc_auc_score and average_precision_score on 2000 scores with many ties (CI: must run). */
    @Test
    void matchesScikitLearn(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        boolean ok = Files.isExecutable(PYTHON)
                && new ProcessBuilder(PYTHON.toString(), "-c", "import sklearn, numpy").start().waitFor() == 0;
        if (System.getenv("CI") == null) assumeTrue(ok, "/usr/bin/python3 with scikit-learn not installed");
        else if (!ok) fail("CI must install python3-sklearn and python3-numpy (.ci/run)");
        Random r = new Random(7);
        int n = 2000;
        double[] s = new double[n];
        boolean[] y = new boolean[n];
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < n; i++) {
            y[i] = r.nextDouble() < 0.15;
            s[i] = Math.round((r.nextGaussian() + (y[i] ? 0.8 : 0)) * 10) / 10.0;   // rounded: many ties
            csv.append(String.format(Locale.ROOT, "%s,%d%n", Double.toString(s[i]), y[i] ? 1 : 0));
        }
        Path file = dir.resolve("scores.csv");
        Files.writeString(file, csv);
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import numpy as np, sys\n"
                + "from sklearn.metrics import roc_auc_score, average_precision_score\n"
                + "d = np.loadtxt(sys.argv[1], delimiter=',')\n"
                + "print(repr(roc_auc_score(d[:,1], d[:,0])), repr(average_precision_score(d[:,1], d[:,0])))\n",
                file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        String[] v = out.split("\\s+");
        assertEquals(Double.parseDouble(v[0]), RankMetrics.auroc(s, y), 1e-12, out);
        assertEquals(Double.parseDouble(v[1]), RankMetrics.averagePrecision(s, y), 1e-12, out);
    }
}
