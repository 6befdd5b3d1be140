package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    private static final List<String> TEN = Datasets.DIGIT_CLASSES;
    private static final int N = 5, ROWS = 4, COLS = 3;
    private static final byte[] PIXELS = IdxFiles.pattern(N * ROWS * COLS, 1);
    private static final byte[] LABELS = {0, 1, 9, 3, 9};

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"", ".gz"})
    void readsBackExactly(String suffix) throws IOException {
        Path images = IdxFiles.write(dir, "img" + suffix, IdxFiles.images(N, ROWS, COLS, PIXELS));
        Path labels = IdxFiles.write(dir, "lab" + suffix, IdxFiles.labels(LABELS));
        try (ImageDataset ds = IdxReader.read("tiny", images, labels, TEN); StepScope s = StepScope.open()) {
            assertEquals(List.of(N, 1, ROWS, COLS), List.of(ds.size(), ds.channels(), ds.height(), ds.width()));
            assertEquals(10, ds.numClasses());
            Tensor img = ds.images();                                    // uint8 [5, 1, 4, 3]
            assertArrayEquals(new long[]{N, 1, ROWS, COLS}, Tensors.shape(img));
            assertArrayEquals(unsigned(PIXELS), Tensors.toLongs(img));
            assertArrayEquals(new long[]{0, 1, 9, 3, 9}, Tensors.toLongs(ds.labels()));
            assertArrayEquals(new int[]{1, 1, 0, 1, 0, 0, 0, 0, 0, 2}, ds.classCounts());

            Tensor batch = ds.batch(Tensors.ofLongs(new long[]{4, 0}, 2)); // float [2, 1, 4, 3]
            assertArrayEquals(new long[]{2, 1, ROWS, COLS}, Tensors.shape(batch));
            float[] got = Tensors.toFloats(batch);
            int image = ROWS * COLS;
            for (int i = 0; i < image; i++) {
                assertEquals(Byte.toUnsignedInt(PIXELS[4 * image + i]) / 255f, got[i], 1e-6f);
                assertEquals(Byte.toUnsignedInt(PIXELS[i]) / 255f, got[image + i], 1e-6f);
            }
        }
    }

    @Test
    void rawFilesAreUsedInPlace() throws IOException {
        Path images = IdxFiles.write(dir, "img", IdxFiles.images(N, ROWS, COLS, PIXELS));
        Path labels = IdxFiles.write(dir, "lab.gz", IdxFiles.labels(LABELS));
        try (ImageDataset ds = IdxReader.read("tiny", images, labels, TEN); StepScope s = StepScope.open()) {
            // two wraps see the same native address: no copy is made per call
            assertEquals(ds.images().data_ptr().address(), ds.images().data_ptr().address());
            assertArrayEquals(unsigned(PIXELS), Tensors.toLongs(ds.all().mul(Tensors.scalar(255)).round()));
        }
    }

    @Test
    void missingFile() throws IOException {
        Path labels = IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS));
        Path images = dir.resolve("nope-images.gz");
        expectError(images, labels, images, "file not found");
    }

    @Test
    void emptyFile() throws IOException {
        Path images = IdxFiles.write(dir, "img", new byte[0]);
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images, "empty file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".gz"})
    void badMagic(String suffix) throws IOException {
        Path images = IdxFiles.write(dir, "img" + suffix, IdxFiles.idx(0x00000802, new int[]{N, ROWS, COLS}, PIXELS));
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images,
                "bad magic number 0x00000802, expected 0x00000803");
    }

    @Test
    void labelsFileGivenAsImages() throws IOException {
        Path labels = IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS));
        expectError(labels, labels, labels, "bad magic", "this is an IDX labels file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".gz"})
    void truncatedData(String suffix) throws IOException {
        byte[] full = IdxFiles.images(N, ROWS, COLS, PIXELS);
        Path images = IdxFiles.write(dir, "img" + suffix, Arrays.copyOf(full, full.length - 1));
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images,
                "truncated: header says 5 images of 4x3 (60 bytes) but only 59 bytes follow");
    }

    @Test
    void truncatedHeader() throws IOException {
        Path images = IdxFiles.write(dir, "img", Arrays.copyOf(IdxFiles.images(N, ROWS, COLS, PIXELS), 10));
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images,
                "truncated header: 10 bytes", "header has 16");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".gz"})
    void trailingBytes(String suffix) throws IOException {
        byte[] full = IdxFiles.labels(LABELS);
        Path labels = IdxFiles.write(dir, "lab" + suffix, Arrays.copyOf(full, full.length + 2));
        expectError(IdxFiles.write(dir, "img", IdxFiles.images(N, ROWS, COLS, PIXELS)), labels, labels,
                "trailing bytes: header says 5 labels (5 bytes) but 7 bytes follow (2 extra)");
    }

    @Test
    void zeroDimension() throws IOException {
        Path images = IdxFiles.write(dir, "img", IdxFiles.images(N, 0, COLS, new byte[0]));
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images,
                "implausible rows in header: 0", "image sides must be");
    }

    @Test
    void countMismatch() throws IOException {
        Path images = IdxFiles.write(dir, "img", IdxFiles.images(N, ROWS, COLS, PIXELS));
        Path labels = IdxFiles.write(dir, "lab.gz", IdxFiles.labels(Arrays.copyOf(LABELS, 4)));
        DataException e = expectError(images, labels, images, "has 5 images but");
        assertTrue(e.getMessage().contains(labels + " has 4 labels"), e.getMessage());
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path images = IdxFiles.write(dir, "img", IdxFiles.images(N, ROWS, COLS, PIXELS));
        Path labels = IdxFiles.write(dir, "lab", IdxFiles.labels(new byte[]{0, 1, 10, 3, 4}));
        expectError(images, labels, labels, "label 10 at index 2 is out of range for 10 classes");
    }

    @Test
    void gzNameButNotGzip() throws IOException {
        Path images = dir.resolve("img.gz");
        Files.write(images, IdxFiles.images(N, ROWS, COLS, PIXELS));
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images, "not a gzip file");
    }

    @Test
    void gzipWithoutGzName() throws IOException {
        Path images = dir.resolve("img");
        Files.write(images, IdxFiles.gzip(IdxFiles.images(N, ROWS, COLS, PIXELS)));
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images, "looks gzip-compressed");
    }

    @Test
    void cutGzipStream() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(N, ROWS, COLS, PIXELS));
        Path images = dir.resolve("img.gz");
        Files.write(images, Arrays.copyOf(gz, gz.length - 12)); // drops the trailer and some deflate data
        expectError(images, IdxFiles.write(dir, "lab", IdxFiles.labels(LABELS)), images, "gzip");
    }

    private static DataException expectError(Path images, Path labels, Path culprit, String... fragments) {
        DataException e = assertThrows(DataException.class, () -> IdxReader.read("bad", images, labels, TEN).close());
        assertTrue(e.getMessage().startsWith(culprit.toString() + ": "), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        return e;
    }

    private static long[] unsigned(byte[] bytes) {
        long[] out = new long[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = Byte.toUnsignedInt(bytes[i]);
        return out;
    }
}
