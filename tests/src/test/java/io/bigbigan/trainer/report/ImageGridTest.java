package io.bigbigan.trainer.report;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageGridTest {
    @TempDir
    Path dir;

    /** {@code n} images of shape [c, h, w], image i filled with {@code values[i]}. */
    private static Tensor constant(int c, int h, int w, float... values) {
        int plane = c * h * w;
        float[] v = new float[values.length * plane];
        for (int i = 0; i < values.length; i++) java.util.Arrays.fill(v, i * plane, (i + 1) * plane, values[i]);
        return Tensors.of(v, values.length, c, h, w);
    }

    private static BufferedImage readBack(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img != null, "not a readable PNG: " + png);
        return img;
    }

    private static int grey(BufferedImage img, int x, int y) {
        return img.getRaster().getSample(x, y, 0);
    }

    @Test
    void greyGridHasTheLayoutSizeAndTileValues() throws IOException {
        try (StepScope s = StepScope.open()) {
            Path png = dir.resolve("samples.png");
            // 5 images 1x2x3 in 3 columns (2 rows), 1 px padding, 2x upscaling: tiles are 6x4 pixels.
            ImageGrid.write(png, constant(1, 2, 3, 0f, 0.25f, 0.5f, 0.75f, 1f), 3, 1, 2);
            BufferedImage img = readBack(png);
            assertEquals(3 * 6 + 2, img.getWidth());
            assertEquals(2 * 4 + 1, img.getHeight());
            assertEquals(1, img.getRaster().getNumBands());
            assertEquals(0, grey(img, 0, 0));            // image 0
            assertEquals(64, grey(img, 7, 0));           // image 1: round(0.25 * 255)
            assertEquals(64, grey(img, 12, 3));          // its bottom-right pixel
            assertEquals(128, grey(img, 14, 0));         // image 2
            assertEquals(191, grey(img, 0, 5));          // image 3, second row
            assertEquals(255, grey(img, 7, 5));          // image 4
            assertEquals(255, grey(img, 12, 8));
            assertEquals(0, grey(img, 6, 1));            // padding column between image 1 ... and 0
            assertEquals(0, grey(img, 13, 0));           // padding between tiles 1 and 2
            assertEquals(0, grey(img, 9, 4));            // padding row
            assertEquals(0, grey(img, 16, 6));           // unused last tile
        }
    }

    @Test
    void pixelsKeepTheirPositionWhenUpscaled() throws IOException {
        try (StepScope s = StepScope.open()) {
            Path png = dir.resolve("one.png");
            // One 2x3 image with distinct values (fewer images than columns: a single tile);
            // scale 3 -> 9x6, pixel (y, x) covers [3y, 3y+3) x [3x, 3x+3).
            ImageGrid.write(png, Tensors.of(new float[]{0, 0.2f, 0.4f, 0.6f, 0.8f, 1f}, 1, 1, 2, 3), 4, 2, 3);
            BufferedImage img = readBack(png);
            assertEquals(9, img.getWidth());
            assertEquals(6, img.getHeight());
            int[] expected = {0, 51, 102, 153, 204, 255};
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 9; x++)
                    assertEquals(expected[(y / 3) * 3 + x / 3], grey(img, x, y), "pixel " + x + "," + y);
        }
    }

    @Test
    void rgbValuesAreClampedAndNaNIsBlack() throws IOException {
        try (StepScope s = StepScope.open()) {
            Path png = dir.resolve("rgb.png");
            // Image 0: R = 1.5 (-> 255), G = -1 (-> 0), B = 0.5 (-> 128). Image 1: all NaN (-> 0).
            float[] v = new float[2 * 3 * 2 * 2];
            java.util.Arrays.fill(v, 0, 4, 1.5f);
            java.util.Arrays.fill(v, 4, 8, -1f);
            java.util.Arrays.fill(v, 8, 12, 0.5f);
            java.util.Arrays.fill(v, 12, 24, Float.NaN);
            ImageGrid.write(png, Tensors.of(v, 2, 3, 2, 2), 2, 2, 1);
            BufferedImage img = readBack(png);
            assertEquals(2 * 2 + 2, img.getWidth());
            assertEquals(2, img.getHeight());
            assertEquals(0xff0080, img.getRGB(0, 0) & 0xffffff);
            assertEquals(0xff0080, img.getRGB(1, 1) & 0xffffff);
            assertEquals(0x000000, img.getRGB(4, 0) & 0xffffff);
        }
    }

    @Test
    void pairsPutEachOriginalBesideItsReconstruction() throws IOException {
        try (StepScope s = StepScope.open()) {
            Path png = dir.resolve("recon.png");
            Tensor x = constant(1, 2, 2, 10 / 255f, 20 / 255f, 30 / 255f);
            Tensor rec = constant(1, 2, 2, 40 / 255f, 50 / 255f, 60 / 255f);
            ImageGrid.writePairs(png, x, rec, 2, 1, 1);   // 2 pairs per row: x0 r0 x1 r1 / x2 r2
            BufferedImage img = readBack(png);
            assertEquals(4 * 2 + 3, img.getWidth());
            assertEquals(2 * 2 + 1, img.getHeight());
            int[][] tiles = {{10, 40, 20, 50}, {30, 60, 0, 0}};
            for (int r = 0; r < 2; r++)
                for (int c = 0; c < 4; c++)
                    assertEquals(tiles[r][c], grey(img, c * 3 + 1, r * 3 + 1), "tile " + r + "," + c);
        }
    }

    @Test
    void wrongShapesAndLayoutsAreRejected() {
        try (StepScope s = StepScope.open()) {
            Path png = dir.resolve("bad.png");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImageGrid.write(png, Tensors.zeros(3, 8, 8), 2));
            assertEquals("images must be a 4-D tensor [N, C, H, W], got shape [3, 8, 8]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.write(png, Tensors.zeros(4, 2, 8, 8), 2));
            assertEquals("images must have C = 1 (grey) or 3 (RGB) channels, got C = 2 in shape [4, 2, 8, 8]",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.write(png, Tensors.zeros(0, 1, 8, 8), 2));
            assertTrue(e.getMessage().contains("holds no pixels"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.write(png, Tensors.zeros(1, 1, 8, 8), 0));
            assertEquals("cols must be >= 1, got 0", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ImageGrid.write(png, Tensors.zeros(1, 1, 8, 8), 1, 1, 0));
            assertEquals("scale must be >= 1, got 0", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ImageGrid.writePairs(png, Tensors.zeros(2, 3, 8, 8), Tensors.zeros(2, 3, 8, 4), 1, 1, 1));
            assertEquals("originals [2, 3, 8, 8] and reconstructions [2, 3, 8, 4] must have the same shape",
                    e.getMessage());
            assertFalse(Files.exists(png));
        }
    }

    @Test
    void writingReplacesAtomicallyAndLeavesNoTempFile() throws IOException {
        try (StepScope s = StepScope.open()) {
            Path png = dir.resolve("grid.png");
            ImageGrid.write(png, constant(1, 2, 2, 0f), 1);
            ImageGrid.write(png, constant(1, 2, 2, 1f, 1f), 2);
            BufferedImage img = readBack(png);
            assertEquals(2 * 2 + ImageGrid.DEFAULT_PADDING, img.getWidth());
            assertEquals(255, grey(img, 0, 0));
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(png), files.toList());
            }
            Path missing = dir.resolve("no-such-dir/grid.png");
            assertThrows(IOException.class, () -> ImageGrid.write(missing, constant(1, 2, 2, 0f), 1));
            assertFalse(Files.exists(missing.getParent()));
        }
    }
}
