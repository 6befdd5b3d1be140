package io.bigbigan.trainer.data;

import io.bigbigan.model.images.AreaResampler;
import io.bigbigan.model.images.ImagePixels;
import io.bigbigan.model.images.ImageFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * Reads a directory tree of JPEG and PNG images ({@code javax.imageio}) into an in-memory {@link ImageDataset}
 * {@code [N, C, S, S]} of uint8.
 *
 * <ul>
 *   <li><b>Index:</b> files ending in {@code .png}, {@code .jpg} or {@code .jpeg} (any case) are found recursively
 *       and ordered by their path relative to the root (sorted by name components), so the order never depends on
 *       the file system or on timing. The first-level sub-folder names, sorted, are the classes (labels for
 *       evaluation); images directly in the root belong to a class named after the root folder.</li>
 *   <li><b>Probing and decoding</b> happen once, while the index is built: every file is decoded (in parallel on
 *       {@link #threads(int)} threads, each writing only its own slot) and a file that cannot be decoded is handled
 *       by {@link OnBadImage}: {@code FAIL} throws a {@link DataException} naming the file (the first bad one in
 *       index order), {@code SKIP} leaves it out and reports it in {@link ImageFolder#skipped()}. The surviving
 *       images keep their index order. An image whose header announces more than {@link #maxPixels(long)} pixels
 *       is a bad file and never decoded; large images are decoded only while the heap has room for them.</li>
 *   <li><b>Geometry</b> ({@link ImageFit}): the largest centred square (default) or the whole image, resampled to
 *       {@code size x size} by <i>area averaging</i> (each output pixel is the coverage-weighted mean of the source
 *       pixels under it: anti-aliased when shrinking, nearest-like with blended edges when enlarging).</li>
 *   <li><b>Channels:</b> 3 = RGB; 1 = luma {@code (299 R + 587 G + 114 B) / 1000}. Single-band grey images are read
 *       from the raster directly (no colour-space conversion); alpha is ignored.</li>
 *   <li><b>Memory:</b> everything is held in native memory, {@code N * C * S * S} bytes; more than
 *       {@link #maxImages(int)} files (default {@value #DEFAULT_MAX_IMAGES}) is refused with a DataException
 *       rather than exhausting memory. Larger collections need a streaming source (not implemented).</li>
 * </ul>
 */
public final class ImageFolderReader {
    /** Default upper bound on the number of files held in memory. */
    public static final int DEFAULT_MAX_IMAGES = 200_000;

    private final int size;
    private final int channels;
    private ImageFit fit = ImageFit.CENTER_CROP;
    private OnBadImage onBadImage = OnBadImage.FAIL;
    private int maxImages = DEFAULT_MAX_IMAGES;
    private long maxPixels = ImageFiles.DEFAULT_MAX_PIXELS;
    private int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    /** A reader producing {@code size x size} images with {@code channels} (1 or 3) channels. */
    public ImageFolderReader(int size, int channels) {
        if (size <= 0 || size > 4096) throw new IllegalArgumentException("image size must be 1..4096, got " + size);
        if (channels != 1 && channels != 3)
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
        this.size = size;
        this.channels = channels;
    }

    /** How images are fitted into the square (default {@link ImageFit#CENTER_CROP}). */
    public ImageFolderReader fit(ImageFit fit) {
        this.fit = fit;
        return this;
    }

    /** What to do with undecodable files (default {@link OnBadImage#FAIL}). */
    public ImageFolderReader onBadImage(OnBadImage policy) {
        this.onBadImage = policy;
        return this;
    }

    /** Refuse folders with more than this many image files (default {@value #DEFAULT_MAX_IMAGES}). */
    public ImageFolderReader maxImages(int maxImages) {
        if (maxImages <= 0) throw new IllegalArgumentException("maxImages must be positive, got " + maxImages);
        this.maxImages = maxImages;
        return this;
    }

    /**
     * Treat images whose header announces more than {@code maxPixels} (width x height) as bad files (default
     * {@link ImageFiles#DEFAULT_MAX_PIXELS}): they are never decoded, so a small file holding a huge image cannot
     * exhaust the heap; {@link OnBadImage} decides whether they fail the read or are skipped.
     */
    public ImageFolderReader maxPixels(long maxPixels) {
        if (maxPixels <= 0) throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        this.maxPixels = maxPixels;
        return this;
    }

    /** Decoding threads (default min(4, cores)); the result does not depend on it. */
    public ImageFolderReader threads(int threads) {
        if (threads <= 0) throw new IllegalArgumentException("threads must be positive, got " + threads);
        this.threads = threads;
        return this;
    }

    /**
     * Lists, decodes and indexes {@code root}.
     *
     * @param name the data set's name
     * @throws DataException naming the folder (missing, no images, too many) or the first bad file under FAIL
     */
    public ImageFolder read(String name, Path root) {
        List<Path> files = list(root);
        List<String> classes = classes(root, files);
        int n = files.size();
        long imageBytes = (long) channels * size * size;
        String[] errors = new String[n];
        Arena arena = Arena.ofShared();
        try {
            MemorySegment staging = arena.allocate(imageBytes * n, 64); // uint8 [n, C, S, S], one slot per file
            decodeAll(files, staging, imageBytes, errors);
            List<SkippedImage> skipped = new ArrayList<>();
            MemorySegment labels = arena.allocate(ValueLayout.JAVA_LONG, n);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (errors[i] != null) {
                    if (onBadImage == OnBadImage.FAIL)
                        throw new DataException(files.get(i) + ": cannot decode image (" + errors[i]
                                + "); use --on-bad-image skip to leave bad files out");
                    skipped.add(new SkippedImage(files.get(i), errors[i]));
                    continue;
                }
                if (kept != i) MemorySegment.copy(staging, i * imageBytes, staging, kept * imageBytes, imageBytes);
                labels.setAtIndex(ValueLayout.JAVA_LONG, kept, classes.indexOf(className(root, files.get(i))));
                kept++;
            }
            if (kept == 0) throw new DataException(root + ": none of the " + n + " image files could be decoded");
            ImageDataset ds = new ImageDataset(name, arena, staging.asSlice(0, kept * imageBytes),
                    labels.asSlice(0, 8L * kept), kept, channels, size, size, classes);
            return new ImageFolder(ds, skipped);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Image files under {@code root}, sorted by relative path. */
    static List<Path> list(Path root) {
        if (!Files.isDirectory(root)) throw new DataException(root + ": no such image folder");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).filter(ImageFolderReader::isImageName)
                    .sorted(Comparator.comparing((Path p) -> root.relativize(p), ImageFolderReader::compareRelative))
                    .toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new DataException(root + ": cannot list image folder (" + e.getMessage() + ")", e);
        }
        if (files.isEmpty()) throw new DataException(root + ": no .png/.jpg/.jpeg files found (searched recursively)");
        return files;
    }

    private List<String> classes(Path root, List<Path> files) {
        if (files.size() > maxImages)
            throw new DataException(root + ": " + files.size() + " image files exceed the in-memory limit of "
                    + maxImages + " (raise maxImages if the memory, " + files.size() + " x " + channels * size * size
                    + " bytes, is available)");
        TreeSet<String> names = new TreeSet<>();
        for (Path f : files) names.add(className(root, f));
        return List.copyOf(names);
    }

    private static String className(Path root, Path file) {
        Path rel = root.relativize(file);
        if (rel.getNameCount() > 1) return rel.getName(0).toString();
        Path base = root.toAbsolutePath().normalize().getFileName();
        return base == null ? "." : base.toString();
    }

    private static int compareRelative(Path a, Path b) {
        int n = Math.min(a.getNameCount(), b.getNameCount());
        for (int i = 0; i < n; i++) {
            int c = a.getName(i).toString().compareTo(b.getName(i).toString());
            if (c != 0) return c;
        }
        return Integer.compare(a.getNameCount(), b.getNameCount());
    }

    private static boolean isImageName(Path p) {
        String s = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return s.endsWith(".png") || s.endsWith(".jpg") || s.endsWith(".jpeg");
    }

    /** Decodes file i into slot i; sets errors[i] for a file that cannot be decoded. */
    private void decodeAll(List<Path> files, MemorySegment staging, long imageBytes, String[] errors) {
        int n = files.size();
        int workers = Math.min(threads, n);
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "image-folder-decode");
            t.setDaemon(true);
            return t;
        });
        // large images are decoded only while the heap has room for them: a budget in units of 1024 pixels
        long units = Math.max(1, Runtime.getRuntime().maxMemory() / 2 / ImageFiles.HEAP_BYTES_PER_PIXEL / 1024);
        int budget = (int) Math.min(Integer.MAX_VALUE, units);
        Semaphore heap = new Semaphore(budget);
        String[] fatal = new String[n];
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int first = w;
                futures.add(pool.submit(() -> {
                    byte[] out = new byte[(int) imageBytes];
                    for (int i = first; i < n; i += workers) {
                        int permits = 0;
                        try {
                            long[] wh = ImageFiles.size(files.get(i));
                            permits = (int) Math.min(budget, Math.max(1, wh[0] * wh[1] / 1024));
                            heap.acquire(permits);
                            decode(files.get(i), out);
                            MemorySegment.copy(out, 0, staging, ValueLayout.JAVA_BYTE, i * imageBytes, out.length);
                        } catch (ImageFiles.TooLargeException e) {
                            errors[i] = e.getMessage();
                        } catch (IOException | RuntimeException e) {
                            errors[i] = e.getMessage() == null ? e.getClass().getSimpleName()
                                    : e.getClass().getSimpleName() + ": " + e.getMessage();
                        } catch (OutOfMemoryError e) {   // never a skip: that would depend on memory, not the file
                            fatal[i] = errors[i] = "out of Java heap while decoding it; lower --max-image-pixels (now "
                                    + String.format("%,d", maxPixels) + ") or raise the heap (BIGBIGAN_JAVA_OPTS=-Xmx4g)";
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        } finally {
                            if (permits > 0) heap.release(permits);
                        }
                    }
                }));
            }
            for (Future<?> f : futures) f.get();
            for (int i = 0; i < n; i++)
                if (fatal[i] != null) throw new DataException(files.get(i) + ": cannot decode image (" + fatal[i] + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException("image folder decoding interrupted", e);
        } catch (ExecutionException e) {
            throw new DataException("image folder decoding failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Decodes one file to uint8 [C, S, S] in {@code out}. */
    void decode(Path file, byte[] out) throws IOException {
        BufferedImage img = ImageFiles.read(file, maxPixels);   // checks the size in the header first
        int w = img.getWidth(), h = img.getHeight();
        float[] rgb = ImagePixels.rgbPlanes(img); // [3, h, w], 0..255
        double x0 = 0, y0 = 0, bw = w, bh = h;
        if (fit == ImageFit.CENTER_CROP) {
            int side = Math.min(w, h);
            x0 = (w - side) / 2;
            y0 = (h - side) / 2;
            bw = bh = side;
        }
        float[] res = AreaResampler.resample(rgb, 3, h, w, x0, y0, bw, bh, size); // [3, S, S]
        int plane = size * size;
        if (channels == 3) {
            for (int i = 0; i < 3 * plane; i++) out[i] = toByte(res[i]);
        } else {
            for (int i = 0; i < plane; i++)
                out[i] = toByte((299 * res[i] + 587 * res[plane + i] + 114 * res[2 * plane + i]) / 1000f);
        }
    }

    private static byte toByte(float v) {
        return (byte) Math.max(0, Math.min(255, Math.round(v)));
    }
}
