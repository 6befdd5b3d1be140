package io.bigbigan.bindings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void createsAndReplaces() throws IOException {
        Path file = dir.resolve("a.txt");
        AtomicFiles.writeStream(file, out -> out.write("one".getBytes(StandardCharsets.UTF_8)));
        assertEquals("one", Files.readString(file));
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap("two!".getBytes(StandardCharsets.UTF_8))));
        assertEquals("two!", Files.readString(file));
        assertEquals(List.of(file), files());
    }

    @Test
    void failureMidwayKeepsThePreviousFileAndRemovesTheTempFile() throws IOException {
        Path file = dir.resolve("a.txt");
        Files.writeString(file, "previous");

        IOException io = assertThrows(IOException.class, () -> AtomicFiles.writeStream(file, out -> {
            out.write(new byte[100_000]);   // more than the buffer: bytes really reach the temp file
            throw new IOException("disk full");
        }));
        assertEquals(file + ": disk full", io.getMessage());        // the user's file, never the temporary one
        assertEquals("previous", Files.readString(file));
        assertEquals(List.of(file), files());

        IllegalStateException boom = new IllegalStateException("boom");
        assertSame(boom, assertThrows(IllegalStateException.class, () -> AtomicFiles.write(file, ch -> {
            AtomicFiles.writeFully(ch, ByteBuffer.allocate(10));
            throw boom;
        })));
        assertEquals("previous", Files.readString(file));
        assertEquals(List.of(file), files());
    }

    @Test
    void missingDirectoryIsAnIOException() {
        Path file = dir.resolve("no/such/dir/a.txt");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> AtomicFiles.writeStream(file, out -> out.write(1)));
    }

    @Test
    void removesOnlyItsOwnTemporaryFiles() throws IOException {
        Path killed = dir.resolve(".a.txt.3f9ac01d.tmp"), legacy = dir.resolve(".step-00000004.optim.pt.tmp");
        Path foreign = dir.resolve(".notes.tmp"), visible = dir.resolve("a.1f.tmp");
        for (Path p : List.of(killed, legacy, foreign, visible)) Files.writeString(p, "x");
        assertEquals(List.of(killed, legacy), AtomicFiles.removeTemporaryFiles(dir));
        assertEquals(List.of(foreign, visible), files().stream().sorted().toList());
        assertEquals(List.of(), AtomicFiles.removeTemporaryFiles(dir.resolve("missing")));
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
