package io.bigbigan.api;

import io.bigbigan.model.images.ImagePixels;
import io.bigbigan.model.images.AreaResampler;
import io.bigbigan.model.images.ImageFiles;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Conversions between {@link BufferedImage}s and planar float pixels [C, S, S] in [0, 1]. */
final class Images {
    private Images() {}

    /**
     * Decodes a PNG/JPEG/BMP/GIF file of at most {@link ImageFiles#DEFAULT_MAX_PIXELS} pixels (checked in its header
     * before decoding).
     *
     * @throws IllegalArgumentException naming the file and the reason
     */
    static BufferedImage read(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such image file");
        try {
            return ImageFiles.read(file, ImageFiles.DEFAULT_MAX_PIXELS);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable image (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Decodes encoded image bytes.
     *
     * @throws IllegalArgumentException when they are not a readable image
     */
    static BufferedImage decode(byte[] bytes, String what) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
            if (img == null) throw new IllegalArgumentException(what + ": not a readable image (no decoder recognises "
                    + bytes.length + " bytes)");
            return img;
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot decode image: " + e.getMessage(), e);
        }
    }

    /** Whether the image already has the target geometry and channel count (1 band for grey, 3+ for RGB). */
    static boolean fits(BufferedImage img, int size, int channels) {
        return img.getWidth() == size && img.getHeight() == size && ImagePixels.isGrey(img) == (channels == 1);
    }

    /** A short description, e.g. {@code 64x48 RGB}. */
    static String describe(BufferedImage img) {
        return img.getWidth() + "x" + img.getHeight() + (ImagePixels.isGrey(img) ? " grey" : " RGB");
    }

    /**
     * What {@link #toPlanar} does to {@code img} for the target geometry, in order: {@code centre crop} (not square),
     * {@code area resampling} (another side), {@code luminance} (RGB to grey) or {@code repetition} (grey to RGB).
     */
    static List<String> conversionSteps(BufferedImage img, int size, int channels) {
        List<String> steps = new ArrayList<>();
        int w = img.getWidth(), h = img.getHeight();
        if (w != h) steps.add("centre crop");
        if (Math.min(w, h) != size) steps.add("area resampling");
        boolean grey = ImagePixels.isGrey(img);
        if (!grey && channels == 1) steps.add("luminance");
        if (grey && channels == 3) steps.add("repetition");
        return steps;
    }

    /**
     * The image as planar floats [C, S, S] in [0, 1]: centred square crop, area resampling to {@code size}, RGB to
     * grey by luminance or grey to RGB by repetition (alpha ignored). Exact (no resampling) when the size fits.
     */
    static float[] toPlanar(BufferedImage img, int size, int channels) {
        int w = img.getWidth(), h = img.getHeight();
        float[] rgb = ImagePixels.rgbPlanes(img);                                   // [3, h, w], 0..255
        int side = Math.min(w, h);
        float[] res = AreaResampler.resample(rgb, 3, h, w, (w - side) / 2, (h - side) / 2, side, side, size); // [3, S, S]
        int plane = size * size;
        float[] out = new float[channels * plane];
        if (channels == 3 || ImagePixels.isGrey(img)) {                             // grey sources: the planes are equal
            for (int i = 0; i < channels * plane; i++) out[i] = res[i] / 255f;
        } else {
            for (int i = 0; i < plane; i++)
                out[i] = (0.299f * res[i] + 0.587f * res[plane + i] + 0.114f * res[2 * plane + i]) / 255f;
        }
        return out;
    }

    /**
     * The centre {@code side} x {@code side} of planar floats [C, S, S] in [0, 1] (clamped) as an 8-bit grey or RGB
     * image; {@code side} = {@code size} takes all of it.
     */
    static BufferedImage fromPlanar(float[] p, int offset, int channels, int size, int side) {
        if (side < 1 || side > size || (size - side) % 2 != 0)
            throw new IllegalArgumentException("cannot take the centre " + side + " px of " + size + " px images");
        int plane = size * size, from = (size - side) / 2;
        BufferedImage img = new BufferedImage(side, side,
                channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        if (channels == 1) {
            int[] row = new int[side];
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) row[x] = toByte(p[offset + (y + from) * size + x + from]);
                img.getRaster().setSamples(0, y, side, 1, 0, row);
            }
        } else {
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++) {
                    int i = offset + (y + from) * size + x + from;
                    img.setRGB(x, y, toByte(p[i]) << 16 | toByte(p[plane + i]) << 8 | toByte(p[2 * plane + i]));
                }
        }
        return img;
    }

    private static int toByte(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255f)));
    }
}
