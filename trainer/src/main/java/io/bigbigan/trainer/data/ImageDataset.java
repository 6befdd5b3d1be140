package io.bigbigan.trainer.data;

import io.bigbigan.nativelib.NativeMemory;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * An in-memory labelled image data set. The pixels are uint8, laid out {@code [N, C, H, W]} in native memory (an
 * arena-allocated segment or a memory-mapped file) that LibTorch reads in place; the labels are int64 class indices.
 *
 * <p>The data set owns its memory: {@link #close()} releases it, after which every tensor returned by
 * {@link #images()} is dangling. Tensors from {@link #labels()}, {@link #batch(Tensor)} and {@link #all()} own
 * their memory and stay valid. Call the tensor methods inside a {@code StepScope} so that intermediate wrappers are
 * released. Instances are safe to read from several threads; closing is not synchronised with readers.
 */
public final class ImageDataset implements AutoCloseable {
    private final String name;
    private final Arena arena;
    private final MemorySegment pixels; // uint8 [N, C, H, W]
    private final MemorySegment labels; // int64 [N], native byte order
    private final int size;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;
    private volatile boolean closed;

    /**
     * Takes ownership of {@code arena}, which must keep {@code pixels} and {@code labels} alive; labels must already
     * be validated to lie in {@code [0, classNames.size())}.
     */
    ImageDataset(String name, Arena arena, MemorySegment pixels, MemorySegment labels,
                 int size, int channels, int height, int width, List<String> classNames) {
        if (size <= 0 || channels <= 0 || height <= 0 || width <= 0)
            throw new IllegalArgumentException(name + ": bad shape [" + size + ", " + channels + ", " + height
                    + ", " + width + "]");
        if (pixels.byteSize() != (long) size * channels * height * width)
            throw new IllegalArgumentException(name + ": pixel segment has " + pixels.byteSize()
                    + " bytes, shape needs " + (long) size * channels * height * width);
        if (labels.byteSize() != 8L * size)
            throw new IllegalArgumentException(name + ": label segment has " + labels.byteSize() + " bytes, needs "
                    + 8L * size);
        if (classNames.isEmpty()) throw new IllegalArgumentException(name + ": no class names");
        this.name = name;
        this.arena = arena;
        this.pixels = pixels;
        this.labels = labels;
        this.size = size;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = List.copyOf(classNames);
    }

    /**
     * The pixel segment uint8 {@code [N, C, H, W]} for Java-side readers in this package (the batch loader); valid
     * until {@link #close()}, read-only.
     */
    MemorySegment pixelSegment() {
        checkOpen();
        return pixels;
    }

    /** A short human-readable name, e.g. {@code fashion-mnist/train}. */
    public String name() {
        return name;
    }

    /** Number of images N. */
    public int size() {
        return size;
    }

    /** Channels per image C (1 for grayscale). */
    public int channels() {
        return channels;
    }

    /** Image height H in pixels. */
    public int height() {
        return height;
    }

    /** Image width W in pixels. */
    public int width() {
        return width;
    }

    /** Number of classes; every label lies in {@code [0, numClasses())}. */
    public int numClasses() {
        return classNames.size();
    }

    /** Class names, indexed by label. */
    public List<String> classNames() {
        return classNames;
    }

    /** The label of image {@code index}. */
    public int label(int index) {
        checkOpen();
        return (int) labels.getAtIndex(ValueLayout.JAVA_LONG, index);
    }

    /** How many images each class has, indexed by label. */
    public int[] classCounts() {
        checkOpen();
        int[] counts = new int[numClasses()];
        for (int i = 0; i < size; i++) counts[(int) labels.getAtIndex(ValueLayout.JAVA_LONG, i)]++;
        return counts;
    }

    /**
     * All pixels as a uint8 tensor {@code [N, C, H, W]} that aliases this data set's native memory (no copy).
     * Valid only until {@link #close()}; treat it as read-only (file-backed data sets are mapped read-only, and
     * writing would crash the process).
     */
    public Tensor images() {
        checkOpen();
        return NativeMemory.wrap(pixels, new long[]{size, channels, height, width}, torch.ScalarType.Byte);
    }

    /** All labels as an int64 tensor {@code [N]} that owns its memory. */
    public Tensor labels() {
        checkOpen();
        return NativeMemory.wrap(labels, new long[]{size}, torch.ScalarType.Long).clone();
    }

    /**
     * The images at {@code indices} (int64 {@code [B]}, each in {@code [0, N)}) as float32 {@code [B, C, H, W]} in
     * {@code [0, 1]}. LibTorch gathers straight from the native pixels; the result owns its memory.
     */
    public Tensor batch(Tensor indices) {
        checkOpen();
        // scalar_type() returns a non-canonical enum instance: compare after intern()
        if (indices.dim() != 1 || indices.scalar_type().intern() != torch.ScalarType.Long)
            throw new IllegalArgumentException(name + ": batch indices must be a 1-D int64 tensor, got "
                    + indices.dim() + "-D " + indices.scalar_type());
        Tensor picked = images().index_select(0, indices);       // uint8 [B, C, H, W]
        return picked.to(torch.ScalarType.Float).div_(new Scalar(255.0)); // float [B, C, H, W]
    }

    /** The images {@code [from, to)} as float32 {@code [to - from, C, H, W]} in {@code [0, 1]}, as {@link #batch(Tensor)}. */
    public Tensor batch(long from, long to) {
        return batch(torch.arange(new Scalar(from), new Scalar(to)));
    }

    /** Every image as float32 {@code [N, C, H, W]} in {@code [0, 1]}, owning its memory. */
    public Tensor all() {
        checkOpen();
        return images().to(torch.ScalarType.Float).div_(new Scalar(255.0)); // float [N, C, H, W]
    }

    /**
     * A copy of images {@code [from, from + count)} with their labels, as an independent data set with its own
     * memory (closing either does not affect the other).
     */
    public ImageDataset subset(int from, int count) {
        checkOpen();
        if (from < 0 || count <= 0 || (long) from + count > size)
            throw new IndexOutOfBoundsException(name + ": subset [" + from + ", " + ((long) from + count)
                    + ") is outside [0, " + size + ")");
        long imageBytes = (long) channels * height * width;
        Arena copyArena = Arena.ofShared();
        MemorySegment px = copyArena.allocate(imageBytes * count, 64);
        MemorySegment lb = copyArena.allocate(ValueLayout.JAVA_LONG, count);
        MemorySegment.copy(pixels, imageBytes * from, px, 0, imageBytes * count);
        MemorySegment.copy(labels, 8L * from, lb, 0, 8L * count);
        return new ImageDataset(name + "[" + from + ":" + (from + count) + "]", copyArena, px, lb,
                count, channels, height, width, classNames);
    }

    /** Releases the native memory (or unmaps the file). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }

    @Override
    public String toString() {
        return name + " [" + size + ", " + channels + ", " + height + ", " + width + "], " + numClasses() + " classes";
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(name + ": data set is closed");
    }
}
