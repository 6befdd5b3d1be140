package io.bigbigan.trainer.data;

import io.bigbigan.nativelib.NativeMemory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads labelled images in the IDX format of MNIST and Fashion-MNIST: a big-endian header (magic
 * {@code 0x00000803} and dimensions N, rows, cols for images; magic {@code 0x00000801} and N for labels) followed by
 * uint8 data. Files ending in {@code .gz} are decompressed while streaming into native memory; other files are
 * memory-mapped and their pixel block is used in place, without any copy.
 *
 * <p>Every problem (missing, empty, not gzip, bad magic, implausible dimensions, truncated, trailing bytes, images
 * and labels disagreeing, labels out of range) is a {@link DataException} whose message starts with the file path.
 */
public final class IdxReader {
    /** Magic number of an IDX file of uint8 values in 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an IDX file of uint8 values in 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int MAX_SIDE = 4096;
    private static final int CHUNK = 1 << 20;
    /** Deflate expands at most ~1032:1, so a .gz file cannot hold more than this many times its size. */
    private static final long MAX_DEFLATE_RATIO = 1100;
    private static final ValueLayout.OfInt BIG_ENDIAN_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private IdxReader() {}

    /** The data block of one IDX file: its dimensions and its {@code product(dims)} bytes. */
    private record Idx(int[] dims, MemorySegment data) {}

    /**
     * Reads an images file and its labels file into one data set of shape {@code [N, 1, rows, cols]}.
     *
     * @param name       the data set's name, e.g. {@code fashion-mnist/train}
     * @param images     IDX images file, raw or {@code .gz}
     * @param labels     IDX labels file, raw or {@code .gz}, with as many entries as {@code images}
     * @param classNames class names indexed by label; every label must be smaller than their count
     * @throws DataException naming the file and the problem
     */
    public static ImageDataset read(String name, Path images, Path labels, List<String> classNames) {
        if (classNames.isEmpty()) throw new IllegalArgumentException(name + ": no class names");
        Arena arena = Arena.ofShared();
        try {
            Idx img = readIdx(images, IMAGES_MAGIC, arena);
            MemorySegment labels64;
            try (Arena scratch = Arena.ofConfined()) {
                Idx lab = readIdx(labels, LABELS_MAGIC, scratch);
                if (lab.dims[0] != img.dims[0])
                    throw new DataException(images + ": has " + img.dims[0] + " images but " + labels + " has "
                            + lab.dims[0] + " labels");
                labels64 = widenLabels(labels, lab.data, classNames.size(), arena);
            }
            return new ImageDataset(name, arena, img.data, labels64, img.dims[0], 1, img.dims[1], img.dims[2],
                    classNames);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Copies uint8 labels into an int64 segment, checking that each is a valid class index. */
    private static MemorySegment widenLabels(Path path, MemorySegment bytes, int numClasses, Arena arena) {
        long n = bytes.byteSize();
        MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG, n);
        for (long i = 0; i < n; i++) {
            int label = Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, i));
            if (label >= numClasses)
                throw new DataException(path + ": label " + label + " at index " + i + " is out of range for "
                        + numClasses + " classes (0.." + (numClasses - 1) + ")");
            out.setAtIndex(ValueLayout.JAVA_LONG, i, label);
        }
        return out;
    }

    private static Idx readIdx(Path path, int magic, Arena arena) {
        if (!Files.exists(path)) throw new DataException(path + ": file not found");
        if (!Files.isRegularFile(path)) throw new DataException(path + ": not a regular file");
        try {
            long length = Files.size(path);
            if (length == 0) throw new DataException(path + ": empty file (0 bytes), expected an IDX " + kind(magic)
                    + " file");
            return isGzip(path) ? readGzip(path, length, magic, arena) : readMapped(path, length, magic, arena);
        } catch (IOException e) {
            throw new DataException(path + ": cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + ")", e);
        }
    }

    private static Idx readMapped(Path path, long length, int magic, Arena arena) throws IOException {
        MemorySegment file = NativeMemory.mapReadOnly(path, arena);
        int headerBytes = headerBytes(magic);
        int[] dims = parseHeader(path, file.asSlice(0, Math.min(length, headerBytes)), magic, false);
        long expected = payloadBytes(dims);
        checkPayloadLength(path, magic, dims, length - headerBytes);
        return new Idx(dims, file.asSlice(headerBytes, expected));
    }

    private static Idx readGzip(Path path, long length, int magic, Arena arena) throws IOException {
        try (InputStream in = openGzip(path)) {
            int headerBytes = headerBytes(magic);
            byte[] header = new byte[headerBytes];
            int got = readGzipBytes(path, in, header, headerBytes, 0);
            int[] dims = parseHeader(path, MemorySegment.ofArray(header).asSlice(0, got), magic, true);
            long expected = payloadBytes(dims);
            if (expected > MAX_DEFLATE_RATIO * length)
                throw new DataException(path + ": truncated: header says " + describe(magic, dims)
                        + " but a " + length + "-byte gzip file cannot hold that much");
            // Stream through one bounded chunk buffer straight into the native segment.
            MemorySegment data = arena.allocate(expected, 64);
            byte[] chunk = new byte[(int) Math.min(CHUNK, expected)];
            long done = 0;
            while (done < expected) {
                int want = (int) Math.min(chunk.length, expected - done);
                int n = readGzipBytes(path, in, chunk, want, headerBytes + done);
                MemorySegment.copy(chunk, 0, data, ValueLayout.JAVA_BYTE, done, n);
                done += n;
                if (n < want) break;
            }
            long extra = done < expected ? 0 : skipRest(path, in, headerBytes + done);
            checkPayloadLength(path, magic, dims, done + extra);
            return new Idx(dims, data);
        }
    }

    private static InputStream openGzip(Path path) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (ZipException e) {
            raw.close();
            throw new DataException(path + ": not a gzip file (" + e.getMessage() + "), though its name ends in .gz");
        } catch (IOException e) {
            raw.close();
            throw new DataException(path + ": gzip header is truncated (" + e + ")", e);
        }
    }

    /** Reads up to {@code n} decompressed bytes into {@code buf}; fewer only at the end of the stream. */
    private static int readGzipBytes(Path path, InputStream in, byte[] buf, int n, long offset) {
        try {
            return in.readNBytes(buf, 0, n);
        } catch (IOException e) {
            throw new DataException(path + ": corrupt or truncated gzip data after about " + offset
                    + " decompressed bytes (" + e.getMessage() + ")", e);
        }
    }

    private static long skipRest(Path path, InputStream in, long offset) {
        try {
            return in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new DataException(path + ": corrupt gzip data after " + offset + " decompressed bytes ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Checks magic, header length and dimensions; returns the dimensions. */
    private static int[] parseHeader(Path path, MemorySegment header, int magic, boolean gzip) {
        int headerBytes = headerBytes(magic);
        String size = (gzip ? "decompresses to " : "") + header.byteSize() + " bytes, an IDX " + kind(magic)
                + " header has " + headerBytes;
        if (header.byteSize() < 4) throw new DataException(path + ": truncated header: " + size);
        int found = header.get(BIG_ENDIAN_INT, 0);
        if (found != magic) {
            String hint = "";
            if (!gzip && (found >>> 16) == 0x1f8b) hint = "; the file looks gzip-compressed, name it *.gz";
            else if (found == IMAGES_MAGIC || found == LABELS_MAGIC) hint = "; this is an IDX " + kind(found) + " file";
            throw new DataException(path + String.format(Locale.ROOT,
                    ": bad magic number 0x%08x, expected 0x%08x (IDX uint8 %s)%s", found, magic, kind(magic), hint));
        }
        if (header.byteSize() < headerBytes) throw new DataException(path + ": truncated header: " + size);
        String[] names = magic == IMAGES_MAGIC ? new String[]{"image count", "rows", "cols"}
                : new String[]{"label count"};
        int[] dims = new int[names.length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = header.get(BIG_ENDIAN_INT, 4 + 4L * i);
            boolean sane = dims[i] > 0 && (i == 0 || dims[i] <= MAX_SIDE);
            if (!sane)
                throw new DataException(path + ": implausible " + names[i] + " in header: "
                        + Integer.toUnsignedString(dims[i])
                        + (i == 0 ? " (must be positive)" : " (image sides must be 1.." + MAX_SIDE + ")"));
        }
        return dims;
    }

    private static void checkPayloadLength(Path path, int magic, int[] dims, long actual) {
        long expected = payloadBytes(dims);
        if (actual < expected)
            throw new DataException(path + ": truncated: header says " + describe(magic, dims) + " but only "
                    + actual + " bytes follow");
        if (actual > expected)
            throw new DataException(path + ": trailing bytes: header says " + describe(magic, dims) + " but "
                    + actual + " bytes follow (" + (actual - expected) + " extra)");
    }

    private static long payloadBytes(int[] dims) {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    private static int headerBytes(int magic) {
        return 4 + 4 * (magic & 0xff);
    }

    private static String kind(int magic) {
        return magic == IMAGES_MAGIC ? "images" : "labels";
    }

    /** E.g. "60000 images of 28x28 (47040000 bytes)" or "60000 labels (60000 bytes)". */
    private static String describe(int magic, int[] dims) {
        String what = magic == IMAGES_MAGIC ? dims[0] + " images of " + dims[1] + "x" + dims[2] : dims[0] + " labels";
        return what + " (" + payloadBytes(dims) + " bytes)";
    }

    private static boolean isGzip(Path path) {
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
    }
}
