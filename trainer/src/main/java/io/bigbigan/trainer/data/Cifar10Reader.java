package io.bigbigan.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the CIFAR-10 binary version ({@code cifar-10-batches-bin}): files of records of 1 label byte followed by
 * 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each row-major 32x32), i.e. already {@code [C, H, W]}.
 * The training split is {@code data_batch_1.bin .. data_batch_5.bin}, the test split {@code test_batch.bin}.
 * Everything is held in memory (50000 training images are 150 MB of uint8).
 *
 * <p>Each file's length must be a positive multiple of {@value #RECORD_BYTES} bytes and every label must be below
 * 10; otherwise a {@link DataException} whose message starts with the file path says what is wrong.
 */
public final class Cifar10Reader {
    /** Image side in pixels. */
    public static final int SIDE = 32;
    /** Colour channels (RGB). */
    public static final int CHANNELS = 3;
    /** Bytes of one record: 1 label byte + 3 x 32 x 32 pixel bytes. */
    public static final int RECORD_BYTES = 1 + CHANNELS * SIDE * SIDE;
    /** The training batch files, in the order their images are concatenated. */
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    /** The test batch file. */
    public static final String TEST_FILE = "test_batch.bin";
    /** CIFAR-10 class names, indexed by label (as in {@code batches.meta.txt}). */
    public static final List<String> CLASS_NAMES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");

    private static final int IMAGE_BYTES = RECORD_BYTES - 1;
    private static final int RECORDS_PER_CHUNK = 512;

    private Cifar10Reader() {}

    /** True when {@code dir} holds at least {@code data_batch_1.bin} or {@code test_batch.bin}. */
    public static boolean looksLikeCifar10(Path dir) {
        return Files.isRegularFile(dir.resolve(TRAIN_FILES.getFirst())) || Files.isRegularFile(dir.resolve(TEST_FILE));
    }

    /**
     * Opens both splits from a {@code cifar-10-batches-bin} directory: every training batch file must be present,
     * and {@code test_batch.bin}.
     *
     * @throws DataException naming the directory and the missing files, or a file and what is wrong with it
     */
    public static DatasetSplits openDirectory(Path dir) {
        if (!Files.isDirectory(dir)) throw new DataException(dir + ": no such directory (CIFAR-10 expects it to hold "
                + String.join(", ", TRAIN_FILES) + ", " + TEST_FILE + ")");
        List<Path> train = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String f : TRAIN_FILES) {
            Path p = dir.resolve(f);
            if (Files.isRegularFile(p)) train.add(p);
            else missing.add(f);
        }
        Path test = dir.resolve(TEST_FILE);
        if (!Files.isRegularFile(test)) missing.add(TEST_FILE);
        if (!missing.isEmpty())
            throw new DataException(dir + ": missing " + String.join(", ", missing) + "; a CIFAR-10 directory needs "
                    + String.join(", ", TRAIN_FILES) + " and " + TEST_FILE);
        ImageDataset trainSet = read("cifar10/train", train);
        try {
            return new DatasetSplits(trainSet, read("cifar10/test", List.of(test)));
        } catch (RuntimeException | Error e) {
            trainSet.close();
            throw e;
        }
    }

    /**
     * Reads and concatenates the records of {@code files} into one data set {@code [N, 3, 32, 32]} with the CIFAR-10
     * class names.
     *
     * @throws DataException naming the offending file (missing, empty, length not a multiple of
     *                       {@value #RECORD_BYTES}, label out of range, read error)
     */
    public static ImageDataset read(String name, List<Path> files) {
        if (files.isEmpty()) throw new IllegalArgumentException(name + ": no CIFAR-10 files given");
        long[] counts = new long[files.size()];
        long total = 0;
        for (int f = 0; f < files.size(); f++) {
            counts[f] = recordCount(files.get(f));
            total += counts[f];
        }
        if (total > Integer.MAX_VALUE) throw new DataException(name + ": " + total + " records is too many");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment pixels = arena.allocate(total * IMAGE_BYTES, 64);      // uint8 [N, 3, 32, 32]
            MemorySegment labels = arena.allocate(ValueLayout.JAVA_LONG, total); // int64 [N]
            long offset = 0;
            for (int f = 0; f < files.size(); f++) {
                readFile(files.get(f), counts[f], offset, pixels, labels);
                offset += counts[f];
            }
            return new ImageDataset(name, arena, pixels, labels, (int) total, CHANNELS, SIDE, SIDE, CLASS_NAMES);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static long recordCount(Path file) {
        if (!Files.exists(file)) throw new DataException(file + ": file not found");
        if (!Files.isRegularFile(file)) throw new DataException(file + ": not a regular file");
        long length;
        try {
            length = Files.size(file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read its size (" + e.getMessage() + ")", e);
        }
        if (length == 0) throw new DataException(file + ": empty file, expected CIFAR-10 records of "
                + RECORD_BYTES + " bytes");
        if (length % RECORD_BYTES != 0)
            throw new DataException(file + ": truncated or not a CIFAR-10 binary batch: " + length
                    + " bytes is not a multiple of the " + RECORD_BYTES + "-byte record (" + length / RECORD_BYTES
                    + " whole records + " + length % RECORD_BYTES + " bytes)");
        return length / RECORD_BYTES;
    }

    /** Streams {@code count} records of {@code file} into images {@code [first, first + count)}. */
    private static void readFile(Path file, long count, long first, MemorySegment pixels, MemorySegment labels) {
        byte[] chunk = new byte[RECORD_BYTES * RECORDS_PER_CHUNK];
        try (InputStream in = Files.newInputStream(file)) {
            long done = 0;
            while (done < count) {
                int records = (int) Math.min(RECORDS_PER_CHUNK, count - done);
                int want = records * RECORD_BYTES;
                int got = in.readNBytes(chunk, 0, want);
                if (got < want)
                    throw new DataException(file + ": truncated while reading: expected " + count * RECORD_BYTES
                            + " bytes, got " + (done * RECORD_BYTES + got));
                for (int r = 0; r < records; r++) {
                    long index = done + r;
                    int label = Byte.toUnsignedInt(chunk[r * RECORD_BYTES]);
                    if (label >= CLASS_NAMES.size())
                        throw new DataException(file + ": label " + label + " of record " + index
                                + " is out of range (CIFAR-10 labels are 0..9)");
                    labels.setAtIndex(ValueLayout.JAVA_LONG, first + index, label);
                    MemorySegment.copy(chunk, r * RECORD_BYTES + 1, pixels, ValueLayout.JAVA_BYTE,
                            (first + index) * IMAGE_BYTES, IMAGE_BYTES);
                }
                done += records;
            }
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + ")", e);
        }
    }
}
