package io.bigbigan.trainer.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * A plain directory: CIFAR-10 binary batches when it (or its {@value Cifar10Source#SUBDIR}) holds
 * {@code data_batch_1.bin} or {@code test_batch.bin}, else the four IDX files, each raw or {@code .gz} (raw
 * preferred, as it is mapped without copying), whose classes are named by an optional {@code classes.txt} (one name
 * per line), else {@code 0..9}. Accepts every spec, so it is the last source tried; a spec that is no directory is
 * an unknown data set.
 */
record DirectorySource(String name, String help) implements DataSource {
    static final String NAME = "DIR";
    static final String HELP = NAME + " (a directory of IDX files or CIFAR-10 batches)";

    /** The built-in source, named {@value #NAME}. */
    DirectorySource() {
        this(NAME, HELP);
    }

    @Override
    public boolean accepts(String key) {
        return true;
    }

    /**
     * {@value Cifar10Reader#SIDE} when the directory holds CIFAR-10 batches as {@link #open} detects them, else
     * {@value IdxSource#SIDE}, the MNIST family's side (also when the directory is not there, e.g. a checkpoint's
     * recorded spec read on another machine).
     */
    @Override
    public int imageSize(String spec) {
        Path dir;
        try {
            dir = Path.of(spec);
        } catch (InvalidPathException e) {
            return IdxSource.SIDE;
        }
        return Cifar10Source.batches(dir) != null ? Cifar10Reader.SIDE : IdxSource.SIDE;
    }

    @Override
    public DatasetSplits open(String spec, Datasets.FolderSettings folder) {
        Path dir;
        try {
            dir = Path.of(spec);
        } catch (InvalidPathException e) {
            throw new DataException(spec + ": unknown data set; " + Datasets.EXPECTED);
        }
        if (!Files.isDirectory(dir))
            throw new DataException(spec + ": unknown data set (and not a directory); " + Datasets.EXPECTED);
        Path batches = Cifar10Source.batches(dir);
        if (batches != null) return Cifar10Reader.openDirectory(batches);
        return Datasets.openIdxDirectory(dir.getFileName() == null ? spec : dir.getFileName().toString(), dir,
                classNames(dir));
    }

    /** {@code classes.txt} in {@code dir} (one name per line), else the digits 0..9. */
    private static List<String> classNames(Path dir) {
        Path file = dir.resolve("classes.txt");
        if (!Files.isRegularFile(file)) return Datasets.DIGIT_CLASSES;
        try {
            List<String> names = Files.readAllLines(file).stream().map(String::strip).filter(s -> !s.isEmpty())
                    .toList();
            if (names.isEmpty()) throw new DataException(file + ": no class names (expected one per line)");
            return names;
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e, e);
        }
    }
}
