package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.data.DatasetSplits;
import io.bigbigan.trainer.data.Datasets;
import io.bigbigan.trainer.data.OnBadImage;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.model.images.ImageFiles;
import java.util.Locale;

import picocli.CommandLine.Option;

/** Which dataset, and optionally how much of it. */
final class DataOptions {
    @Option(names = "--data", description = Datasets.DATA_HELP)
    String data;

    @Option(names = "--train-limit", description = "Use only the first N training images.")
    Integer trainLimit;

    @Option(names = "--test-limit", description = "Use only the first N test images.")
    Integer testLimit;

    @Option(names = "--image-size", description = "Side of the square images read from folder:DIR (default: the preset's resolution).")
    Integer imageSize;

    @Option(names = "--channels", description = "Channels of images read from folder:DIR: 1 or 3 (default: the preset's).")
    Integer channels;

    @Option(names = "--on-bad-image", defaultValue = "fail",
            description = "Undecodable files in folder:DIR: fail or skip (default: ${DEFAULT-VALUE}).")
    String onBadImage;

    @Option(names = "--max-image-pixels", defaultValue = "50000000", description = {"Images in folder:DIR (and files",
            "given to encode) whose header announces more pixels (width x height) are bad files, never decoded",
            "(about 16 bytes of Java heap per pixel); default: ${DEFAULT-VALUE}."})
    long maxImagePixels = ImageFiles.DEFAULT_MAX_PIXELS;

    /** The dataset name given, else the one {@code loaded} was trained on (its metadata; synthetic if unrecorded). */
    String spec(Checkpoints.Loaded loaded) {
        String recorded = loaded.meta().run().data();
        return spec(recorded != null ? recorded : "synthetic");
    }

    /** The dataset name given, else {@code fallback}. */
    String spec(String fallback) {
        return data != null ? data : fallback;
    }

    /** Opens the splits, cut to the limits (folder images default to 32 x 32 RGB). */
    DatasetSplits open(String fallback) {
        return open(fallback, Datasets.FolderSettings.DEFAULT.size(), Datasets.FolderSettings.DEFAULT.channels());
    }

    /** Opens the splits, cut to the limits; folder images default to {@code size} x {@code size} x {@code channels}. */
    DatasetSplits open(String fallback, int defaultSize, int defaultChannels) {
        DatasetSplits full = Datasets.open(spec(fallback), folderSettings(defaultSize, defaultChannels));
        if (trainLimit == null && testLimit == null) return full;
        ImageDataset train = limit(full.train(), trainLimit, "--train-limit");
        ImageDataset test = limit(full.test(), testLimit, "--test-limit");
        return new DatasetSplits(train, test);
    }

    /** The folder settings from the flags; skipped files are reported on standard error. */
    Datasets.FolderSettings folderSettings(int defaultSize, int defaultChannels) {
        OnBadImage policy = switch (onBadImage == null ? "fail" : onBadImage.trim().toLowerCase(Locale.ROOT)) {
            case "fail" -> OnBadImage.FAIL;
            case "skip" -> OnBadImage.SKIP;
            default -> throw new OptionException("--on-bad-image must be fail or skip, got '" + onBadImage + "'");
        };
        return new Datasets.FolderSettings(imageSize != null ? imageSize : defaultSize,
                channels != null ? channels : defaultChannels, policy, System.err::println, maxImagePixels);
    }

    private static ImageDataset limit(ImageDataset d, Integer n, String flag) {
        if (n == null) return d;
        if (n < 1) throw new OptionException(flag + " must be at least 1");
        return n >= d.size() ? d : d.subset(0, n);
    }
}
