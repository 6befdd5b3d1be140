package io.bigbigan.model.images;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/** Pixels of decoded images as planar floats, shared by the image-folder reader and the inference API. */
public final class ImagePixels {
    private ImagePixels() {}

    /** Whether the image is a single-band grey raster. */
    public static boolean isGrey(BufferedImage img) {
        return img.getRaster().getNumBands() == 1
                && img.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY;
    }

    /** Planar RGB floats [3, h, w] in 0..255; grey rasters are read directly (getRGB would apply a gamma curve). */
    public static float[] rgbPlanes(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight(), plane = w * h;
        float[] rgb = new float[3 * plane];
        Raster r = img.getRaster();
        int[] row = new int[w];
        if (isGrey(img)) {
            float scale = 255f / ((1 << img.getColorModel().getComponentSize(0)) - 1);
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    float v = row[x] * scale;
                    rgb[y * w + x] = v;
                    rgb[plane + y * w + x] = v;
                    rgb[2 * plane + y * w + x] = v;
                }
            }
            return rgb;
        }
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                rgb[y * w + x] = (p >>> 16) & 0xff;
                rgb[plane + y * w + x] = (p >>> 8) & 0xff;
                rgb[2 * plane + y * w + x] = p & 0xff;
            }
        }
        return rgb;
    }
}
