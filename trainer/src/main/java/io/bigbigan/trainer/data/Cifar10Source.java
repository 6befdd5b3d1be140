package io.bigbigan.trainer.data;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** {@code cifar10:DIR}: the CIFAR-10 binary batches ({@link Cifar10Reader}) in DIR or its {@value #SUBDIR}. */
record Cifar10Source(String name, String help) implements DataSource {
    static final String PREFIX = "cifar10:";
    static final String NAME = PREFIX + "DIR";
    static final String HELP = NAME + " (CIFAR-10 binary batches)";
    /** The sub-directory the CIFAR-10 archive unpacks to. */
    static final String SUBDIR = "cifar-10-batches-bin";

    /** The built-in source, named {@value #NAME}. */
    Cifar10Source() {
        this(NAME, HELP);
    }

    @Override
    public boolean accepts(String key) {
        return key.startsWith(PREFIX);
    }

    @Override
    public int imageSize(String spec) {
        return Cifar10Reader.SIDE;
    }

    @Override
    public DatasetSplits open(String spec, Datasets.FolderSettings folder) {
        String dirSpec = spec.trim().substring(PREFIX.length());
        if (dirSpec.isBlank()) throw new DataException("cifar10: missing directory; use cifar10:DIR");
        Path dir;
        try {
            dir = Path.of(dirSpec);
        } catch (InvalidPathException e) {
            throw new DataException(dirSpec + ": invalid CIFAR-10 directory (" + e.getMessage() + ")");
        }
        Path batches = batches(dir);
        return Cifar10Reader.openDirectory(batches != null ? batches : dir);
    }

    /** {@code dir} if it looks like CIFAR-10 batches, else its {@value #SUBDIR} if that does, else null. */
    static Path batches(Path dir) {
        if (Cifar10Reader.looksLikeCifar10(dir)) return dir;
        if (Cifar10Reader.looksLikeCifar10(dir.resolve(SUBDIR))) return dir.resolve(SUBDIR);
        return null;
    }
}
