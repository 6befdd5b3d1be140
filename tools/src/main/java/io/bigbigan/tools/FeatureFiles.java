package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.Tensors;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Feature files written by {@code bigbigan encode}, atomically, chosen by extension:
 * <ul>
 *   <li>{@code .npy}: float32 [N, D] (NumPy format 1.0), plus {@code <name>.ids.csv} beside it ({@code row,id,label});</li>
 *   <li>{@code .safetensors}: tensor {@code features} F32 [N, D], {@code labels} I64 [N] when known; the ids as a JSON
 *       array in the metadata key {@code ids}, with {@code feature} (the kind), {@code model} and {@code preset};</li>
 *   <li>{@code .csv}: header {@code id,label,f0,...}, one row per image ({@code label} empty when unknown).</li>
 * </ul>
 */
final class FeatureFiles {
    private FeatureFiles() {}

    /** Supported extensions. */
    static final List<String> EXTENSIONS = List.of(".npy", ".safetensors", ".csv");

    /** The format of {@code out}; rejects other extensions. */
    static String formatOf(Path out) {
        String n = out.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String e : EXTENSIONS) if (n.endsWith(e)) return e.substring(1);
        throw new OptionException("--out " + out + ": expected a .npy, .safetensors or .csv file");
    }

    /**
     * Writes the features.
     *
     * @param labels one per row, or null when unknown
     */
    static void write(Path out, float[][] features, List<String> ids, int[] labels, Map<String, String> meta) {
        int n = features.length, d = n == 0 ? 0 : features[0].length;
        try {
            switch (formatOf(out)) {
                case "npy" -> {
                    AtomicFiles.writeStream(out, os -> writeNpy(os, features, n, d));
                    Path side = out.resolveSibling(out.getFileName().toString().replaceAll("(?i)\\.npy$", "") + ".ids.csv");
                    AtomicFiles.writeStream(side, os -> {
                        StringBuilder sb = new StringBuilder("row,id,label\n");
                        for (int i = 0; i < n; i++)
                            sb.append(i).append(',').append(csv(ids.get(i))).append(',')
                                    .append(labels == null ? "" : Integer.toString(labels[i])).append('\n');
                        os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                    });
                }
                case "safetensors" -> {
                    float[] flat = new float[n * d];
                    for (int i = 0; i < n; i++) System.arraycopy(features[i], 0, flat, i * d, d);
                    Map<String, org.bytedeco.pytorch.Tensor> t = new LinkedHashMap<>();
                    t.put("features", Tensors.of(flat, n, d));
                    if (labels != null) {
                        long[] l = new long[n];
                        for (int i = 0; i < n; i++) l[i] = labels[i];
                        t.put("labels", Tensors.ofLongs(l, n));
                    }
                    Map<String, String> m = new LinkedHashMap<>(meta);
                    m.put("ids", new ObjectMapper().writeValueAsString(ids));
                    Safetensors.write(out, t, m);
                }
                default -> writeCsv(out, java.util.stream.IntStream.range(0, d).mapToObj(j -> "f" + j).toList(), ids,
                        labels, (i, sb) -> {
                            for (float v : features[i]) sb.append(',').append(v);
                        });
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    /** NumPy .npy version 1.0: magic, header dict padded so the data starts 64-byte aligned, little-endian float32. */
    private static void writeNpy(OutputStream os, float[][] features, int n, int d) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ", " + d + "), }";
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        os.write(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        os.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) header.length()).array());
        os.write(header.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer row = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] f : features) {
            row.clear();
            for (float v : f) row.putFloat(v);
            os.write(row.array());
        }
    }

    /** Appends row {@code i}'s values to a CSV line, each after a comma. */
    @FunctionalInterface
    interface RowValues {
        void append(int i, StringBuilder line);
    }

    /**
     * Writes a CSV table atomically: header {@code id,label,<columns>}, then one line per id ({@code label} empty when
     * {@code labels} is null) ending in the values {@code values} appends; written in chunks of about 64 KiB.
     */
    static void writeCsv(Path out, List<String> columns, List<String> ids, int[] labels, RowValues values)
            throws IOException {
        AtomicFiles.writeStream(out, os -> {
            StringBuilder sb = new StringBuilder("id,label");
            for (String c : columns) sb.append(',').append(c);
            sb.append('\n');
            for (int i = 0; i < ids.size(); i++) {
                sb.append(csv(ids.get(i))).append(',').append(labels == null ? "" : Integer.toString(labels[i]));
                values.append(i, sb);
                sb.append('\n');
                if (sb.length() > 1 << 16) {
                    os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                    sb.setLength(0);
                }
            }
            os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        });
    }

    /** {@code s} as one CSV field: quoted when it holds a comma, a quote or a line break. */
    static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
