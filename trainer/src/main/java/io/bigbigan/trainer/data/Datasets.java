package io.bigbigan.trainer.data;

import io.bigbigan.model.images.ImageFiles;
import io.bigbigan.trainer.config.OptionException;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Opens the data sets the project trains on, by a short spec (the {@code --data} option): the registry of
 * {@link DataSource}s. {@link #SOURCES} lists them in the order they are tried:
 * <ul>
 *   <li>{@code folder:DIR} — a tree of PNG/JPEG images ({@link FolderSource}), read at {@link FolderSettings};</li>
 *   <li>{@code cifar10:DIR} — the CIFAR-10 binary batches in {@code DIR} or its {@code cifar-10-batches-bin}
 *       ({@link Cifar10Source});</li>
 *   <li>{@code synthetic} — {@link SyntheticShapes}, generated in memory (12000 train / 3000 test);</li>
 *   <li>{@code fashion-mnist} (also {@code fashion_mnist}, {@code fashionmnist}) — the Debian package's files in
 *       {@value #FASHION_MNIST_DIR}; {@code mnist} — MNIST digits in {@value #MNIST_DIR} ({@link IdxSource});</li>
 *   <li>any other spec is a directory ({@link DirectorySource}): CIFAR-10 batches when it holds
 *       {@code data_batch_1.bin} or {@code test_batch.bin} (itself or a {@code cifar-10-batches-bin} sub-directory),
 *       else {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and
 *       {@code t10k-labels-idx1-ubyte}, each raw or {@code .gz}, with an optional {@code classes.txt}.</li>
 * </ul>
 * Specs are matched trimmed and case-insensitively. Adding a data set: a {@link DataSource} in this package, one line
 * in {@link #SOURCES} and its {@link DataSource#help()} in {@link #DATA_HELP}.
 */
public final class Datasets {
    /** Where the Debian {@code fashion-mnist} package installs its files. */
    public static final String FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
    /** Where MNIST is looked for under the {@code mnist} spec. */
    public static final String MNIST_DIR = "/usr/share/datasets/mnist";
    /** Fashion-MNIST class names, indexed by label. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** MNIST class names: the digits. */
    public static final List<String> DIGIT_CLASSES = IntStream.range(0, 10).mapToObj(Integer::toString).toList();

    /** The data sets, in the order they are tried: the first that {@link DataSource#accepts} a spec opens it. */
    public static final List<DataSource> SOURCES = List.of(new FolderSource(), new Cifar10Source(),
            new SyntheticSource(), IdxSource.fashionMnist(), IdxSource.mnist(), new DirectorySource());

    /**
     * The {@code --data} help: every source's {@link DataSource#help()} in {@link #SOURCES} order (a compile-time
     * constant, as picocli descriptions must be).
     */
    public static final String DATA_HELP = FolderSource.HELP + ", " + Cifar10Source.HELP + ", " + SyntheticSource.HELP
            + ", " + IdxSource.FASHION_MNIST_HELP + ", " + IdxSource.MNIST_HELP + " or " + DirectorySource.HELP + ".";

    private static final String[] FILES = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

    /** What the "unknown data set" error says is expected: the words of {@link #DATA_HELP}, then the files. */
    static final String EXPECTED = "expected " + describe(SOURCES) + "; the IDX files are "
            + String.join(", ", FILES) + " (each raw or .gz)";

    private Datasets() {}

    /**
     * How {@code folder:DIR} specs are read.
     *
     * @param size       side of the square images (1..4096)
     * @param channels   1 (grey) or 3 (RGB)
     * @param onBadImage what to do with files that cannot be decoded
     * @param report     receives one line when files were skipped (their count and the first few paths)
     * @param maxPixels  images whose header announces more pixels are bad files (never decoded)
     */
    public record FolderSettings(int size, int channels, OnBadImage onBadImage, Consumer<String> report,
                                 long maxPixels) {
        /** 32 x 32 RGB, failing on bad files, reporting through the SLF4J logger {@code io.bigbigan.trainer.data.Datasets}. */
        public static final FolderSettings DEFAULT = new FolderSettings(32, 3, OnBadImage.FAIL,
                line -> LoggerFactory.getLogger(Datasets.class).warn(line));

        public FolderSettings {
            if (size <= 0 || size > 4096) throw new OptionException("--image-size must be 1..4096, got " + size);
            if (channels != 1 && channels != 3)
                throw new OptionException("--channels must be 1 (grey) or 3 (RGB), got " + channels);
            Objects.requireNonNull(onBadImage, "onBadImage");
            Objects.requireNonNull(report, "report");
            if (maxPixels < 1) throw new OptionException("--max-image-pixels must be at least 1, got " + maxPixels);
        }

        /** With the default pixel limit, {@link ImageFiles#DEFAULT_MAX_PIXELS}. */
        public FolderSettings(int size, int channels, OnBadImage onBadImage, Consumer<String> report) {
            this(size, channels, onBadImage, report, ImageFiles.DEFAULT_MAX_PIXELS);
        }
    }

    /** {@link #open(String, FolderSettings)} with {@link FolderSettings#DEFAULT}. */
    public static DatasetSplits open(String spec) {
        return open(spec, FolderSettings.DEFAULT);
    }

    /**
     * Opens the train and test splits named by {@code spec} (see the class comment).
     *
     * @throws DataException naming the spec or path and what was expected
     */
    public static DatasetSplits open(String spec, FolderSettings folder) {
        return source(spec).open(spec, folder);
    }

    /** The first of {@link #SOURCES} that accepts {@code spec} (trimmed, in lower case). */
    public static DataSource source(String spec) {
        String key = spec.trim().toLowerCase(Locale.ROOT);
        for (DataSource s : SOURCES)
            if (s.accepts(key)) return s;
        throw new IllegalStateException("no data source accepts '" + spec + "'"); // the plain directory accepts all
    }

    /**
     * The side of the training images of a data set spec as recorded in checkpoints (their {@code data} metadata),
     * known without reading the images: 28 for the IDX data sets (synthetic shapes, Fashion-MNIST, MNIST, IDX
     * folders), 32 for CIFAR-10 ({@code cifar10:DIR} or a directory detected as CIFAR-10); 0 for image folders (their side is {@code --image-size}'s) and for {@code null}
     * (unrecorded).
     */
    public static int imageSize(String spec) {
        return spec == null ? 0 : source(spec).imageSize(spec);
    }

    /** The sources' help words joined as a list: "a, b or c". */
    static String describe(List<DataSource> sources) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < sources.size(); i++)
            b.append(i == 0 ? "" : i == sources.size() - 1 ? " or " : ", ").append(sources.get(i).help());
        return b.toString();
    }

    /**
     * Opens a directory of the four IDX files.
     *
     * @param name       prefix of the splits' names ({@code name/train}, {@code name/test})
     * @param classNames class names indexed by label
     * @throws DataException naming the directory when it or one of the files is missing
     */
    public static DatasetSplits openIdxDirectory(String name, Path dir, List<String> classNames) {
        if (!Files.isDirectory(dir))
            throw new DataException(dir + ": no such directory (data set '" + name + "' expects it to hold "
                    + String.join(", ", FILES) + ", each raw or .gz)");
        Path[] files = new Path[FILES.length];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < FILES.length; i++) {
            files[i] = find(dir, FILES[i]);
            if (files[i] == null) missing.add(FILES[i] + "[.gz]");
        }
        if (!missing.isEmpty())
            throw new DataException(dir + ": missing " + String.join(", ", missing) + "; a data set directory needs "
                    + String.join(", ", FILES) + " (each raw or .gz)");
        ImageDataset train = IdxReader.read(name + "/train", files[0], files[1], classNames);
        return new DatasetSplits(train,
                closeOnFailure(train, () -> IdxReader.read(name + "/test", files[2], files[3], classNames)));
    }

    /** The raw file if present (mapped in place), else its {@code .gz}, else null. */
    private static Path find(Path dir, String base) {
        for (String candidate : new String[]{base, base + ".gz"}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** {@code next.get()}, closing {@code opened} when it fails. */
    static ImageDataset closeOnFailure(ImageDataset opened, Supplier<ImageDataset> next) {
        try {
            return next.get();
        } catch (RuntimeException | Error e) {
            opened.close();
            throw e;
        }
    }
}
