package io.bigbigan.trainer.data;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFolderReaderTest {
    @TempDir
    Path dir;

    /** An 8x8 RGB PNG with pixel (x, y) = (seed + x, 10 * y, 200). */
    private static void png(Path file, int seed) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) img.setRGB(x, y, ((seed + x) << 16) | ((10 * y) << 8) | 200);
        ImageIO.write(img, "png", file.toFile());
    }

    private static float[] pixels(ImageDataset ds) {
        try (StepScope s = StepScope.open()) {
            return Tensors.toFloats(ds.images().to(torch.ScalarType.Float));
        }
    }

    @Test
    void classesFromSubFoldersExactPixelsAndGrey() throws IOException {
        png(dir.resolve("zebra/b.png"), 30);
        png(dir.resolve("apple/x/deep.png"), 20);
        png(dir.resolve("apple/a.png"), 10);
        try (ImageFolder f = new ImageFolderReader(8, 3).read("f", dir)) {
            ImageDataset ds = f.dataset();
            assertEquals(List.of("apple", "zebra"), ds.classNames());
            assertEquals(3, ds.size());
            assertEquals(3, ds.channels());
            assertEquals(8, ds.height());
            // order: apple/a.png, apple/x/deep.png, zebra/b.png
            assertEquals(0, ds.label(0));
            assertEquals(0, ds.label(1));
            assertEquals(1, ds.label(2));
            float[] px = pixels(ds);
            assertEquals(10 + 5, px[3 * 8 + 5]);                   // image 0, R, (x=5, y=3)
            assertEquals(20 + 1, px[192 + 1]);                     // image 1, R, (1, 0)
            assertEquals(10 * 6, px[2 * 192 + 64 + 6 * 8 + 2]);   // image 2, G, (2, 6)
            assertEquals(200, px[2 * 192 + 128 + 7]);            // image 2, B
        }
        try (ImageFolder f = new ImageFolderReader(4, 1).read("g", dir)) {
            ImageDataset ds = f.dataset();
            assertEquals(1, ds.channels());
            assertEquals(4, ds.width());
            float[] px = pixels(ds);
            // 8 -> 4 area average of a 2x2 block at x in {0,1}, y in {0,1}: R = 10.5, G = 5, B = 200
            assertEquals(Math.round((299 * 10.5 + 587 * 5 + 114 * 200) / 1000.0), px[0], 0.0);
        }
    }

    @Test
    void centreCropVersusResize() throws IOException {
        BufferedImage img = new BufferedImage(6, 2, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 6; x++) for (int y = 0; y < 2; y++) img.getRaster().setSample(x, y, 0, 40 * x);
        Files.createDirectories(dir.resolve("c"));
        ImageIO.write(img, "png", dir.resolve("c/wide.png").toFile());
        try (ImageFolder f = new ImageFolderReader(2, 1).read("crop", dir)) {
            assertArrayEquals(new float[]{80, 120, 80, 120}, pixels(f.dataset()), 0f); // centre 2x2: x = 2, 3
        }
        try (ImageFolder f = new ImageFolderReader(2, 1).fit(ImageFit.RESIZE).read("resize", dir)) {
            assertArrayEquals(new float[]{40, 160, 40, 160}, pixels(f.dataset()), 0f); // means of x 0..2, 3..5
        }
    }

    @Test
    void corruptFileFailsWithPathOrIsSkippedInOrder() throws IOException {
        png(dir.resolve("a/1.png"), 1);
        Path bad = dir.resolve("a/2.png");
        Files.write(bad, new byte[]{(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 1, 2, 3});
        png(dir.resolve("b/3.png"), 3);
        DataException e = assertThrows(DataException.class, () -> new ImageFolderReader(8, 3).read("f", dir));
        assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());

        try (ImageFolder f = new ImageFolderReader(8, 3).onBadImage(OnBadImage.SKIP).threads(3).read("f", dir)) {
            assertEquals(1, f.skipped().size());
            assertEquals(bad, f.skipped().getFirst().path());
            assertEquals(2, f.dataset().size());
            assertEquals(1, f.dataset().label(1));
            float[] px = pixels(f.dataset());
            assertEquals(1, px[0]);          // a/1.png
            assertEquals(3, px[192]);        // b/3.png moved up to slot 1
        }
    }

    @Test
    void orderAndBytesDoNotDependOnThreads() throws IOException {
        for (int i = 0; i < 12; i++) png(dir.resolve("c" + (i % 3) + "/img" + i + ".png"), i * 5);
        try (ImageFolder one = new ImageFolderReader(5, 3).threads(1).read("f", dir);
             ImageFolder four = new ImageFolderReader(5, 3).threads(4).read("f", dir)) {
            assertArrayEquals(pixels(one.dataset()), pixels(four.dataset()));
            try (StepScope s = StepScope.open()) {
                assertArrayEquals(Tensors.toLongs(one.dataset().labels()), Tensors.toLongs(four.dataset().labels()));
            }
        }
    }

    @Test
    void tooManyFilesAndEmptyFolderAreClearErrors() throws IOException {
        png(dir.resolve("a/1.png"), 1);
        png(dir.resolve("a/2.png"), 1);
        DataException e = assertThrows(DataException.class,
                () -> new ImageFolderReader(8, 3).maxImages(1).read("f", dir));
        assertTrue(e.getMessage().contains("exceed the in-memory limit of 1"), e.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(DataException.class, () -> new ImageFolderReader(8, 3).read("f", empty));
        assertTrue(e.getMessage().startsWith(empty.toString()), e.getMessage());
    }
}
