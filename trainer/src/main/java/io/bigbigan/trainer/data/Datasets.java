package io.bigbigan.trainer.data;

import io.bigbigan.trainer.config.OptionException;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Opens the data sets the project trains on, by a short spec:
 * <ul>
 *   <li>{@code synthetic} — {@link SyntheticShapes}, generated in memory (12000 train / 3000 test);</li>
 *   <li>{@code fashion-mnist} — the Debian package's files in {@value #FASHION_MNIST_DIR};</li>
 *   <li>{@code mnist} — MNIST digits in {@value #MNIST_DIR};</li>
 *   <li>a directory holding {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 *       {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each raw or {@code .gz} (raw preferred,
 *       as it is mapped without copying). Classes are named by an optional {@code classes.txt} (one name per
 *       line), else {@code 0..9}.</li>
 *   <li>{@code cifar10:DIR} — the CIFAR-10 binary batches ({@link Cifar10Reader}) in {@code DIR}; a plain directory
 *       holding {@code data_batch_1.bin} or {@code test_batch.bin} (or a {@code cifar-10-batches-bin}
 *       sub-directory holding them) is detected as CIFAR-10 automatically.</li>
 *   <li>{@code folder:DIR} — a tree of PNG/JPEG images ({@link ImageFolderReader}; first-level sub-folders are the
 *       classes), read at the size, channels and bad-file policy of {@link FolderSettings}. If {@code DIR} holds
 *       {@code train} and {@code test} sub-folders they are the splits; otherwise every 10th image (in listing
 *       order, positions 9, 19, ...; the last one for fewer than 10 images) is the test split and the rest the
 *       training split.</li>
 * </ul>
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

    private static final String[] FILES = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    private static final String CIFAR_PREFIX = "cifar10:";
    private static final String FOLDER_PREFIX = "folder:";
    private static final String CIFAR_SUBDIR = "cifar-10-batches-bin";
    private static final String EXPECTED = "expected 'synthetic', 'fashion-mnist', 'mnist', 'cifar10:DIR', 'folder:DIR' or a "
            + "directory holding " + String.join(", ", FILES) + " (each raw or .gz) or CIFAR-10 binary batches";

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
        String key = spec.trim().toLowerCase(Locale.ROOT);
        if (key.startsWith(FOLDER_PREFIX)) return openFolder(spec.trim().substring(FOLDER_PREFIX.length()), folder);
        if (key.startsWith(CIFAR_PREFIX)) return openCifar(spec.trim().substring(CIFAR_PREFIX.length()));
        return switch (key) {
            case "synthetic" -> {
                ImageDataset train = SyntheticShapes.train();
                yield new DatasetSplits(train, closeOnFailure(train, SyntheticShapes::test));
            }
            case "fashion-mnist", "fashion_mnist", "fashionmnist" ->
                    openIdxDirectory("fashion-mnist", Path.of(FASHION_MNIST_DIR), FASHION_MNIST_CLASSES);
            case "mnist" -> openIdxDirectory("mnist", Path.of(MNIST_DIR), DIGIT_CLASSES);
            default -> openDirectorySpec(spec);
        };
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

    private static DatasetSplits openDirectorySpec(String spec) {
        Path dir;
        try {
            dir = Path.of(spec);
        } catch (InvalidPathException e) {
            throw new DataException(spec + ": unknown data set; " + EXPECTED);
        }
        if (!Files.isDirectory(dir))
            throw new DataException(spec + ": unknown data set (and not a directory); " + EXPECTED);
        if (Cifar10Reader.looksLikeCifar10(dir)) return Cifar10Reader.openDirectory(dir);
        if (Cifar10Reader.looksLikeCifar10(dir.resolve(CIFAR_SUBDIR)))
            return Cifar10Reader.openDirectory(dir.resolve(CIFAR_SUBDIR));
        return openIdxDirectory(dir.getFileName() == null ? spec : dir.getFileName().toString(), dir,
                classNames(dir));
    }

    /** {@code cifar10:DIR}: the batches in DIR, or in its {@code cifar-10-batches-bin} sub-directory. */
    private static DatasetSplits openCifar(String dirSpec) {
        if (dirSpec.isBlank()) throw new DataException("cifar10: missing directory; use cifar10:DIR");
        Path dir;
        try {
            dir = Path.of(dirSpec);
        } catch (InvalidPathException e) {
            throw new DataException(dirSpec + ": invalid CIFAR-10 directory (" + e.getMessage() + ")");
        }
        if (!Cifar10Reader.looksLikeCifar10(dir) && Cifar10Reader.looksLikeCifar10(dir.resolve(CIFAR_SUBDIR)))
            dir = dir.resolve(CIFAR_SUBDIR);
        return Cifar10Reader.openDirectory(dir);
    }

    /** {@code folder:DIR}: train/ and test/ sub-folders, else every 10th image held out for testing. */
    private static DatasetSplits openFolder(String dirSpec, FolderSettings settings) {
        if (dirSpec.isBlank()) throw new DataException("folder: missing directory; use folder:DIR");
        Path dir;
        try {
            dir = Path.of(dirSpec);
        } catch (InvalidPathException e) {
            throw new DataException(dirSpec + ": invalid image folder (" + e.getMessage() + ")");
        }
        if (!Files.isDirectory(dir)) throw new DataException(dir + ": no such image folder (data spec folder:" + dirSpec + ")");
        ImageFolderReader reader = new ImageFolderReader(settings.size(), settings.channels())
                .onBadImage(settings.onBadImage()).maxPixels(settings.maxPixels());
        String name = dir.getFileName() == null ? dirSpec : dir.getFileName().toString();
        if (Files.isDirectory(dir.resolve("train")) && Files.isDirectory(dir.resolve("test"))) {
            ImageFolder train = reader.read(name + "/train", dir.resolve("train"));
            reportSkipped(dir.resolve("train"), train.skipped(), settings.report());
            ImageFolder test;
            try {
                test = reader.read(name + "/test", dir.resolve("test"));
            } catch (RuntimeException | Error e) {
                train.close();
                throw e;
            }
            reportSkipped(dir.resolve("test"), test.skipped(), settings.report());
            return new DatasetSplits(train.dataset(), test.dataset());
        }
        try (ImageFolder all = reader.read(name, dir)) {
            reportSkipped(dir, all.skipped(), settings.report());
            ImageDataset d = all.dataset();
            if (d.size() < 2)
                throw new DataException(dir + ": an image folder needs at least 2 readable images (train and test), has "
                        + d.size());
            ImageDataset train = pick(d, name + "/train", i -> d.size() < 10 ? i != d.size() - 1 : i % 10 != 9);
            return new DatasetSplits(train, closeOnFailure(train,
                    () -> pick(d, name + "/test", i -> d.size() < 10 ? i == d.size() - 1 : i % 10 == 9)));
        }
    }

    /** One line naming the count and the first few skipped files. */
    private static void reportSkipped(Path dir, List<SkippedImage> skipped, Consumer<String> report) {
        if (skipped.isEmpty()) return;
        int shown = Math.min(3, skipped.size());
        StringBuilder line = new StringBuilder(dir + ": skipped " + skipped.size() + " unreadable image file"
                + (skipped.size() == 1 ? "" : "s") + ": ");
        for (int i = 0; i < shown; i++) line.append(i == 0 ? "" : ", ").append(skipped.get(i).path());
        if (skipped.size() > shown) line.append(", ...");
        report.accept(line.toString());
    }

    /** A copy of the images of {@code d} whose index passes {@code keep}, in order. */
    private static ImageDataset pick(ImageDataset d, String name, IntPredicate keep) {
        int[] idx = IntStream.range(0, d.size()).filter(keep).toArray();
        long imageBytes = (long) d.channels() * d.height() * d.width();
        Arena arena = Arena.ofShared();
        try {
            MemorySegment px = arena.allocate(imageBytes * idx.length, 64);
            MemorySegment lb = arena.allocate(ValueLayout.JAVA_LONG, idx.length);
            MemorySegment src = d.pixelSegment();
            for (int j = 0; j < idx.length; j++) {
                MemorySegment.copy(src, imageBytes * idx[j], px, imageBytes * j, imageBytes);
                lb.setAtIndex(ValueLayout.JAVA_LONG, j, d.label(idx[j]));
            }
            return new ImageDataset(name, arena, px, lb, idx.length, d.channels(), d.height(), d.width(),
                    d.classNames());
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** {@code classes.txt} in {@code dir} (one name per line), else the digits 0..9. */
    private static List<String> classNames(Path dir) {
        Path file = dir.resolve("classes.txt");
        if (!Files.isRegularFile(file)) return DIGIT_CLASSES;
        try {
            List<String> names = Files.readAllLines(file).stream().map(String::strip).filter(s -> !s.isEmpty())
                    .toList();
            if (names.isEmpty()) throw new DataException(file + ": no class names (expected one per line)");
            return names;
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e, e);
        }
    }

    /** The raw file if present (mapped in place), else its {@code .gz}, else null. */
    private static Path find(Path dir, String base) {
        for (String candidate : new String[]{base, base + ".gz"}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static ImageDataset closeOnFailure(ImageDataset opened, Supplier<ImageDataset> next) {
        try {
            return next.get();
        } catch (RuntimeException | Error e) {
            opened.close();
            throw e;
        }
    }
}
