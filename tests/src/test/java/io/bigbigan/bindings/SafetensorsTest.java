package io.bigbigan.bindings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class SafetensorsTest {
    @TempDir
    Path dir;

    private static Tensor floats(long[] shape, float... v) {
        return Tensors.of(v, shape);
    }

    /** Every supported dtype, a scalar, an empty tensor and a transposed (non-contiguous) view. */
    private static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        Tensor base = floats(new long[]{3, 4}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        m.put("f32", base.mul(Tensors.scalar(0.1)));
        m.put("f64", floats(new long[]{2}, 1e-3f, -7.25f).to(torch.ScalarType.Double).div(Tensors.scalar(3)));
        m.put("f16", floats(new long[]{3}, 0.5f, -1.25f, 1024f).to(torch.ScalarType.Half));
        m.put("bf16", floats(new long[]{2, 2}, 1, -2, 3.5f, 1e10f).to(torch.ScalarType.BFloat16));
        m.put("i64", Tensors.ofLongs(new long[]{Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 2, 2));
        m.put("i32", floats(new long[]{2, 1}, -123456, 7).to(torch.ScalarType.Int));
        m.put("i16", floats(new long[]{3}, -32768, 0, 32767).to(torch.ScalarType.Short));
        m.put("i8", floats(new long[]{4}, -128, -1, 1, 127).to(torch.ScalarType.Char));
        m.put("u8", Tensors.ofBytes(new byte[]{0, 1, (byte) 200, (byte) 255}, 4));
        m.put("bool", floats(new long[]{1, 3}, 1, 0, 1).to(torch.ScalarType.Bool));
        m.put("scalar", floats(new long[]{}, 3.5f));
        m.put("empty", Tensors.zeros(0, 3));
        m.put("transposed", base.t());
        return m;
    }

    @Test
    void roundTripKeepsOrderDtypesShapesValuesAndMetadata() {
        Path file = dir.resolve("model.safetensors");
        Map<String, Tensor> in = sample();
        assertTrue(!in.get("transposed").is_contiguous());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("step", "1200");
        meta.put("note", "ünïcode ✓");

        Safetensors.write(file, in, meta);
        SafetensorsFile out = Safetensors.read(file);

        assertEquals(List.copyOf(in.keySet()), List.copyOf(out.tensors().keySet()));
        assertEquals(meta, out.metadata());
        assertEquals(meta, Safetensors.readMetadata(file));
        for (var e : in.entrySet()) {
            Tensor got = out.tensors().get(e.getKey());
            assertEquals(e.getValue().scalar_type().intern(), got.scalar_type().intern(), e.getKey());
            assertArrayEquals(Tensors.shape(e.getValue()), Tensors.shape(got), e.getKey());
            assertTrue(torch.equal(e.getValue(), got), e.getKey() + " values differ");
        }
        assertEquals(0, Tensors.shape(out.tensors().get("scalar")).length);
        assertEquals(3.5f, out.tensors().get("scalar").item_float());
        assertArrayEquals(new float[]{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, Tensors.toFloats(out.tensors().get("transposed")));
    }

    @Test
    void headerLayoutIsLengthPrefixedAlignedAndPacked() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("a", floats(new long[]{2}, 1f, 2f));
        in.put("b", Tensors.ofLongs(new long[]{-3}, 1, 1));
        Safetensors.write(file, in, Map.of("format", "pt"));

        byte[] raw = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        assertEquals(0, (8 + n) % 8, "data must start 8-byte aligned");
        assertEquals(8 + n + 8 + 8, raw.length);
        String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        assertTrue(header.substring(header.lastIndexOf('}') + 1).chars().allMatch(c -> c == ' '),
                "padding is trailing spaces only");
        JsonNode json = new ObjectMapper().readTree(header);
        assertEquals(List.of("__metadata__", "a", "b"), json.properties().stream().map(Map.Entry::getKey).toList());
        assertEquals("pt", json.at("/__metadata__/format").asText());
        assertEquals("F32", json.at("/a/dtype").asText());
        assertEquals("[2]", json.at("/a/shape").toString());
        assertEquals("[0,8]", json.at("/a/data_offsets").toString());
        assertEquals("I64", json.at("/b/dtype").asText());
        assertEquals("[1,1]", json.at("/b/shape").toString());
        assertEquals("[8,16]", json.at("/b/data_offsets").toString());
        int data = (int) (8 + n);
        assertEquals(1f, buf.getFloat(data));
        assertEquals(2f, buf.getFloat(data + 4));
        assertEquals(-3L, buf.getLong(data + 8));
    }

    @Test
    void readsAFileWrittenByAnotherTool() throws IOException {
        // Header order differs from data order, no padding: the F32 data lands at an odd (misaligned) address.
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[3,11]},"
                + "\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"I16\",\"shape\":[],\"data_offsets\":[0,2]},"
                + "\"flag\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[2,3]}}";
        ByteBuffer data = ByteBuffer.allocate(11).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) -7).put((byte) 1).putFloat(1.5f).putFloat(-2f);
        Path file = dir.resolve("foreign.safetensors");
        Files.write(file, fileBytes(json, data.array()));
        assertTrue((8 + json.length() + 3) % 4 != 0, "test wants misaligned float data");

        SafetensorsFile f = Safetensors.read(file);
        assertEquals(List.of("w", "b", "flag"), List.copyOf(f.tensors().keySet()));
        assertEquals(Map.of("format", "pt"), f.metadata());
        assertArrayEquals(new float[]{1.5f, -2f}, Tensors.toFloats(f.tensors().get("w")));
        assertEquals(torch.ScalarType.Short, f.tensors().get("b").scalar_type().intern());
        assertEquals(0, f.tensors().get("b").dim());
        assertEquals(-7, Tensors.toLongs(f.tensors().get("b"))[0]);
        assertEquals(torch.ScalarType.Bool, f.tensors().get("flag").scalar_type().intern());
        assertArrayEquals(new long[]{1}, Tensors.toLongs(f.tensors().get("flag")));
    }

    private static byte[] fileBytes(String json, byte[] data) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static final String ONE = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    private void expectCorrupt(byte[] bytes, String reason) throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, bytes);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
        SafetensorsException m = assertThrows(SafetensorsException.class, () -> Safetensors.readMetadata(file));
        assertEquals(e.getMessage(), m.getMessage());
    }

    @Test
    void corruptFilesAreRejectedWithTheFileAndTheReason() throws IOException {
        expectCorrupt(new byte[5], "shorter than the 8-byte header length");
        expectCorrupt(new byte[0], "shorter than the 8-byte header length");
        byte[] huge = fileBytes(ONE, new byte[8]);
        huge[0] = (byte) 0xff;
        huge[7] = (byte) 0x7f;
        expectCorrupt(huge, "exceeds");
        byte[] negative = fileBytes(ONE, new byte[8]);
        negative[7] = (byte) 0x80;
        expectCorrupt(negative, "header length 9223372036854775");
        expectCorrupt(fileBytes("{\"x\": {\"dtype\": ", new byte[0]), "not valid JSON");
        expectCorrupt(fileBytes("[1, 2]", new byte[0]), "not a JSON object");
        expectCorrupt(fileBytes("{} {}", new byte[0]), "not valid JSON");
        expectCorrupt(fileBytes(ONE.replace("F32", "F8_E4M3"), new byte[8]), "tensor 'x': unknown dtype 'F8_E4M3'");
        expectCorrupt(fileBytes(ONE.replace("[2]", "[3]"), new byte[8]),
                "tensor 'x': data_offsets [0, 8] hold 8 bytes, but F32 [3] needs 12");
        expectCorrupt(fileBytes(ONE.replace("[2]", "[-2]"), new byte[8]), "not a non-negative");
        expectCorrupt(fileBytes(ONE.replace("[0,8]", "[8,0]"), new byte[8]), "end before they begin");
        expectCorrupt(fileBytes(ONE, new byte[4]), "outside the data buffer of 4 bytes");
        expectCorrupt(fileBytes(ONE, new byte[12]), "trailing garbage: 4 bytes");
        expectCorrupt(fileBytes(ONE.replace("[0,8]", "[4,12]"), new byte[12]), "gap of 4 unused bytes");
        expectCorrupt(fileBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "tensor 'y' (bytes 4..8) overlaps tensor 'x' (bytes 0..8)");
        expectCorrupt(fileBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "Duplicate field 'x'");
        expectCorrupt(fileBytes("{\"__metadata__\":{\"step\":12}}", new byte[0]), "value of 'step' is not a string");
        expectCorrupt(fileBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[0]), "data_offsets is missing");
    }

    @Test
    void missingFileIsReportedWithItsPath() {
        Path file = dir.resolve("nope.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().startsWith(file + ": cannot read: NoSuchFileException"), e.getMessage());
    }

    @Test
    void invalidInputIsRejectedBeforeAnythingIsWritten() throws IOException {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, Map.of("w", floats(new long[]{1}, 1f)), Map.of());
        byte[] before = Files.readAllBytes(file);

        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> Safetensors.write(file, Map.of("z", floats(new long[]{1}, 1f).to(torch.ScalarType.ComplexFloat)), null));
        assertTrue(e.getMessage().startsWith(file + ": tensor 'z' has dtype ComplexFloat"), e.getMessage());
        e = assertThrows(SafetensorsException.class, () -> Safetensors.write(file, Map.of("u", new Tensor()), null));
        assertTrue(e.getMessage().contains("tensor 'u' is null or undefined"), e.getMessage());
        e = assertThrows(SafetensorsException.class,
                () -> Safetensors.write(file, Map.of("__metadata__", floats(new long[]{1}, 1f)), null));
        assertTrue(e.getMessage().contains("is reserved"), e.getMessage());

        assertArrayEquals(before, Files.readAllBytes(file));
        assertOnlyFiles(file);
    }

    @Test
    void failedWritesLeaveThePreviousFileIntactAndNoTempFile() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Safetensors.write(file, sample(), Map.of("step", "1"));
        byte[] before = Files.readAllBytes(file);

        // The caller's map fails while being iterated.
        Map<String, Tensor> failing = new AbstractMap<>() {
            @Override
            public Set<Entry<String, Tensor>> entrySet() {
                return new AbstractSet<>() {
                    @Override
                    public Iterator<Entry<String, Tensor>> iterator() {
                        return Stream.<Entry<String, Tensor>>generate(() -> {
                            throw new IllegalStateException("iteration failed");
                        }).iterator();
                    }

                    @Override
                    public int size() {
                        return 2;
                    }
                };
            }
        };
        IllegalStateException ise = assertThrows(IllegalStateException.class,
                () -> Safetensors.write(file, failing, Map.of()));
        assertEquals("iteration failed", ise.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertOnlyFiles(file);

        // The final rename fails after all data went to the temp file (the target is a non-empty directory).
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("child"));
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> Safetensors.write(blocked, sample(), Map.of()));
        assertTrue(e.getMessage().startsWith(blocked + ": cannot write: "), e.getMessage());
        assertTrue(Files.isDirectory(blocked.resolve("child")));
        assertOnlyFiles(file, blocked);
        assertEquals(Map.of("step", "1"), Safetensors.read(file).metadata());
    }

    @Test
    void readOnlyDirectoryFailsCleanly() throws IOException {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Path file = ro.resolve("m.safetensors");
        Safetensors.write(file, Map.of("w", floats(new long[]{1}, 1f)), Map.of());
        byte[] before = Files.readAllBytes(file);
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(ro), "permissions are not enforced for this user (root)");
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> Safetensors.write(file, Map.of("w", floats(new long[]{1}, 2f)), Map.of()));
            assertTrue(e.getMessage().startsWith(file + ": cannot write: AccessDeniedException"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file));
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try (Stream<Path> s = Files.list(ro)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void overwritesAnExistingFile() {
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, Map.of("w", floats(new long[]{1}, 1f)), Map.of("v", "1"));
        Safetensors.write(file, Map.of("w", floats(new long[]{2}, 5f, 6f)), Map.of("v", "2"));
        SafetensorsFile f = Safetensors.read(file);
        assertEquals(Map.of("v", "2"), f.metadata());
        assertArrayEquals(new float[]{5f, 6f}, Tensors.toFloats(f.tensors().get("w")));
        assertOnlyFiles(file);
    }

    private void assertOnlyFiles(Path... expected) {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(Set.of(expected), Set.copyOf(s.toList()), "no temporary file may remain");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
