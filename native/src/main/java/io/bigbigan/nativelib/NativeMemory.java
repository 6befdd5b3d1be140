package io.bigbigan.nativelib;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Panama (java.lang.foreign) memory handed to LibTorch without copying through Java arrays: memory-mapped files and
 * native staging buffers become tensors that alias the segment.
 *
 * <p>Lifetime: a tensor from {@link #wrap} does not own its memory. It (and every view of it) is valid only while the
 * segment's arena is open; {@code clone()} it to get a tensor that owns a copy.
 */
public final class NativeMemory {
    private NativeMemory() {}

    /** A JavaCPP pointer at a segment's address (JavaCPP's address fields are protected). */
    private static final class SegmentPointer extends Pointer {
        SegmentPointer(MemorySegment segment) {
            address = segment.address();
            capacity = segment.byteSize();
            limit = segment.byteSize();
        }
    }

    /** Memory-maps a whole file read-only into {@code arena}. */
    public static MemorySegment mapReadOnly(Path file, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    /**
     * Wraps {@code segment} (at least {@code numel(shape) * elementSize} bytes, native byte order) as a CPU tensor of
     * {@code dtype} without copying. Writes to either side are seen by the other.
     */
    public static Tensor wrap(MemorySegment segment, long[] shape, torch.ScalarType dtype) {
        Torch.load();
        long numel = 1;
        for (long s : shape) numel *= s;
        long bytes = numel * elementSize(dtype);
        if (segment.byteSize() < bytes)
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is smaller than the "
                    + bytes + " bytes of the requested tensor");
        return torch.from_blob(new SegmentPointer(segment), shape, new TensorOptions(dtype));
    }

    /** Bytes per element of the dtypes the project stores. */
    public static int elementSize(torch.ScalarType dtype) {
        return switch (dtype) {
            case Byte, Char, Bool -> 1;
            case Short, Half, BFloat16 -> 2;
            case Int, Float -> 4;
            case Long, Double -> 8;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
    }
}
