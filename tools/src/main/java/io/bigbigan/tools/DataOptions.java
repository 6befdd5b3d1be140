package io.bigbigan.tools;

import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.Datasets;
import io.bigbigan.trainer.data.ImageDataset;
import picocli.CommandLine.Option;

/** Which dataset, and optionally how much of it. */
final class DataOptions {
    @Option(names = "--data", description = "synthetic, fashion-mnist, mnist or a folder of IDX files.")
    String data;

    @Option(names = "--train-limit", description = "Use only the first N training images.")
    Integer trainLimit;

    @Option(names = "--test-limit", description = "Use only the first N test images.")
    Integer testLimit;

    /** The dataset name given, else {@code fallback}. */
    String spec(String fallback) {
        return data != null ? data : fallback;
    }

    /** Opens the splits, cut to the limits. */
    DatasetSplits open(String fallback) {
        DatasetSplits full = Datasets.open(spec(fallback));
        if (trainLimit == null && testLimit == null) return full;
        ImageDataset train = limit(full.train(), trainLimit, "--train-limit");
        ImageDataset test = limit(full.test(), testLimit, "--test-limit");
        return new DatasetSplits(train, test);
    }

    private static ImageDataset limit(ImageDataset d, Integer n, String flag) {
        if (n == null) return d;
        if (n < 1) throw new IllegalArgumentException(flag + " must be at least 1");
        return n >= d.size() ? d : d.subset(0, n);
    }
}
