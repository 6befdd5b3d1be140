package io.bigbigan.trainer.data;

import io.bigbigan.trainer.data.augment.ImagePipeline;
import io.bigbigan.trainer.data.augment.Pad;
import io.bigbigan.trainer.data.augment.RandomHorizontalFlip;
import io.bigbigan.trainer.data.augment.RandomResizedCrop;
import io.bigbigan.trainer.data.augment.ToSignedRange;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Measures the data pipeline alone (no model): how many images per second {@link BatchLoader#next()} delivers.
 * {@code main} runs two scenarios and prints the figures: Fashion-MNIST padded to 32 and mapped to [-1, 1], and a
 * folder of generated PNGs decoded by {@link ImageFolderReader} then random-resized-cropped at two resolutions.
 */
public final class PipelineThroughput {
    private PipelineThroughput() {}

    /** Skips {@code warmup} batches, then returns the images per second of the next {@code batches} batches. */
    public static double imagesPerSecond(BatchLoader loader, int warmup, int batches) {
        for (int i = 0; i < warmup; i++) loader.next();
        long images = 0, t0 = System.nanoTime();
        for (int i = 0; i < batches; i++) images += loader.next().size();
        double seconds = (System.nanoTime() - t0) / 1e9;
        return images / seconds;
    }

    /** Fashion-MNIST train split, Pad(2) + [-1, 1], batch 128; returns images/s. */
    public static double fashionMnist(int workers, int batches) {
        try (DatasetSplits splits = Datasets.open("fashion-mnist");
             BatchLoader loader = BatchLoader.builder(splits.train()).batchSize(128).seed(1).workers(workers)
                     .prefetch(3).view(ImagePipeline.of(new Pad(2, 0f), new ToSignedRange())).build()) {
            return imagesPerSecond(loader, 5, batches);
        }
    }

    /**
     * Writes {@code count} PNGs of 48x40 coloured shapes in 4 class folders under {@code dir} (deterministic from
     * the index).
     */
    public static void writePngFolder(Path dir, int count) {
        try {
            for (int i = 0; i < count; i++) {
                Path cls = dir.resolve("class" + (i % 4));
                Files.createDirectories(cls);
                SplittableRandom r = new SplittableRandom(i);
                BufferedImage img = new BufferedImage(48, 40, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = img.createGraphics();
                g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
                g.fillRect(0, 0, 48, 40);
                g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
                g.fillOval(r.nextInt(24), r.nextInt(20), 10 + r.nextInt(20), 10 + r.nextInt(16));
                g.dispose();
                ImageIO.write(img, "png", cls.resolve(String.format(Locale.ROOT, "img%05d.png", i)).toFile());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Decodes a PNG folder at 64 px RGB and loads it with random-resized-crop + flip at 32 px (G/D view) and 64 px
     * (E view), batch 128.
     *
     * @return {decode images/s, loader images/s}
     */
    public static double[] pngFolder(Path dir, int workers, int batches) {
        long t0 = System.nanoTime();
        try (ImageFolder folder = new ImageFolderReader(64, 3).threads(2).read("pngs", dir)) {
            double decode = folder.dataset().size() / ((System.nanoTime() - t0) / 1e9);
            try (BatchLoader loader = BatchLoader.builder(folder.dataset()).batchSize(128).seed(1).workers(workers)
                    .prefetch(3)
                    .view(ImagePipeline.of(new RandomResizedCrop(32), new RandomHorizontalFlip(), new ToSignedRange()))
                    .view(ImagePipeline.of(new RandomResizedCrop(64), new RandomHorizontalFlip(), new ToSignedRange()))
                    .build()) {
                return new double[]{decode, imagesPerSecond(loader, 3, batches)};
            }
        }
    }

    /** Prints the figures of both scenarios for 1 and 2 workers. */
    public static void main(String[] args) throws IOException {
        for (int workers : new int[]{1, 2})
            System.out.printf(Locale.ROOT, "fashion-mnist pad32 [-1,1] batch 128, %d worker(s): %.0f images/s%n",
                    workers, fashionMnist(workers, 100));
        Path dir = Files.createTempDirectory("pngs");
        writePngFolder(dir, 2048);
        for (int workers : new int[]{1, 2}) {
            double[] r = pngFolder(dir, workers, 40);
            System.out.printf(Locale.ROOT, "png folder 48x40 -> 64: decode %.0f images/s; RRC+flip 32+64 px batch 128,"
                    + " %d worker(s): %.0f images/s%n", r[0], workers, r[1]);
        }
    }
}
