package io.bigbigan.model.images;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Decodes image files ({@code javax.imageio}) after reading their width and height from the header: a small file can
 * hold a huge image (a 20000 x 20000 PNG of one colour compresses to 389 KB and decodes to 400 M pixels, about 6 GB
 * of Java heap in this program's float planes), so images above a pixel limit are refused before any decoding.
 */
public final class ImageFiles {
    /**
     * Default limit on width x height: 50 M pixels (e.g. 8000 x 6000). Decoding takes about 16 bytes of Java heap per
     * pixel (the decoded raster plus float RGB planes), i.e. 800 MB at the limit.
     */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
    /** Java heap needed per pixel while an image is decoded and converted (raster + 3 float planes), roughly. */
    public static final long HEAP_BYTES_PER_PIXEL = 16;

    private ImageFiles() {}

    /** An image whose header announces more pixels than the limit; nothing was decoded. */
    public static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException(String message) {
            super(message);
        }
    }

    /**
     * The width and height from the file's header (nothing is decoded).
     *
     * @throws IOException when no decoder recognises the file or its header is unreadable
     */
    public static long[] size(Path file) throws IOException {
        try (ImageInputStream in = open(file)) {
            ImageReader r = reader(in);
            try {
                return new long[]{r.getWidth(0), r.getHeight(0)};
            } finally {
                r.dispose();
            }
        }
    }

    /**
     * Decodes the first image of {@code file}, after checking width x height against {@code maxPixels}.
     *
     * @throws TooLargeException when the header announces more than {@code maxPixels} pixels, saying both
     * @throws IOException       when no decoder recognises the file or decoding fails
     */
    public static BufferedImage read(Path file, long maxPixels) throws IOException {
        try (ImageInputStream in = open(file)) {
            ImageReader r = reader(in);
            try {
                long w = r.getWidth(0), h = r.getHeight(0);
                if (w * h > maxPixels)
                    throw new TooLargeException(String.format("%dx%d = %,d pixels exceeds the limit of %,d "
                            + "(--max-image-pixels; decoding needs about %d bytes of Java heap per pixel)",
                            w, h, w * h, maxPixels, HEAP_BYTES_PER_PIXEL));
                List<String> warnings = new ArrayList<>();       // e.g. "Premature end of JPEG file"
                r.addIIOReadWarningListener((reader, warning) -> warnings.add(warning));
                BufferedImage img = r.read(0);
                if (img == null) throw new IOException("the decoder returned no image");
                if (!warnings.isEmpty()) throw new IOException("truncated or corrupt: " + warnings.getFirst());
                checkEnd(file, r.getFormatName());
                return img;
            } finally {
                r.dispose();
            }
        }
    }

    /**
     * A truncated PNG or JPEG: its end marker (PNG's IEND chunk, JPEG's EOI) is missing. Decoders fill what is
     * missing with grey or stop at the last complete row, some without an error.
     */
    private static void checkEnd(Path file, String format) throws IOException {
        String f = format.toLowerCase(java.util.Locale.ROOT);
        byte[] marker = f.equals("png") ? new byte[]{'I', 'E', 'N', 'D'}
                : f.equals("jpeg") || f.equals("jpg") ? new byte[]{(byte) 0xFF, (byte) 0xD9} : null;
        if (marker == null) return;
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate((int) Math.min(size, 4096));
            ch.read(tail, size - tail.capacity());
            byte[] b = tail.array();
            for (int i = b.length - marker.length; i >= 0; i--)
                if (java.util.Arrays.equals(b, i, i + marker.length, marker, 0, marker.length)) return;
        }
        throw new IOException("truncated: no " + (marker.length == 4 ? "IEND chunk" : "end-of-image marker")
                + " at the end of the " + f.toUpperCase(java.util.Locale.ROOT) + " file");
    }

    private static ImageInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no such file");
        ImageInputStream in = ImageIO.createImageInputStream(file.toFile());
        if (in == null) throw new IOException("cannot open the file for reading");
        return in;
    }

    private static ImageReader reader(ImageInputStream in) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) throw new IOException("no image decoder recognises the file");
        ImageReader r = readers.next();
        r.setInput(in, true, true);
        return r;
    }
}
