package io.bigbigan.model.images;

/**
 * Area-averaging (box-filter) resampling of a crop box to a square: each output pixel is the mean of the source
 * area it covers, source pixels weighted by their fractional overlap. Separable: rows first, then columns. When the
 * box has the output's size and integer corners, the output equals the source exactly.
 */
public final class AreaResampler {
    private AreaResampler() {}

    /** Resamples box {@code (x0, y0, bw, bh)} of planar {@code src [c, h, w]} to {@code [c, side, side]}. */
    public static float[] resample(float[] src, int c, int h, int w, double x0, double y0, double bw, double bh, int side) {
        Weights wx = weights(x0, bw, side, w), wy = weights(y0, bh, side, h);
        float[] tmp = new float[c * h * side];               // [c, h, side] after the horizontal pass
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++) {
                int in = (ch * h + y) * w, out = (ch * h + y) * side;
                for (int o = 0; o < side; o++) {
                    double acc = 0;
                    for (int k = wx.start[o]; k < wx.start[o + 1]; k++) acc += wx.weight[k] * src[in + wx.index[k]];
                    tmp[out + o] = (float) acc;
                }
            }
        float[] dst = new float[c * side * side];            // [c, side, side]
        for (int ch = 0; ch < c; ch++)
            for (int o = 0; o < side; o++)
                for (int x = 0; x < side; x++) {
                    double acc = 0;
                    for (int k = wy.start[o]; k < wy.start[o + 1]; k++)
                        acc += wy.weight[k] * tmp[(ch * h + wy.index[k]) * side + x];
                    dst[(ch * side + o) * side + x] = (float) acc;
                }
        return dst;
    }

    /** CSR-style list of (source index, weight) per output position; weights of one output sum to 1. */
    private record Weights(int[] start, int[] index, double[] weight) {}

    private static Weights weights(double origin, double length, int outSize, int limit) {
        double step = length / outSize;
        int[] start = new int[outSize + 1];
        List list = new List();
        for (int o = 0; o < outSize; o++) {
            double a = origin + o * step, b = a + step;
            start[o] = list.size;
            for (int s = (int) Math.floor(a); s < Math.ceil(b); s++) {
                double overlap = Math.min(b, s + 1) - Math.max(a, s);
                if (overlap > 0) list.add(Math.max(0, Math.min(limit - 1, s)), overlap / step);
            }
        }
        start[outSize] = list.size;
        return new Weights(start, java.util.Arrays.copyOf(list.index, list.size),
                java.util.Arrays.copyOf(list.weight, list.size));
    }

    /** A growable (index, weight) list. */
    private static final class List {
        int[] index = new int[16];
        double[] weight = new double[16];
        int size;

        void add(int i, double w) {
            if (size == index.length) {
                index = java.util.Arrays.copyOf(index, size * 2);
                weight = java.util.Arrays.copyOf(weight, size * 2);
            }
            index[size] = i;
            weight[size++] = w;
        }
    }
}
