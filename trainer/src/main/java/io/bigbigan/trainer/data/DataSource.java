package io.bigbigan.trainer.data;

/**
 * One kind of data set the {@code --data} spec can name: its name, its help words, the side of its images and how
 * to open it. {@link Datasets#SOURCES} lists the built-in sources in the order they are tried; the first whose
 * {@link #accepts} answers yes opens the spec.
 *
 * <p>Adding a data set: write a source here, add it to {@link Datasets#SOURCES} (before the plain directory, which
 * accepts everything) and its {@link #help()} to {@link Datasets#DATA_HELP} (the {@code --data} help, a
 * compile-time constant because picocli descriptions must be; {@code DataSourcesTest} checks the two agree).
 */
public interface DataSource {
    /** The spec as the user writes it, e.g. {@code mnist} or {@code cifar10:DIR}. */
    String name();

    /**
     * The words that name and describe the source in the {@code --data} help and in the "unknown data set" error,
     * starting with {@link #name()}.
     */
    String help();

    /**
     * Whether this source opens {@code key}.
     *
     * @param key the spec, trimmed and in lower case
     */
    boolean accepts(String key);

    /**
     * The side of the square images {@link #open} yields for {@code spec}, as far as it is known without reading
     * them (e.g. the data set recorded in a checkpoint whose files are elsewhere); 0 when it depends on the
     * {@link Datasets.FolderSettings}.
     *
     * @param spec the spec as given (not trimmed), one that {@link #accepts} this source
     */
    int imageSize(String spec);

    /**
     * Opens the train and test splits.
     *
     * @param spec   the spec as given (not trimmed), one that {@link #accepts} this source
     * @param folder how image folders are read (size, channels, bad files)
     * @throws DataException naming the spec or path and what was expected
     */
    DatasetSplits open(String spec, Datasets.FolderSettings folder);
}
