package io.bigbigan.trainer.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data set registry: its order, its help words, which source a spec reaches, and the sides it reports. */
class DataSourcesTest {
    @TempDir
    Path dir;

    @Test
    void sourcesAreTriedInTodaysMatchOrderWithThePlainDirectoryLast() {
        assertEquals(List.of("folder:DIR", "cifar10:DIR", "synthetic", "fashion-mnist", "mnist", "DIR"),
                Datasets.SOURCES.stream().map(DataSource::name).toList());
    }

    @Test
    void theDataHelpNamesEverySourceInRegistryOrder() {
        int last = -1;
        for (DataSource s : Datasets.SOURCES) {
            assertTrue(s.help().startsWith(s.name()), s.help());
            assertTrue(Datasets.DATA_HELP.contains(s.name()), s.name() + " missing from " + Datasets.DATA_HELP);
            int at = Datasets.DATA_HELP.indexOf(s.help());
            assertTrue(at > last, s.help() + " missing or out of order in " + Datasets.DATA_HELP);
            last = at;
        }
        assertEquals(Datasets.describe(Datasets.SOURCES) + ".", Datasets.DATA_HELP);
    }

    @Test
    void aSpecReachesTheFirstSourceThatAcceptsItTrimmedAndInAnyCase() {
        assertInstanceOf(FolderSource.class, Datasets.source(" Folder:/x/Y "));
        assertInstanceOf(Cifar10Source.class, Datasets.source("CIFAR10:/x"));
        assertInstanceOf(SyntheticSource.class, Datasets.source(" Synthetic "));
        for (String alias : List.of("fashion-mnist", "Fashion_MNIST", "fashionmnist"))
            assertEquals("fashion-mnist", Datasets.source(alias).name(), alias);
        assertEquals("mnist", Datasets.source("MNIST").name());
        assertInstanceOf(DirectorySource.class, Datasets.source("folder"));        // no colon: a directory name
        assertInstanceOf(DirectorySource.class, Datasets.source(dir.toString()));
    }

    @Test
    void unknownDataSetListsWhatIsExpected() {
        DataException e = assertThrows(DataException.class, () -> Datasets.open("imagenet-42").close());
        assertTrue(e.getMessage().startsWith("imagenet-42: unknown data set (and not a directory); expected "),
                e.getMessage());
        for (DataSource s : Datasets.SOURCES) assertTrue(e.getMessage().contains(s.help()), e.getMessage());
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte"), e.getMessage());
    }

    @Test
    void imageSizesKnownWithoutReadingTheImages() throws IOException {
        assertEquals(0, Datasets.imageSize(null));
        assertEquals(28, Datasets.imageSize("synthetic"));
        assertEquals(28, Datasets.imageSize("fashion-mnist"));
        assertEquals(28, Datasets.imageSize("mnist"));
        assertEquals(32, Datasets.imageSize("cifar10:/elsewhere"));
        assertEquals(0, Datasets.imageSize("folder:/elsewhere"));
        assertEquals(28, Datasets.imageSize(dir.resolve("moved-away").toString())); // recorded, not here: IDX
        Files.createFile(dir.resolve("train-images-idx3-ubyte"));
        assertEquals(28, Datasets.imageSize(dir.toString()));
    }

    @Test
    void aPlainDirectoryDetectedAsCifar10HasTheCifar10Side() throws IOException {
        Path batches = Files.createDirectories(dir.resolve("cifar").resolve("cifar-10-batches-bin"));
        Files.createFile(batches.resolve("data_batch_1.bin"));
        assertEquals(32, Datasets.imageSize(batches.toString()));                   // the batches themselves
        assertEquals(32, Datasets.imageSize(batches.getParent().toString()));       // their parent
        assertEquals(Datasets.imageSize("cifar10:" + batches), Datasets.imageSize(batches.toString()));
    }
}
