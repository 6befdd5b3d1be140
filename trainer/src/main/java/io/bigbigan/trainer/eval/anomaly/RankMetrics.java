package io.bigbigan.trainer.eval.anomaly;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Threshold-free detection figures of scores against binary labels (positive = anomalous, higher score = more
 * anomalous), computed exactly, with tied scores handled as scikit-learn does.
 */
public final class RankMetrics {
    private RankMetrics() {}

    /**
     * The area under the ROC curve: the probability that a random positive scores above a random negative, ties
     * counting one half (the Mann-Whitney U statistic over mid-ranks; equals {@code roc_auc_score}).
     *
     * @throws IllegalArgumentException when the lengths differ, a score is NaN, or one class is missing
     */
    public static double auroc(double[] scores, boolean[] positive) {
        int n = check(scores, positive);
        Integer[] order = order(scores, false);                                        // ascending
        double rankSumPositive = 0;
        long pos = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double midRank = (i + j) / 2.0 + 1;                                        // 1-based mid-rank of the tie
            for (int t = i; t <= j; t++)
                if (positive[order[t]]) {
                    rankSumPositive += midRank;
                    pos++;
                }
            i = j + 1;
        }
        long neg = n - pos;
        return (rankSumPositive - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    /**
     * Average precision, the area under the precision-recall curve as a step function: the sum over distinct score
     * thresholds, highest first, of (recall gain) x (precision at that threshold); tied scores enter together
     * (equals scikit-learn's {@code average_precision_score}).
     *
     * @throws IllegalArgumentException when the lengths differ, a score is NaN, or one class is missing
     */
    public static double averagePrecision(double[] scores, boolean[] positive) {
        int n = check(scores, positive);
        Integer[] order = order(scores, true);                                         // descending
        long totalPos = 0;
        for (boolean p : positive) if (p) totalPos++;
        double ap = 0;
        long tp = 0, seen = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            long tpHere = 0;
            for (int t = i; t <= j; t++) if (positive[order[t]]) tpHere++;
            tp += tpHere;
            seen += j - i + 1;
            ap += (double) tpHere / totalPos * ((double) tp / seen);
            i = j + 1;
        }
        return ap;
    }

    private static int check(double[] scores, boolean[] positive) {
        if (scores.length != positive.length)
            throw new IllegalArgumentException(scores.length + " scores but " + positive.length + " labels");
        int pos = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) throw new IllegalArgumentException("score " + i + " is NaN");
            if (positive[i]) pos++;
        }
        if (pos == 0 || pos == scores.length)
            throw new IllegalArgumentException("AUROC/AUPRC need both normal and anomalous images, got " + pos
                    + " anomalous of " + scores.length);
        return scores.length;
    }

    private static Integer[] order(double[] scores, boolean descending) {
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Comparator<Integer> c = Comparator.comparingDouble(i -> scores[i]);
        Arrays.sort(idx, descending ? c.reversed() : c);
        return idx;
    }
}
