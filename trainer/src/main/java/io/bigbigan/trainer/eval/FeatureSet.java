package io.bigbigan.trainer.eval;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;

/**
 * Frozen features of one representation, for a train and a test split, with their class labels.
 *
 * <p>{@code train} is float32 {@code [N, D]}, {@code trainLabels} int64 {@code [N]}, {@code test} float32
 * {@code [M, D]}, {@code testLabels} int64 {@code [M]}; labels are class indices {@code 0..K-1}. The tensors are
 * borrowed, never modified, and must stay alive while the set is used. Features are treated as constants
 * (evaluators detach them).
 *
 * @throws IllegalArgumentException (from the constructor) naming the offending tensor when a rank, dtype, row count,
 *                                  feature dimension or label value does not fit
 */
public record FeatureSet(Tensor train, Tensor trainLabels, Tensor test, Tensor testLabels) {

    public FeatureSet {
        checkFeaturesAndLabels("train", train, trainLabels);
        checkFeaturesAndLabels("test", test, testLabels);
        if (train.size(1) != test.size(1))
            throw new IllegalArgumentException("feature dimensions differ: train has " + train.size(1)
                    + " features per row, test has " + test.size(1));
    }

    /**
     * This set with only the train rows {@code rows} (int64 [n] indices; e.g. {@link EncoderEvaluation#balancedSubset})
     * and the same test rows.
     */
    public FeatureSet withTrainRows(Tensor rows) {
        return new FeatureSet(train.index_select(0, rows), trainLabels.index_select(0, rows), test, testLabels);
    }

    /** Feature dimension {@code D}. */
    public long dim() {
        return train.size(1);
    }

    /** Number of train rows {@code N}. */
    public long trainRows() {
        return train.size(0);
    }

    /** Number of test rows {@code M}. */
    public long testRows() {
        return test.size(0);
    }

    /** Number of classes {@code K}: one more than the largest label of either split. */
    public int numClasses() {
        return Math.toIntExact(Math.max(maxLabel(trainLabels), maxLabel(testLabels)) + 1);
    }

    /**
     * Checks that {@code features} is float32 {@code [N, D]} with {@code N, D > 0} and {@code labels} int64
     * {@code [N]} with non-negative values.
     *
     * @param what the split's name, used in error messages
     * @throws IllegalArgumentException describing the first problem found
     */
    static void checkFeaturesAndLabels(String what, Tensor features, Tensor labels) {
        if (features == null || labels == null)
            throw new IllegalArgumentException(what + ": features and labels are required");
        // scalar_type() returns a fresh enum copy: compare intern()ed values, never the raw result
        if (features.dim() != 2)
            throw new IllegalArgumentException(what + " features must be 2-D [N, D], got shape "
                    + Arrays.toString(Tensors.shape(features)));
        if (features.scalar_type().intern() != torch.ScalarType.Float)
            throw new IllegalArgumentException(what + " features must be float32, got " + features.scalar_type());
        if (features.size(0) == 0 || features.size(1) == 0)
            throw new IllegalArgumentException(what + " features are empty: shape "
                    + Arrays.toString(Tensors.shape(features)));
        if (labels.dim() != 1)
            throw new IllegalArgumentException(what + " labels must be 1-D [N], got shape "
                    + Arrays.toString(Tensors.shape(labels)));
        if (labels.scalar_type().intern() != torch.ScalarType.Long)
            throw new IllegalArgumentException(what + " labels must be int64, got " + labels.scalar_type());
        if (labels.size(0) != features.size(0))
            throw new IllegalArgumentException(what + ": " + labels.size(0) + " labels for " + features.size(0)
                    + " feature rows");
        long min;
        try (StepScope _ = StepScope.open()) {
            min = labels.min().item_long();
        }
        if (min < 0) throw new IllegalArgumentException(what + " labels must be class indices >= 0, found " + min);
    }

    static long maxLabel(Tensor labels) {
        try (StepScope _ = StepScope.open()) {
            return labels.max().item_long();
        }
    }
}
