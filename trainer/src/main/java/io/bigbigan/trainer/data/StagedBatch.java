package io.bigbigan.trainer.data;

import io.bigbigan.nativelib.NativeMemory;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.lang.foreign.MemorySegment;

/**
 * One batch handed out by {@link BatchLoader#next()}, living in one slot of the loader's ring of native staging
 * buffers.
 *
 * <p><b>Contract:</b> the tensors from {@link #images(int)} and {@link #labels()} alias the staging slot (no copy).
 * They are valid until {@link #close()} is called or the consumer calls {@link BatchLoader#next()} again (which
 * releases this batch), whichever comes first; after that a worker refills the slot. {@code clone()} a tensor to keep
 * it longer, and don't let autograd save it past the release (it is an input, so normally it is not saved after the
 * step's backward). Create the tensors inside the step's {@code StepScope}: the wrappers are then released with it.
 */
public final class StagedBatch implements AutoCloseable {
    private final BatchLoader loader;
    private final int slot;
    private final long index;
    private final long epoch;
    private final int size;
    private final int[] datasetIndices;
    private final MemorySegment[] views;
    private final long[][] viewShapes;
    private final MemorySegment labels;
    private volatile boolean released;

    StagedBatch(BatchLoader loader, int slot, long index, long epoch, int size, int[] datasetIndices,
                MemorySegment[] views, long[][] viewShapes, MemorySegment labels) {
        this.loader = loader;
        this.slot = slot;
        this.index = index;
        this.epoch = epoch;
        this.size = size;
        this.datasetIndices = datasetIndices;
        this.views = views;
        this.viewShapes = viewShapes;
        this.labels = labels;
    }

    /** The batch's position in the loader's sequence (0-based, counting across epochs). */
    public long index() {
        return index;
    }

    /** The epoch this batch belongs to (0-based). */
    public long epoch() {
        return epoch;
    }

    /** Number of images B (smaller than the batch size only for a final partial batch when dropLast is off). */
    public int size() {
        return size;
    }

    /** The data set indices of the images, in batch order (a copy). */
    public int[] datasetIndices() {
        return datasetIndices.clone();
    }

    /** Number of views (output pipelines). */
    public int views() {
        return views.length;
    }

    /** The images of view {@code view} as float32 {@code [B, C, H, W]}, aliasing the staging slot (see contract). */
    public Tensor images(int view) {
        checkValid();
        return NativeMemory.wrap(views[view], viewShapes[view], torch.ScalarType.Float);
    }

    /** The labels as int64 {@code [B]}, aliasing the staging slot (see contract). */
    public Tensor labels() {
        checkValid();
        return NativeMemory.wrap(labels, new long[]{size}, torch.ScalarType.Long);
    }

    /** Returns the slot to the loader; the tensors become invalid. Idempotent. */
    @Override
    public void close() {
        if (released) return;
        released = true;
        loader.release(slot, index);
    }

    private void checkValid() {
        if (released)
            throw new IllegalStateException("batch " + index + " was released (next() was called or it was closed); "
                    + "its staging buffer is being reused");
    }
}
