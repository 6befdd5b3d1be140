package io.bigbigan.nativelib;

import java.util.Map;

/**
 * The native library versions a file was written with, as stored in checkpoint and bundle metadata: LibTorch's
 * own version and the version of the JavaCPP preset that wraps it, named separately. The {@code org.bytedeco:pytorch}
 * jar's version joins them ({@code 2.10.0-1.5.13}: LibTorch 2.10.0, preset 1.5.13); files written before the split
 * hold only that joined value under {@value #LEGACY_KEY}, which {@link #of(Map)} still reads.
 *
 * @param libtorch LibTorch version, e.g. {@code 2.10.0}
 * @param preset   JavaCPP preset (org.bytedeco) version, e.g. {@code 1.5.13}; {@code ?} when unknown
 */
public record LibraryVersions(String libtorch, String preset) {
    /** Metadata key of the LibTorch version. */
    public static final String LIBTORCH_KEY = "libtorch";
    /** Metadata key of the JavaCPP preset version. */
    public static final String PRESET_KEY = "javacpp_preset";
    /** Metadata key of the joined jar version written by older builds. */
    public static final String LEGACY_KEY = "pytorch";

    /** The versions this process runs ({@link Torch#info()}). */
    public static LibraryVersions current() {
        return ofJar(Torch.info().pytorchVersion());
    }

    /** Splits an {@code org.bytedeco:pytorch} jar version {@code LIBTORCH-PRESET} (no dash: LibTorch only). */
    public static LibraryVersions ofJar(String jarVersion) {
        int dash = jarVersion.indexOf('-');
        return dash < 0 ? new LibraryVersions(jarVersion, "?")
                : new LibraryVersions(jarVersion.substring(0, dash), jarVersion.substring(dash + 1));
    }

    /** The versions named in file metadata (the separate keys, else the legacy joined one), or null when absent. */
    public static LibraryVersions of(Map<String, String> metadata) {
        String lt = metadata.get(LIBTORCH_KEY);
        if (lt != null) return new LibraryVersions(lt, metadata.getOrDefault(PRESET_KEY, "?"));
        String legacy = metadata.get(LEGACY_KEY);
        return legacy == null ? null : ofJar(legacy);
    }

    /** Writes the two keys into {@code metadata}, removing the legacy joined one. */
    public void putInto(Map<String, String> metadata) {
        metadata.remove(LEGACY_KEY);
        metadata.put(LIBTORCH_KEY, libtorch);
        metadata.put(PRESET_KEY, preset);
    }
}
