package io.bigbigan.trainer.data;

/** What {@link ImageFolderReader} does with a file that cannot be decoded. */
public enum OnBadImage {
    /** Stop with a {@link DataException} naming the file. */
    FAIL,
    /** Leave the file out and report it in {@link ImageFolder#skipped()}. */
    SKIP
}
