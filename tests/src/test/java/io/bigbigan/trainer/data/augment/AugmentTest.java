package io.bigbigan.trainer.data.augment;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AugmentTest {
    /** A 1-channel h x w image with value 100 * y + x. */
    private static float[] ramp(int h, int w) {
        float[] a = new float[h * w];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) a[y * w + x] = 100 * y + x;
        return a;
    }

    @Test
    void randomParametersDependOnlyOnSeedEpochIndex() {
        ImagePipeline p = ImagePipeline.of(new RandomResizedCrop(8), new RandomHorizontalFlip());
        ImageShape in = new ImageShape(1, 20, 24);
        float[] img = ramp(20, 24);
        float[] a = p.apply(img, in, ImageRandom.of(5, 2, 17));
        ImageRandom.of(5, 2, 16).nextLong(); // unrelated draws don't matter
        assertArrayEquals(a, p.apply(img, in, ImageRandom.of(5, 2, 17)));
        assertFalse(java.util.Arrays.equals(a, p.apply(img, in, ImageRandom.of(5, 3, 17))));
        assertFalse(java.util.Arrays.equals(a, p.apply(img, in, ImageRandom.of(6, 2, 17))));
        assertEquals(ImageRandom.hash(1, 2, 3), ImageRandom.hash(1, 2, 3));
    }

    @Test
    void cropBoxIndependentOfOutputSizeAndWithinRanges() {
        RandomResizedCrop small = new RandomResizedCrop(16), big = new RandomResizedCrop(64);
        for (int i = 0; i < 200; i++) {
            int[] b = small.box(40, 50, ImageRandom.of(1, 0, i));
            assertArrayEquals(b, big.box(40, 50, ImageRandom.of(1, 0, i)));
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= 50 && b[1] + b[3] <= 40, java.util.Arrays.toString(b));
            double frac = (double) b[2] * b[3] / 2000;
            assertTrue(frac > 0.05 && frac <= 1.0, "area fraction " + frac);
        }
    }

    @Test
    void fullScaleCropOfSameSizeIsIdentityAndFlipMirrors() {
        ImageShape in = new ImageShape(1, 6, 6);
        float[] img = ramp(6, 6);
        RandomResizedCrop whole = new RandomResizedCrop(6, 1.0, 1.0, 1.0, 1.0);
        assertArrayEquals(img, whole.apply(img, in, new SplittableRandom(1)), 0f);
        float[] flipped = new RandomHorizontalFlip(1.0).apply(img, in, new SplittableRandom(1));
        for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) assertEquals(100 * y + (5 - x), flipped[y * 6 + x]);
        assertArrayEquals(img, new RandomHorizontalFlip(0.0).apply(img, in, new SplittableRandom(1)), 0f);
        int flips = 0;
        for (int i = 0; i < 400; i++) {
            float[] r = new RandomHorizontalFlip().apply(img, in, ImageRandom.of(3, 0, i));
            if (r[0] != img[0]) flips++;
        }
        assertTrue(flips > 150 && flips < 250, "flips " + flips);
    }

    @Test
    void twoResolutionViewsShareGeometry() {
        ImageShape in = new ImageShape(1, 32, 32);
        float[] img = ramp(32, 32);
        ImagePipeline e = ImagePipeline.of(new RandomResizedCrop(16), new RandomHorizontalFlip());
        ImagePipeline g = ImagePipeline.of(new RandomResizedCrop(8), new RandomHorizontalFlip());
        float[] hi = e.apply(img, in, ImageRandom.of(9, 1, 4)), lo = g.apply(img, in, ImageRandom.of(9, 1, 4));
        // On a linear ramp, bilinear resampling of the same box is linear too: lo(x, y) = mean of hi's 2x2 block.
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                float mean = (hi[2 * y * 16 + 2 * x] + hi[2 * y * 16 + 2 * x + 1] + hi[(2 * y + 1) * 16 + 2 * x]
                        + hi[(2 * y + 1) * 16 + 2 * x + 1]) / 4;
                assertEquals(mean, lo[y * 8 + x], 0.05f, "at " + x + "," + y);
            }
    }

    @Test
    void centreCropExactAndResized() {
        ImageShape in = new ImageShape(2, 5, 7);
        float[] img = new float[70];
        for (int i = 0; i < 70; i++) img[i] = i;
        float[] c = CenterCrop.exact(3).apply(img, in, null);
        // window x 2..4, y 1..3 of each channel
        assertArrayEquals(new float[]{9, 10, 11, 16, 17, 18, 23, 24, 25, 44, 45, 46, 51, 52, 53, 58, 59, 60}, c, 0f);
        float[] r = CenterCrop.resized(1, 1.0).apply(ramp(4, 4), new ImageShape(1, 4, 4), null);
        assertEquals(150f + 1.5f, r[0], 1e-4f); // sample at the centre of the ramp
    }

    @Test
    void padAndSignedRange() {
        ImagePipeline p = ImagePipeline.of(new Pad(2, 0f), new ToSignedRange());
        ImageShape in = new ImageShape(1, 28, 28);
        assertEquals(new ImageShape(1, 32, 32), p.outputShape(in));
        java.lang.foreign.MemorySegment px = java.lang.foreign.MemorySegment.ofArray(new byte[28 * 28]);
        px.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 255);
        px.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 28 * 28 - 1, (byte) 51);
        float[] out = p.apply(px, 0, in, new SplittableRandom(0));
        assertEquals(-1f, out[0]);                  // padding: background 0 -> -1
        assertEquals(1f, out[2 * 32 + 2]);          // pixel (0, 0) = 255 -> 1
        assertEquals(2 * 0.2f - 1, out[29 * 32 + 29], 1e-6f); // pixel (27, 27) = 51 -> 0.2 -> -0.6
        assertEquals(-1f, out[2 * 32 + 3]);         // black pixel
        assertEquals(-1f, out[31 * 32 + 31]);
    }
}
