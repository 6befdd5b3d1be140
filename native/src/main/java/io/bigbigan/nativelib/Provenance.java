package io.bigbigan.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Properties;

/**
 * Which program wrote a file, and when: the bigbigan version, the native library versions, the time, the Java runtime
 * and the operating system. Checkpoints record it in their metadata ({@link #putInto}); {@code inspect} shows it.
 * Every part may be unknown (null) in files written before it was recorded; {@link #of} never fails on them.
 *
 * <p>The write time honours {@code SOURCE_DATE_EPOCH} (seconds since 1970, the reproducible-builds convention) when
 * it is set, so that the same state written twice gives the same bytes; otherwise it is the current time, to the
 * second.
 *
 * @param bigbigan  the project version that wrote the file ({@value #BIGBIGAN_KEY}), e.g. {@code 0.1.0-SNAPSHOT}
 * @param libraries the LibTorch and JavaCPP preset versions ({@link LibraryVersions}; also older files' joined one)
 * @param writtenAt when the file was written ({@value #WRITTEN_AT_KEY}, ISO-8601 UTC)
 * @param java      the Java runtime ({@value #JAVA_KEY}): version and vendor
 * @param os        the operating system ({@value #OS_KEY}): name, version and architecture
 */
public record Provenance(String bigbigan, LibraryVersions libraries, Instant writtenAt, String java, String os) {
    /** Metadata key of the project version. */
    public static final String BIGBIGAN_KEY = "bigbigan_version";
    /** Metadata key of the write time. */
    public static final String WRITTEN_AT_KEY = "written_at";
    /** Metadata key of the Java runtime. */
    public static final String JAVA_KEY = "java";
    /** Metadata key of the operating system. */
    public static final String OS_KEY = "os";

    private static final String VERSION = readVersion();

    /** This program's version (from the build), or {@code ?} when the classes were not built by Maven. */
    public static String projectVersion() {
        return VERSION;
    }

    /** What writes a file now, from this process. */
    public static Provenance current() {
        return new Provenance(VERSION, LibraryVersions.current(), now(System.getenv("SOURCE_DATE_EPOCH")),
                System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
                        + System.getProperty("os.arch") + ")");
    }

    /** {@code SOURCE_DATE_EPOCH} when set to a whole number of seconds, else the current time to the second. */
    static Instant now(String sourceDateEpoch) {
        if (sourceDateEpoch != null && !sourceDateEpoch.isBlank()) {
            try {
                return Instant.ofEpochSecond(Long.parseLong(sourceDateEpoch.strip()));
            } catch (NumberFormatException | DateTimeException e) {
                // not a number of seconds: ignored, as build tools do
            }
        }
        return Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    /** The provenance named in file metadata; parts the file does not record (or records unreadably) are null. */
    public static Provenance of(Map<String, String> metadata) {
        Instant at = null;
        String written = metadata.get(WRITTEN_AT_KEY);
        if (written != null) {
            try {
                at = Instant.parse(written);
            } catch (DateTimeException e) {
                at = null;
            }
        }
        return new Provenance(metadata.get(BIGBIGAN_KEY), LibraryVersions.of(metadata), at, metadata.get(JAVA_KEY),
                metadata.get(OS_KEY));
    }

    /** Writes the known parts into {@code metadata}: the library versions ({@link LibraryVersions#putInto}), then the rest. */
    public void putInto(Map<String, String> metadata) {
        if (libraries != null) libraries.putInto(metadata);
        if (bigbigan != null) metadata.put(BIGBIGAN_KEY, bigbigan);
        if (writtenAt != null) metadata.put(WRITTEN_AT_KEY, writtenAt.toString());
        if (java != null) metadata.put(JAVA_KEY, java);
        if (os != null) metadata.put(OS_KEY, os);
    }

    private static String readVersion() {
        try (InputStream in = Provenance.class.getResourceAsStream("build.properties")) {
            if (in == null) return "?";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "?").strip();
            return v.isEmpty() || v.startsWith("${") ? "?" : v;    // unfiltered: not built by Maven
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the build's version (build.properties): " + e.getMessage(), e);
        }
    }
}
