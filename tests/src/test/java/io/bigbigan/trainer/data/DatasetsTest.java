package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class DatasetsTest {
    @TempDir
    Path dir;

    @Test
    void fashionMnist() {
        assumeTrue(Files.isDirectory(Path.of(Datasets.FASHION_MNIST_DIR)), "Fashion-MNIST is not installed");
        long t0 = System.nanoTime();
        try (DatasetSplits splits = Datasets.open("fashion-mnist"); StepScope s = StepScope.open()) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("fashion-mnist: loaded 60000 + 10000 images in %.3f s%n", seconds);
            ImageDataset train = splits.train(), test = splits.test();
            assertEquals(List.of(60_000, 10_000), List.of(train.size(), test.size()));
            assertArrayEquals(new long[]{60_000, 1, 28, 28}, Tensors.shape(train.images()));
            assertEquals(Datasets.FASHION_MNIST_CLASSES, train.classNames());
            assertEquals("Ankle boot", test.classNames().get(9));
            int[] trainCounts = new int[10], testCounts = new int[10];
            Arrays.fill(trainCounts, 6_000);
            Arrays.fill(testCounts, 1_000);
            assertArrayEquals(trainCounts, train.classCounts());
            assertArrayEquals(testCounts, test.classCounts());
            float mean = test.all().mean().item_float();
            assertTrue(mean > 0.2f && mean < 0.4f, "Fashion-MNIST mean pixel " + mean); // known: ~0.286
        }
    }

    @Test
    void synthetic() {
        try (DatasetSplits splits = Datasets.open(" Synthetic "); StepScope s = StepScope.open()) {
            assertEquals(List.of(12_000, 3_000), List.of(splits.train().size(), splits.test().size()));
            assertEquals(SyntheticShapes.CLASS_NAMES, splits.test().classNames());
            assertFalse(torch.equal(splits.train().images().narrow(0, 0, 100),
                    splits.test().images().narrow(0, 0, 100)));
        }
    }

    @Test
    void directoryWithRawAndGzipFiles() throws IOException {
        writeSplit("train", 6, ".gz");
        writeSplit("t10k", 4, "");
        Files.writeString(dir.resolve("classes.txt"), "zero\none\ntwo\n");
        try (DatasetSplits splits = Datasets.open(dir.toString()); StepScope s = StepScope.open()) {
            assertEquals(List.of(6, 4), List.of(splits.train().size(), splits.test().size()));
            assertEquals(List.of("zero", "one", "two"), splits.train().classNames());
            assertArrayEquals(new long[]{0, 1, 2, 0}, Tensors.toLongs(splits.test().labels()));
            assertArrayEquals(new long[]{4, 1, 2, 3}, Tensors.shape(splits.test().images()));
        }
    }

    @Test
    void directoryMissingFiles() throws IOException {
        writeSplit("train", 6, "");
        DataException e = assertThrows(DataException.class, () -> Datasets.open(dir.toString()).close());
        String expected = dir + ": missing t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]";
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    @Test
    void unknownSpec() {
        DataException e = assertThrows(DataException.class, () -> Datasets.open("imagenet-42").close());
        assertTrue(e.getMessage().startsWith("imagenet-42: unknown data set"), e.getMessage());
        assertTrue(e.getMessage().contains("fashion-mnist"), e.getMessage());
    }

    /** Writes {@code n} 2x3 images labelled {@code i % 3} as {@code <prefix>-images-idx3-ubyte<suffix>} etc. */
    private void writeSplit(String prefix, int n, String suffix) throws IOException {
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % 3);
        byte[] pixels = IdxFiles.pattern(n * 6, n);
        IdxFiles.write(dir, prefix + "-images-idx3-ubyte" + suffix, IdxFiles.images(n, 2, 3, pixels));
        IdxFiles.write(dir, prefix + "-labels-idx1-ubyte" + suffix, IdxFiles.labels(labels));
    }
}
