package io.bigbigan.trainer.data;

import java.util.List;

/**
 * The result of reading an image folder: the images, and the files that were skipped as unreadable.
 *
 * @param dataset the decoded images {@code [N, C, S, S]}, owned by the caller
 * @param skipped the files left out under {@link OnBadImage#SKIP}, in listing order (empty under FAIL)
 */
public record ImageFolder(ImageDataset dataset, List<SkippedImage> skipped) implements AutoCloseable {
    /** Copies the list. */
    public ImageFolder {
        skipped = List.copyOf(skipped);
    }

    @Override
    public void close() {
        dataset.close();
    }
}
