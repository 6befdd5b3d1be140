package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Cifar10ReaderTest {
    @TempDir
    Path dir;

    /** Records whose pixel j of record r is (r * 7 + j) mod 256, labels as given. */
    private static byte[] records(int... labels) {
        byte[] b = new byte[labels.length * Cifar10Reader.RECORD_BYTES];
        for (int r = 0; r < labels.length; r++) {
            b[r * Cifar10Reader.RECORD_BYTES] = (byte) labels[r];
            for (int j = 0; j < 3072; j++) b[r * Cifar10Reader.RECORD_BYTES + 1 + j] = (byte) ((r * 7 + j) % 256);
        }
        return b;
    }

    @Test
    void readsExactValuesAcrossFiles() throws IOException {
        Path a = Files.write(dir.resolve("a.bin"), records(3, 9));
        Path b = Files.write(dir.resolve("b.bin"), records(0));
        try (ImageDataset ds = Cifar10Reader.read("c", List.of(a, b)); StepScope s = StepScope.open()) {
            assertEquals(3, ds.size());
            assertEquals(3, ds.channels());
            assertEquals(32, ds.height());
            assertArrayEquals(new long[]{3, 9, 0}, Tensors.toLongs(ds.labels()));
            assertEquals("cat", ds.classNames().get(3));
            float[] px = Tensors.toFloats(ds.images().to(org.bytedeco.pytorch.global.torch.ScalarType.Float));
            // image 1 (record 1 of a.bin), channel 2 (blue), row 5, col 6 -> byte index 2*1024 + 5*32 + 6
            int j = 2 * 1024 + 5 * 32 + 6;
            assertEquals((7 + j) % 256, (int) px[3072 + j]);
            assertEquals(j % 256, (int) px[2 * 3072 + j]); // image 2 = record 0 of b.bin
        }
    }

    @Test
    void labelOutOfRangeNamesFile() throws IOException {
        Path a = Files.write(dir.resolve("bad_labels.bin"), records(1, 10));
        DataException e = assertThrows(DataException.class, () -> Cifar10Reader.read("c", List.of(a)));
        assertTrue(e.getMessage().startsWith(a.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("label 10 of record 1"), e.getMessage());
    }

    @Test
    void truncatedFileNamesFile() throws IOException {
        byte[] full = records(1, 2);
        Path a = Files.write(dir.resolve("short.bin"), Arrays.copyOf(full, full.length - 5));
        DataException e = assertThrows(DataException.class, () -> Cifar10Reader.read("c", List.of(a)));
        assertTrue(e.getMessage().startsWith(a.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a multiple of the 3073-byte record"), e.getMessage());
    }

    @Test
    void datasetsOpensPrefixAndDetectsDirectory() throws IOException {
        Path batches = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        for (int i = 1; i <= 5; i++) Files.write(batches.resolve("data_batch_" + i + ".bin"), records(i, i + 1));
        Files.write(batches.resolve("test_batch.bin"), records(7));
        try (DatasetSplits s = Datasets.open("cifar10:" + batches)) {
            assertEquals(10, s.train().size());
            assertEquals(1, s.test().size());
            assertEquals(6, s.train().label(9));
        }
        try (DatasetSplits s = Datasets.open(dir.toString())) { // parent holding cifar-10-batches-bin
            assertEquals(10, s.train().size());
        }
        Files.delete(batches.resolve("data_batch_3.bin"));
        DataException e = assertThrows(DataException.class, () -> Datasets.open("cifar10:" + batches));
        assertTrue(e.getMessage().contains("missing data_batch_3.bin"), e.getMessage());
    }
}
