package io.bigbigan.trainer.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * {@code folder:DIR}: a tree of PNG/JPEG images ({@link ImageFolderReader}; first-level sub-folders are the classes),
 * read at the size, channels and bad-file policy of {@link Datasets.FolderSettings}. If {@code DIR} holds
 * {@code train} and {@code test} sub-folders they are the splits; otherwise every 10th image (in listing order,
 * positions 9, 19, ...; the last one for fewer than 10 images) is the test split and the rest the training split.
 */
record FolderSource(String name, String help) implements DataSource {
    static final String PREFIX = "folder:";
    static final String NAME = PREFIX + "DIR";
    static final String HELP = NAME + " (PNG/JPEG tree)";

    /** The built-in source, named {@value #NAME}. */
    FolderSource() {
        this(NAME, HELP);
    }

    @Override
    public boolean accepts(String key) {
        return key.startsWith(PREFIX);
    }

    /** 0: the side is the {@link Datasets.FolderSettings}' (by default the preset's resolution). */
    @Override
    public int imageSize(String spec) {
        return 0;
    }

    @Override
    public DatasetSplits open(String spec, Datasets.FolderSettings settings) {
        String dirSpec = spec.trim().substring(PREFIX.length());
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
            return new DatasetSplits(train, Datasets.closeOnFailure(train,
                    () -> pick(d, name + "/test", i -> d.size() < 10 ? i == d.size() - 1 : i % 10 == 9)));
        }
    }

    private static void reportSkipped(Path dir, List<SkippedImage> skipped, Consumer<String> report) {
        if (!skipped.isEmpty()) report.accept(SkippedImage.line(dir, skipped));
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
}
