package io.bigbigan.trainer.data;

/** How {@link ImageFolderReader} fits an image of any size into its fixed square. */
public enum ImageFit {
    /** Cut the largest centred square, then area-resample it to the target side (aspect ratio kept). */
    CENTER_CROP,
    /** Area-resample the whole image to the target square (aspect ratio not kept). */
    RESIZE
}
