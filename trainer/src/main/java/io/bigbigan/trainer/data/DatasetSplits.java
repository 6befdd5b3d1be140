package io.bigbigan.trainer.data;

/**
 * The training and test splits of one data set; closing it closes both.
 *
 * @param train the training split
 * @param test  the held-out test split (same image shape and classes)
 */
public record DatasetSplits(ImageDataset train, ImageDataset test) implements AutoCloseable {
    @Override
    public void close() {
        try {
            train.close();
        } finally {
            test.close();
        }
    }
}
