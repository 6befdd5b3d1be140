package io.bigbigan.trainer.data.augment;

/**
 * Bilinear resampling of a crop box, with PyTorch's {@code align_corners=false} convention (pixel centres at
 * {@code i + 0.5}, source coordinates clamped to the image). When the box has integer corners and the output has
 * the box's size, every output value is exactly a source value (weights 1 and 0).
 */
final class Bilinear {
    private Bilinear() {}

    /**
     * Resamples box {@code [x0, x0 + boxW) x [y0, y0 + boxH)} of {@code src [C, H, W]} to {@code [C, outH, outW]}.
     *
     * @param flip mirror the result horizontally
     */
    static float[] resample(float[] src, ImageShape in, double x0, double y0, double boxW, double boxH,
                            int outH, int outW, boolean flip) {
        int c = in.channels(), h = in.height(), w = in.width();
        int[] xi = new int[outW];
        float[] xw = new float[outW];
        double sx = boxW / outW, sy = boxH / outH;
        for (int ox = 0; ox < outW; ox++) {
            int sampleX = flip ? outW - 1 - ox : ox;
            double fx = clamp(x0 + (sampleX + 0.5) * sx - 0.5, w - 1);
            xi[ox] = (int) Math.floor(fx);
            xw[ox] = (float) (fx - xi[ox]);
        }
        float[] out = new float[c * outH * outW];
        for (int oy = 0; oy < outH; oy++) {
            double fy = clamp(y0 + (oy + 0.5) * sy - 0.5, h - 1);
            int y0i = (int) Math.floor(fy), y1i = Math.min(y0i + 1, h - 1);
            float wy = (float) (fy - y0i);
            for (int ch = 0; ch < c; ch++) {
                int row0 = (ch * h + y0i) * w, row1 = (ch * h + y1i) * w, o = (ch * outH + oy) * outW;
                for (int ox = 0; ox < outW; ox++) {
                    int x = xi[ox], x1 = Math.min(x + 1, w - 1);
                    float a = xw[ox];
                    float top = a == 0f ? src[row0 + x] : src[row0 + x] * (1 - a) + src[row0 + x1] * a;
                    float bottom = a == 0f ? src[row1 + x] : src[row1 + x] * (1 - a) + src[row1 + x1] * a;
                    out[o + ox] = wy == 0f ? top : top * (1 - wy) + bottom * wy;
                }
            }
        }
        return out;
    }

    private static double clamp(double v, int max) {
        return v < 0 ? 0 : Math.min(v, max);
    }
}
