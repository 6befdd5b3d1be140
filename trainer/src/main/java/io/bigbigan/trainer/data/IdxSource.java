package io.bigbigan.trainer.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A named data set of the four IDX files in a fixed directory, e.g. {@code fashion-mnist} (the Debian package's
 * files in {@value Datasets#FASHION_MNIST_DIR}) or {@code mnist} ({@value Datasets#MNIST_DIR}).
 *
 * @param name       the spec and the prefix of the splits' names
 * @param help       the help words
 * @param keys       the specs it accepts (lower case): the name and its aliases
 * @param dir        where the files are
 * @param classNames class names indexed by label
 */
record IdxSource(String name, String help, List<String> keys, String dir, List<String> classNames)
        implements DataSource {
    /** Side of the MNIST family's images (and assumed for IDX folders, whose headers are not read for it). */
    static final int SIDE = 28;
    static final String FASHION_MNIST_HELP = "fashion-mnist";
    static final String MNIST_HELP = "mnist";


    /** {@code fashion-mnist} (also {@code fashion_mnist}, {@code fashionmnist}). */
    static IdxSource fashionMnist() {
        return new IdxSource("fashion-mnist", FASHION_MNIST_HELP, List.of("fashion-mnist", "fashion_mnist",
                "fashionmnist"), Datasets.FASHION_MNIST_DIR, Datasets.FASHION_MNIST_CLASSES);
    }

    /** {@code mnist}. */
    static IdxSource mnist() {
        return new IdxSource("mnist", MNIST_HELP, List.of("mnist"), Datasets.MNIST_DIR, Datasets.DIGIT_CLASSES);
    }

    IdxSource {
        keys = List.copyOf(keys);
        classNames = List.copyOf(classNames);
    }

    @Override
    public boolean accepts(String key) {
        return keys.contains(key);
    }

    @Override
    public int imageSize(String spec) {
        return SIDE;
    }

    @Override
    public DatasetSplits open(String spec, Datasets.FolderSettings folder) {
        return Datasets.openIdxDirectory(name, Path.of(dir), classNames);
    }
}
