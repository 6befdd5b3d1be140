package io.bigbigan.bindings;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bigbigan.nativelib.NativeMemory;
import io.bigbigan.nativelib.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format of the PyTorch
 * ecosystem, so that checkpoints can be exchanged with Python ({@code safetensors.torch.load_file}).
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code N}, {@code N} bytes of UTF-8 JSON
 * {@code {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}},
 * then the little-endian data buffer. Offsets are relative to the data buffer, which tensors fill completely and
 * without overlap. Written files list tensors in map order and pad the header with spaces so that the data starts
 * 8-byte aligned.
 *
 * <p>Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL. Every error is a {@link SafetensorsException}
 * whose message starts with the file's path.
 */
public final class Safetensors {
    /** The reserved header key of the string-to-string metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    /** Same bound as the reference implementation: a larger header is treated as corrupt. */
    private static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Tensor bytes are handed to the file channel in slices of at most this size (ByteBuffers are int-indexed). */
    private static final long WRITE_CHUNK = 1L << 30;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Safetensors() {}

    /** The safetensors name of a LibTorch scalar type (F32, BOOL, ...), or LibTorch's own name for the others. */
    public static String dtypeName(torch.ScalarType t) {
        DType d = DType.of(t);
        return d != null ? d.name() : t.intern().name();
    }

    /** The safetensors dtype names and their LibTorch scalar types. */
    private enum DType {
        F64(torch.ScalarType.Double), F32(torch.ScalarType.Float), F16(torch.ScalarType.Half),
        BF16(torch.ScalarType.BFloat16), I64(torch.ScalarType.Long), I32(torch.ScalarType.Int),
        I16(torch.ScalarType.Short), I8(torch.ScalarType.Char), U8(torch.ScalarType.Byte), BOOL(torch.ScalarType.Bool);

        final torch.ScalarType scalarType;
        final int size;

        DType(torch.ScalarType scalarType) {
            this.scalarType = scalarType;
            this.size = NativeMemory.elementSize(scalarType);
        }

        /** {@code t} may be a fresh instance from native code: compare its interned constant. */
        static DType of(torch.ScalarType t) {
            torch.ScalarType canonical = t.intern();
            for (DType d : values()) if (d.scalarType == canonical) return d;
            return null;
        }

        static DType named(String name) {
            for (DType d : values()) if (d.name().equals(name)) return d;
            return null;
        }
    }

    /** One header entry; {@code begin}/{@code end} are relative to the data buffer. */
    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        String describe() {
            return dtype + " " + Arrays.toString(shape);
        }
    }

    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    // ------------------------------------------------------------------------------------------------------ write

    /**
     * Writes {@code tensors} (in the map's iteration order) and {@code metadata} to {@code file}, atomically
     * (see {@link AtomicFiles}): on failure an existing file is left untouched and no temporary file remains.
     *
     * <p>Tensors may live on any device and be non-contiguous views; each is copied to contiguous CPU memory one at a
     * time and streamed from native memory into the file.
     *
     * @param metadata string map stored as {@code __metadata__}; {@code null} or empty writes none
     * @throws SafetensorsException for an unsupported dtype, an undefined tensor, the reserved name
     *                              {@code __metadata__}, or an I/O failure
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Torch.load();
        requireLittleEndianHost(file);
        List<Map.Entry<String, Tensor>> items = new ArrayList<>(tensors.entrySet());
        List<Entry> entries = new ArrayList<>(items.size());
        long offset = 0;
        for (Map.Entry<String, Tensor> item : items) {
            Entry e = describe(file, item.getKey(), item.getValue(), offset);
            entries.add(e);
            offset = e.end;
        }
        byte[] header = headerBytes(file, entries, metadata == null ? Map.of() : metadata);
        try {
            AtomicFiles.write(file, ch -> {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                AtomicFiles.writeFully(ch, prefix);
                AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
                for (int i = 0; i < entries.size(); i++) writeData(ch, items.get(i).getValue(), entries.get(i));
            });
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot write: " + reason(e), e);
        }
    }

    private static Entry describe(Path file, String name, Tensor t, long offset) {
        if (name == null) throw new SafetensorsException(file + ": a tensor name is null");
        if (name.equals(METADATA_KEY))
            throw new SafetensorsException(file + ": '" + METADATA_KEY + "' is reserved and cannot name a tensor");
        if (t == null || t.isNull() || !t.defined())
            throw new SafetensorsException(file + ": tensor '" + name + "' is null or undefined");
        DType dtype = DType.of(t.scalar_type());
        if (dtype == null)
            throw new SafetensorsException(file + ": tensor '" + name + "' has dtype " + t.scalar_type()
                    + "; supported: " + Arrays.toString(DType.values()));
        long[] shape = t.sizes().vec().get();
        long bytes = t.numel() * dtype.size;
        return new Entry(name, dtype, shape, offset, offset + bytes);
    }

    private static byte[] headerBytes(Path file, List<Entry> entries, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            metadata.forEach((k, v) -> {
                if (k == null || v == null)
                    throw new SafetensorsException(file + ": metadata keys and values must not be null (key " + k + ")");
                meta.put(k, v);
            });
        }
        for (Entry e : entries) {
            ObjectNode node = root.putObject(e.name);
            node.put("dtype", e.dtype.name());
            ArrayNode shape = node.putArray("shape");
            for (long s : e.shape) shape.add(s);
            node.putArray("data_offsets").add(e.begin).add(e.end);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JacksonException e) {
            throw new SafetensorsException(file + ": cannot encode the header: " + e.getOriginalMessage(), e);
        }
        int padded = json.length + (8 - (8 + json.length) % 8) % 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    /** Streams one tensor's bytes from (contiguous CPU) native memory into the channel. */
    @SuppressWarnings({"try", "restricted"})   // the scope only releases wrappers; the address is a live tensor's
    private static void writeData(FileChannel ch, Tensor t, Entry e) throws IOException {
        long bytes = e.end - e.begin;
        if (bytes == 0) return;
        try (StepScope ignored = StepScope.open()) {
            Tensor c = t.detach().cpu().contiguous();
            MemorySegment src = MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(bytes);
            for (long off = 0; off < bytes; off += WRITE_CHUNK)
                AtomicFiles.writeFully(ch, src.asSlice(off, Math.min(WRITE_CHUNK, bytes - off)).asByteBuffer());
        }
    }

    // ------------------------------------------------------------------------------------------------------- read

    /**
     * Reads every tensor and the metadata of a safetensors file. The file is memory-mapped; each tensor is copied off
     * the mapping into a CPU tensor that owns its memory, so the mapping is released before this returns. (Like every
     * tensor, the returned ones belong to the {@link StepScope} open on this thread, if any.)
     *
     * @throws SafetensorsException when the file cannot be read or is not a valid safetensors file (short file,
     *                              bad header length, invalid JSON, unknown dtype, offsets inconsistent with the shape,
     *                              outside the data, overlapping, leaving gaps, or followed by trailing bytes)
     */
    public static SafetensorsFile read(Path file) {
        Torch.load();
        requireLittleEndianHost(file);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapped = NativeMemory.mapReadOnly(file, arena);
            Header h = parseHeader(file, mapped.byteSize(),
                    (off, len) -> mapped.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
            MemorySegment data = mapped.asSlice(h.dataStart);
            for (Entry e : h.entries) tensors.put(e.name, copyOut(data, e, arena));
            return new SafetensorsFile(tensors, h.metadata);
        } catch (IOException e) {
            tensors.values().forEach(Tensor::close);
            throw new SafetensorsException(file + ": cannot read: " + reason(e), e);
        } catch (RuntimeException e) {
            tensors.values().forEach(Tensor::close);
            throw e;
        }
    }

    /**
     * Reads only the {@code __metadata__} map (empty when absent), without touching the tensor data. The header is
     * fully validated against the file's size.
     *
     * @throws SafetensorsException as {@link #read}, for everything that can be checked from the header
     */
    public static Map<String, String> readMetadata(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return parseHeader(file, ch.size(), (off, len) -> {
                ByteBuffer buf = ByteBuffer.allocate(len);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, off + buf.position()) < 0)
                        throw new IOException("unexpected end of file");
                }
                return buf.array();
            }).metadata;
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot read: " + reason(e), e);
        }
    }

    /** A copy of one tensor's bytes as an owned tensor; misaligned data is staged through an aligned buffer. */
    private static Tensor copyOut(MemorySegment data, Entry e, Arena arena) {
        MemorySegment src = data.asSlice(e.begin, e.end - e.begin);
        if (src.address() % e.dtype.size != 0) src = arena.allocate(src.byteSize(), e.dtype.size).copyFrom(src);
        try (Tensor view = NativeMemory.wrap(src, e.shape, e.dtype.scalarType)) {
            return view.clone();
        }
    }

    @FunctionalInterface
    private interface ByteSource {
        byte[] read(long offset, int length) throws IOException;
    }

    private static Header parseHeader(Path file, long fileSize, ByteSource source) throws IOException {
        if (fileSize < 8)
            throw corrupt(file, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
        long n = ByteBuffer.wrap(source.read(0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 0 || n > fileSize - 8)
            throw corrupt(file, "header length " + Long.toUnsignedString(n) + " exceeds the " + (fileSize - 8)
                    + " bytes after the length prefix");
        if (n > MAX_HEADER_BYTES)
            throw corrupt(file, "header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(source.read(8, (int) n))).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(file, "header is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw corrupt(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw corrupt(file, "header is not a JSON object");

        long dataLength = fileSize - 8 - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) metadata = parseMetadata(file, field.getValue());
            else entries.add(parseEntry(file, field.getKey(), field.getValue(), dataLength));
        }
        checkLayout(file, entries, dataLength);
        return new Header(entries, metadata, 8 + n);
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) throw corrupt(file, METADATA_KEY + " is not a JSON object");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            if (!kv.getValue().isTextual())
                throw corrupt(file, METADATA_KEY + " value of '" + kv.getKey() + "' is not a string");
            out.put(kv.getKey(), kv.getValue().textValue());
        }
        return out;
    }

    private static Entry parseEntry(Path file, String name, JsonNode node, long dataLength) {
        String where = "tensor '" + name + "': ";
        if (!node.isObject()) throw corrupt(file, where + "entry is not a JSON object");
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) throw corrupt(file, where + "missing or non-string dtype");
        DType dtype = DType.named(dtypeNode.textValue());
        if (dtype == null)
            throw corrupt(file, where + "unknown dtype '" + dtypeNode.textValue() + "'; supported: "
                    + Arrays.toString(DType.values()));
        long[] shape = longs(file, where + "shape", node.get("shape"), -1);
        long[] offsets = longs(file, where + "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw corrupt(file, where + "data_offsets " + Arrays.toString(offsets) + " end before they begin");
        if (end > dataLength)
            throw corrupt(file, where + "data_offsets " + Arrays.toString(offsets) + " lie outside the data buffer of "
                    + dataLength + " bytes");
        Entry e = new Entry(name, dtype, shape, begin, end);
        long needed;
        try {
            long numel = 1;
            for (long s : shape) numel = Math.multiplyExact(numel, s);
            needed = Math.multiplyExact(numel, dtype.size);
        } catch (ArithmeticException overflow) {
            throw corrupt(file, where + "shape " + Arrays.toString(shape) + " is too large");
        }
        if (end - begin != needed)
            throw corrupt(file, where + "data_offsets " + Arrays.toString(offsets) + " hold " + (end - begin)
                    + " bytes, but " + e.describe() + " needs " + needed);
        return e;
    }

    /** A JSON array of non-negative integers ({@code count < 0}: any length). */
    private static long[] longs(Path file, String what, JsonNode node, int count) {
        if (node == null || !node.isArray()) throw corrupt(file, what + " is missing or not an array");
        if (count >= 0 && node.size() != count)
            throw corrupt(file, what + " has " + node.size() + " values, expected " + count);
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0)
                throw corrupt(file, what + " holds " + v + ", not a non-negative 64-bit integer");
            out[i] = v.longValue();
        }
        return out;
    }

    /** Tensors must fill the data buffer exactly: no overlap, no gap, nothing after the last one. */
    private static void checkLayout(Path file, List<Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < expected)
                throw corrupt(file, "tensor '" + e.name + "' (bytes " + e.begin + ".." + e.end + ") overlaps tensor '"
                        + previous.name + "' (bytes " + previous.begin + ".." + previous.end + ")");
            if (e.begin > expected)
                throw corrupt(file, "gap of " + (e.begin - expected) + " unused bytes before tensor '" + e.name
                        + "' at data offset " + expected);
            expected = e.end;
            previous = e;
        }
        if (expected != dataLength)
            throw corrupt(file, "trailing garbage: " + (dataLength - expected) + " bytes after the last tensor's data");
    }

    // ----------------------------------------------------------------------------------------------------- shared

    private static SafetensorsException corrupt(Path file, String reason) {
        return new SafetensorsException(file + ": " + reason);
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }

    /** Safetensors data is little-endian; tensors are copied byte for byte, which is only right on such hosts. */
    private static void requireLittleEndianHost(Path file) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new SafetensorsException(file + ": big-endian hosts are not supported");
    }
}
