package io.bigbigan.trainer.report;

import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Sample and reconstruction grids as PNG files.
 *
 * <p>Input is a float tensor of images {@code [N, C, H, W]} with values in {@code [0, 1]} (any device, any floating
 * or integer dtype; values outside are clamped, NaN becomes 0), {@code C = 1} (greyscale PNG) or {@code C = 3} (RGB
 * PNG). Images fill a grid of {@code min(cols, N)} columns row by row ({@code rows = ceil(N / cols)}); tiles are separated by
 * {@code padding} black pixels (none around the border) and each image pixel becomes a {@code scale x scale} block.
 * Unused tiles of the last row stay black.
 */
public final class ImageGrid {
    /** Pixels between tiles when none is given. */
    public static final int DEFAULT_PADDING = 2;

    private ImageGrid() {}

    /** Writes {@code images} as a grid with {@code cols} columns, {@link #DEFAULT_PADDING} and no upscaling. */
    public static void write(Path png, Tensor images, int cols) throws IOException {
        write(png, images, cols, DEFAULT_PADDING, 1);
    }

    /**
     * Writes {@code images} {@code [N, C, H, W]} as a grid PNG, atomically (see {@link AtomicFiles}).
     *
     * @param cols    tiles per row, {@code >= 1} (at most {@code N} are used)
     * @param padding pixels between tiles, {@code >= 0}
     * @param scale   integer upscaling factor, {@code >= 1}
     * @throws IllegalArgumentException for a wrong shape or layout (see {@link #render})
     * @throws IOException              when the file cannot be written; an existing file is then left untouched
     */
    public static void write(Path png, Tensor images, int cols, int padding, int scale) throws IOException {
        writePng(png, render(images, cols, padding, scale));
    }

    /**
     * Writes originals beside their reconstructions (e.g. {@code x} and {@code G(E(x))}): columns come in pairs,
     * original on the left, {@code pairsPerRow} pairs per row.
     *
     * @throws IllegalArgumentException when the two tensors' shapes differ or are not valid image batches
     */
    @SuppressWarnings("try")   // the scope releases the interleaved temporary
    public static void writePairs(Path png, Tensor originals, Tensor reconstructions, int pairsPerRow, int padding,
                                  int scale) throws IOException {
        if (pairsPerRow < 1) throw new IllegalArgumentException("pairsPerRow must be >= 1, got " + pairsPerRow);
        try (StepScope ignored = StepScope.open()) {
            BufferedImage image = render(pairs(originals, reconstructions), 2 * pairsPerRow, padding, scale);
            writePng(png, image);
        }
    }

    /**
     * Interleaves two image batches of equal shape {@code [N, C, H, W]} into {@code [2N, C, H, W]}:
     * {@code a0, b0, a1, b1, ...}.
     */
    public static Tensor pairs(Tensor a, Tensor b) {
        long[] shape = checkImages(a, "originals");
        long[] other = checkImages(b, "reconstructions");
        if (!Arrays.equals(shape, other))
            throw new IllegalArgumentException("originals " + Arrays.toString(shape) + " and reconstructions "
                    + Arrays.toString(other) + " must have the same shape");
        return torch.stack(new TensorVector(a, b), 1).reshape(2 * shape[0], shape[1], shape[2], shape[3]);
    }

    /**
     * Renders {@code images} {@code [N, C, H, W]} into an image: {@link BufferedImage#TYPE_BYTE_GRAY} for
     * {@code C = 1}, {@link BufferedImage#TYPE_INT_RGB} for {@code C = 3}; pixel value {@code round(255 * v)}.
     *
     * @throws IllegalArgumentException naming the shape when it is not 4-D, {@code C} is not 1 or 3, {@code N} or an
     *                                  image side is 0, or the layout arguments are out of range
     */
    public static BufferedImage render(Tensor images, int cols, int padding, int scale) {
        long[] shape = checkImages(images, "images");
        if (cols < 1) throw new IllegalArgumentException("cols must be >= 1, got " + cols);
        if (padding < 0) throw new IllegalArgumentException("padding must be >= 0, got " + padding);
        if (scale < 1) throw new IllegalArgumentException("scale must be >= 1, got " + scale);
        int n = (int) shape[0], c = (int) shape[1], h = (int) shape[2], w = (int) shape[3];
        cols = Math.min(cols, n);
        int rows = (n + cols - 1) / cols;
        long tileW = (long) w * scale, tileH = (long) h * scale;
        long width = cols * tileW + (long) (cols - 1) * padding;
        long height = rows * tileH + (long) (rows - 1) * padding;
        if (width > 1 << 15 || height > 1 << 15)
            throw new IllegalArgumentException("grid of " + width + "x" + height + " pixels is too large (max 32768 "
                    + "per side); use fewer images, fewer columns or a smaller scale");

        byte[] px = toBytes(images, (long) n * c * h * w);
        BufferedImage out = new BufferedImage((int) width, (int) height,
                c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        WritableRaster raster = out.getRaster();       // new images are black, which is the padding colour
        int plane = h * w;
        int[] line = new int[(int) tileW * c];
        for (int i = 0; i < n; i++) {
            int x0 = (int) ((i % cols) * (tileW + padding));
            int y0 = (int) ((i / cols) * (tileH + padding));
            int base = i * c * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < c; ch++) {
                        int v = px[base + ch * plane + y * w + x] & 0xff;
                        for (int s = 0; s < scale; s++) line[(x * scale + s) * c + ch] = v;
                    }
                }
                for (int s = 0; s < scale; s++) raster.setPixels(x0, y0 + y * scale + s, (int) tileW, 1, line);
            }
        }
        return out;
    }

    /** The images as bytes {@code round(255 * clamp(v, 0, 1))} in {@code [N, C, H, W]} order. */
    @SuppressWarnings("try")   // the scope releases the temporaries
    private static byte[] toBytes(Tensor images, long count) {
        byte[] px = new byte[Math.toIntExact(count)];
        try (StepScope ignored = StepScope.open()) {
            Tensor u8 = images.detach().to(torch.ScalarType.Float).cpu()
                    .nan_to_num(new DoubleOptional(0), new DoubleOptional(1), new DoubleOptional(0))
                    .clamp(new ScalarOptional(Tensors.scalar(0)), new ScalarOptional(Tensors.scalar(1)))
                    .mul(Tensors.scalar(255)).round()
                    .to(torch.ScalarType.Byte).contiguous();
            new BytePointer(u8.data_ptr()).get(px);
        }
        return px;
    }

    private static long[] checkImages(Tensor t, String what) {
        if (t == null || t.isNull() || !t.defined()) throw new IllegalArgumentException(what + " tensor is undefined");
        long[] shape = Tensors.shape(t);
        if (shape.length != 4)
            throw new IllegalArgumentException(what + " must be a 4-D tensor [N, C, H, W], got shape "
                    + Arrays.toString(shape));
        if (shape[1] != 1 && shape[1] != 3)
            throw new IllegalArgumentException(what + " must have C = 1 (grey) or 3 (RGB) channels, got C = "
                    + shape[1] + " in shape " + Arrays.toString(shape));
        if (shape[0] == 0 || shape[2] == 0 || shape[3] == 0)
            throw new IllegalArgumentException(what + " shape " + Arrays.toString(shape) + " holds no pixels");
        return shape;
    }

    /**
     * Encodes the PNG in memory, then writes its bytes atomically: no ImageIO cache file in the temporary folder and
     * no stream ImageIO closes on a thread of its own, so a full disk is one {@link IOException} naming {@code png}.
     */
    private static void writePng(Path png, BufferedImage image) throws IOException {
        byte[] bytes = encodePng(image);
        AtomicFiles.writeStream(png, out -> out.write(bytes));
    }

    /** The PNG file of {@code image}, encoded in memory. */
    static byte[] encodePng(BufferedImage image) throws IOException {
        var writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) throw new IOException("no PNG writer is available in this JVM");
        javax.imageio.ImageWriter writer = writers.next();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (var out = new javax.imageio.stream.MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(image);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
