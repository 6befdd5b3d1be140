package io.bigbigan.trainer.checkpoint;

import io.bigbigan.bindings.Safetensors;
import io.bigbigan.nativelib.LibraryVersions;
import io.bigbigan.nativelib.Provenance;
import io.bigbigan.trainer.step.BiganTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The typed checkpoint metadata: every key, old files, the resume checks and their messages. */
class CheckpointMetadataTest {
    private static final Path FILE = Path.of("run/checkpoints/step-00000010.safetensors");
    private static final RunSettings RUN = new RunSettings("synthetic", 3L, true, 64L, 16L, 2);

    @Test
    void writtenMetadataReadsBackEqual() {
        var meta = CheckpointMetadata.current(CheckpointsTest.tiny(), 10, RUN);
        assertEquals(meta, CheckpointMetadata.of(FILE, meta.toMap()));
        var none = CheckpointMetadata.current(CheckpointsTest.tiny(), 10, RunSettings.NONE);
        assertEquals(none, CheckpointMetadata.of(FILE, none.toMap()));
        assertEquals("bigan-mlp", meta.preset());
    }

    /** The keys of a fresh checkpoint, in order: today's run settings and format keys, then the provenance. */
    @Test
    void aFreshCheckpointHasEveryKey(@TempDir Path dir) {
        Path file = Checkpoints.save(dir, new BiganTrainer(CheckpointsTest.tiny(), 5), RUN);
        List<String> keys = List.of("data", "seed", "augment", "train_images", "test_images", "world_size", "format",
                "format_version", "preset", "step", "config", "libtorch", "javacpp_preset", "bigbigan_version",
                "written_at", "java", "os");
        Map<String, String> stored = Safetensors.readMetadata(file);
        assertEquals(Set.copyOf(keys), stored.keySet());
        var meta = CheckpointMetadata.read(file);
        assertEquals(keys, List.copyOf(meta.toMap().keySet()));
        assertEquals(RUN, meta.run());
        assertEquals(CheckpointMetadata.VERSION, meta.formatVersion());
        Provenance p = meta.provenance();
        assertEquals(Provenance.projectVersion(), p.bigbigan());
        assertEquals(new LibraryVersions("2.10.0", "1.5.13"), p.libraries());
        assertTrue(p.java().startsWith(System.getProperty("java.version")), p.java());
        assertTrue(p.os().startsWith(System.getProperty("os.name")), p.os());
        assertTrue(Math.abs(p.writtenAt().getEpochSecond() - Instant.now().getEpochSecond()) < 600
                || System.getenv("SOURCE_DATE_EPOCH") != null, p.writtenAt().toString());
        // augment only when true, world_size only above one rank: today's conditions
        var plain = new RunSettings("synthetic", 3L, false, 64L, 16L, 1);
        var m = CheckpointMetadata.current(CheckpointsTest.tiny(), 1, plain).toMap();
        assertTrue(!m.containsKey("augment") && !m.containsKey("world_size"), m.toString());
        assertEquals(plain, CheckpointMetadata.of(FILE, m).run());
    }

    /** A checkpoint written before the run settings and provenance were recorded reads, and resumes unchecked. */
    @Test
    void olderMetadataReadsWithNothingToCheck() {
        Map<String, String> old = new LinkedHashMap<>();
        old.put("data", "synthetic");
        old.put("format", "bigbigan-checkpoint");
        old.put("format_version", "2");
        old.put("preset", "bigan-mlp");
        old.put("step", "10");
        old.put("config", CheckpointsTest.tiny().toJson());
        old.put("pytorch", "2.10.0-1.5.13");
        var meta = CheckpointMetadata.of(FILE, old);
        assertEquals(RunSettings.ofData("synthetic"), meta.run());
        assertEquals(10, meta.step());
        assertEquals(CheckpointsTest.tiny(), meta.config());
        Provenance p = meta.provenance();
        assertEquals(new LibraryVersions("2.10.0", "1.5.13"), p.libraries());
        assertNull(p.bigbigan());
        assertNull(p.writtenAt());
        assertNull(p.java());
        assertNull(p.os());
        meta.checkRanks(FILE, 1);
        meta.checkResumable(FILE, new RunSettings("mnist", 99L, false, 5L, 5L, 1), 20);   // nothing recorded to differ
        old.put("written_at", "yesterday");                                             // unreadable: unknown
        assertNull(CheckpointMetadata.of(FILE, old).provenance().writtenAt());
    }

    /** Every refusal of a resume, with the message train prints. */
    @Test
    void resumeRefusalsNameTheOptionAndTheCheckpointsValue() {
        var meta = CheckpointMetadata.of(FILE, CheckpointMetadata.current(CheckpointsTest.tiny(), 10, RUN).toMap());
        assertMessage("--resume: " + FILE + " is already at step 10, nothing to train up to step 10; --steps is the "
                + "total to reach, give more than 10", () -> meta.checkSteps(FILE, 10));
        meta.checkSteps(FILE, 11);
        assertMessage("--resume: " + FILE + " was trained on 2 rank(s); resume it with --nproc 2 (or --world-size 2), "
                + "not 1 (the data order and batch size depend on it)", () -> meta.checkRanks(FILE, 1));
        meta.checkRanks(FILE, 2);
        assertMessage("--resume: " + FILE + " is already at step 10, nothing to train up to step 5; --steps is the "
                + "total to reach, give more than 10", () -> meta.checkResumable(FILE, RUN, 5));
        assertMessage("--resume: " + FILE + " was trained with --seed 3, not 4 (the data order and augmentations "
                + "depend on it); resume with --seed 3 or without --seed",
                () -> meta.checkResumable(FILE, new RunSettings("synthetic", 4L, true, 64L, 16L, 2), 20));
        assertMessage("--resume: " + FILE + " was trained with --augment; resume it with --augment (or leave the flag"
                + " out to take the run's)",
                () -> meta.checkResumable(FILE, new RunSettings("synthetic", 3L, false, 64L, 16L, 2), 20));
        assertMessage("--resume: " + FILE + " was trained on 64 training images, the data given has 48; resume with "
                + "the run's --data and --train-limit (or leave them out to take the run's)",
                () -> meta.checkResumable(FILE, new RunSettings("synthetic", 3L, true, 48L, 16L, 2), 20));
        meta.checkResumable(FILE, RUN, 20);
    }

    @Test
    void unreadableMetadataIsRefusedNamingTheFileAndKey() {
        Map<String, String> m = CheckpointMetadata.current(CheckpointsTest.tiny(), 10, RUN).toMap();
        m.put("seed", "three");
        assertMessage(FILE + ": unreadable seed 'three' in metadata", () -> CheckpointMetadata.of(FILE, m));
        m.put("format", "something-else");
        assertMessage(FILE + ": not a bigbigan checkpoint (metadata 'format' is something-else)",
                () -> CheckpointMetadata.of(FILE, m));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertNotNull(e.getMessage());
        assertEquals(expected, e.getMessage());
    }
}
