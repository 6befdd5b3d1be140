package io.bigbigan.trainer.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Prints the pipeline's throughput (no assertion on time); small so that it stays fast on 2 cores. */
class PipelineThroughputTest {
    @TempDir
    Path dir;

    @Test
    void printThroughput() {
        if (Files.isDirectory(Path.of(Datasets.FASHION_MNIST_DIR)))
            for (int workers : new int[]{1, 2})
                System.out.printf(Locale.ROOT, "[throughput] fashion-mnist pad32 [-1,1] batch 128, %d worker(s): "
                        + "%.0f images/s%n", workers, PipelineThroughput.fashionMnist(workers, 40));
        PipelineThroughput.writePngFolder(dir, 512);
        for (int workers : new int[]{1, 2}) {
            double[] r = PipelineThroughput.pngFolder(dir, workers, 12);
            System.out.printf(Locale.ROOT, "[throughput] png folder 48x40 -> 64 px decode %.0f images/s; "
                    + "RRC+flip 32+64 px batch 128, %d worker(s): %.0f images/s%n", r[0], workers, r[1]);
        }
    }
}
