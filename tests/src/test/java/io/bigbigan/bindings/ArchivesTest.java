package io.bigbigan.bindings;

import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LibTorch archives written through Java's file I/O: same content, and failures as exceptions, not aborts. */
class ArchivesTest {
    @Test
    void roundTripsThroughJavasFileIo(@TempDir Path dir) throws IOException {
        torch.manual_seed(3);
        Tensor big = torch.randn(1000, 1000), small = torch.arange(new org.bytedeco.pytorch.Scalar(7L));
        OutputArchive root = new OutputArchive(), sub = new OutputArchive();
        sub.write("small", small);
        root.write("big", big);
        root.write("sub", sub);
        root.write("step", new IValue(42L));
        Path file = dir.resolve("a.pt");
        Archives.save(root, file);
        Path reference = dir.resolve("reference.pt");
        root.save_to(reference.toString());                  // LibTorch's own writer, for the size
        assertTrue(Math.abs(Files.size(file) - Files.size(reference)) < 4096, Files.size(file) + " vs " + Files.size(reference));

        InputArchive in = new InputArchive(), inSub = new InputArchive();
        in.load_from(file.toString());
        Tensor b = new Tensor(), s = new Tensor();
        in.read("big", b);
        in.read("sub", inSub);
        inSub.read("small", s);
        IValue step = new IValue();
        in.read("step", step);
        assertTrue(torch.equal(big, b));
        assertTrue(torch.equal(small, s));
        assertEquals(42L, step.toInt());
        assertEquals(List.of(file, reference), files(dir));   // no temporary file left
    }

    @Test
    void anUnwritableFolderIsAnIOExceptionAndThePreviousFileStays(@TempDir Path dir) throws IOException {
        OutputArchive root = new OutputArchive();
        root.write("x", torch.ones(10));
        Path missing = dir.resolve("no/such/folder/a.pt");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Archives.save(root, missing));
        Path file = dir.resolve("a.pt");
        Files.writeString(file, "previous");
        Path blocked = dir.resolve("blocked");
        Files.writeString(blocked, "a file where the folder should be");
        assertThrows(IOException.class, () -> Archives.save(root, blocked.resolve("a.pt")));
        assertEquals("previous", Files.readString(file));
    }

    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
