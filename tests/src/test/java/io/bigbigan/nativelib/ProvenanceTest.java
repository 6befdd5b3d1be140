package io.bigbigan.nativelib;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProvenanceTest {
    /** The build fills in the project version (build.properties is filtered). */
    @Test
    void theProjectVersionComesFromTheBuild() {
        assertTrue(Provenance.projectVersion().matches("\\d+\\.\\d+\\.\\d+.*"), Provenance.projectVersion());
    }

    /** SOURCE_DATE_EPOCH, when set to seconds, is the write time (reproducible files); otherwise now. */
    @Test
    void writeTimeHonoursSourceDateEpoch() {
        assertEquals(Instant.ofEpochSecond(1_700_000_000L), Provenance.now("1700000000"));
        for (String unset : new String[]{null, "", "soon"}) {
            Instant t = Provenance.now(unset);
            assertTrue(Math.abs(t.getEpochSecond() - Instant.now().getEpochSecond()) < 60, t.toString());
            assertEquals(0, t.getNano());
        }
    }

    @Test
    void writtenKeysReadBack() {
        var p = new Provenance("1.2.3", new LibraryVersions("2.10.0", "1.5.13"), Instant.ofEpochSecond(5),
                "25 (Vendor)", "Linux 6 (amd64)");
        Map<String, String> m = new LinkedHashMap<>();
        m.put("pytorch", "2.9.0-1.5.12");                       // an older file's joined version is replaced
        p.putInto(m);
        assertEquals(List.of("libtorch", "javacpp_preset", "bigbigan_version", "written_at", "java", "os"),
                List.copyOf(m.keySet()));
        assertEquals("1970-01-01T00:00:05Z", m.get("written_at"));
        assertEquals(p, Provenance.of(m));
        assertEquals(new Provenance(null, null, null, null, null), Provenance.of(Map.of()));
    }
}
