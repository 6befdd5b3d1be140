package io.bigbigan.examples;

import io.bigbigan.api.BigBiganModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example application finds exactly the duplicates planted in a generated folder, with a model given as a bundle
 * ({@code -Dbigbigan.bundle=FILE}; CI makes one with the CLI: a {@code bigbigan-32} run of one step, converted). The
 * model needs no training for this: E's pooled features of a (nearly) random network keep near-identical images close.
 */
class FindNearDuplicatesTest {
    /** 40x40 RGB: a random background and a few random rectangles and ovals. */
    static BufferedImage shapes(Random r) {
        BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillRect(0, 0, 40, 40);
        for (int k = 0; k < 4; k++) {
            g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            int x = r.nextInt(30), y = r.nextInt(30), w = 6 + r.nextInt(20), h = 6 + r.nextInt(20);
            if (r.nextBoolean()) g.fillRect(x, y, w, h);
            else g.fillOval(x, y, w, h);
        }
        g.dispose();
        return img;
    }

    static BufferedImage scaled2x(BufferedImage src) {
        BufferedImage out = new BufferedImage(80, 80, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 80; y++)
            for (int x = 0; x < 80; x++) out.setRGB(x, y, src.getRGB(x / 2, y / 2));
        return out;
    }

    static BufferedImage brighter(BufferedImage src, int delta) {
        BufferedImage out = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 40; x++) {
                int p = src.getRGB(x, y), rgb = 0;
                for (int s = 16; s >= 0; s -= 8) rgb |= Math.min(255, ((p >>> s) & 0xff) + delta) << s;
                out.setRGB(x, y, rgb);
            }
        return out;
    }

    /** The bundle named by the system property {@code bigbigan.bundle}. */
    static Path bundle() {
        String b = System.getProperty("bigbigan.bundle", "");
        assertFalse(b.isBlank(), "run with -Dbigbigan.bundle=FILE (an inference bundle: ./bigbigan convert RUN FILE)");
        Path p = Path.of(b).toAbsolutePath();
        assertTrue(Files.isRegularFile(p), "-Dbigbigan.bundle=" + b + ": no such file");
        return p;
    }

    @Test
    void findsThePlantedDuplicates(@TempDir Path dir) throws Exception {
        Path bundle = bundle();

        Path folder = dir.resolve("photos");
        Files.createDirectories(folder.resolve("sub"));
        Random r = new Random(11);
        BufferedImage[] imgs = new BufferedImage[24];
        for (int i = 0; i < imgs.length; i++) {
            imgs[i] = shapes(r);
            ImageIO.write(imgs[i], "png", folder.resolve(String.format("img-%02d.png", i)).toFile());
        }
        ImageIO.write(imgs[3], "jpg", folder.resolve("sub/copy-of-03.jpg").toFile());        // re-encoded
        ImageIO.write(scaled2x(imgs[7]), "png", folder.resolve("copy-of-07-2x.png").toFile()); // rescaled
        ImageIO.write(brighter(imgs[15], 6), "png", folder.resolve("copy-of-15-brighter.png").toFile());

        Set<String> expected = Set.of("img-03.png|copy-of-03.jpg", "copy-of-07-2x.png|img-07.png",
                "copy-of-15-brighter.png|img-15.png");
        try (BigBiganModel m = BigBiganModel.load(bundle)) {
            var pairs = FindNearDuplicates.find(m, folder, 0.15);
            Set<String> found = pairs.stream().map(p -> p.a().getFileName() + "|" + p.b().getFileName())
                    .collect(Collectors.toSet());
            assertEquals(expected, found, pairs.toString());
            // a clear gap: the closest unrelated pair is more than twice as far as the farthest duplicate
            var all = FindNearDuplicates.find(m, folder, 1.0);
            assertTrue(all.get(3).relative() > 2 * all.get(2).relative(), all.subList(0, 5).toString());
        }

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            FindNearDuplicates.main(new String[]{bundle.toString(), folder.toString()});
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("3 near-duplicate pair(s)"), printed);
        assertTrue(List.of(printed.split("\n")).stream().anyMatch(l -> l.contains("img-07.png")), printed);
    }
}
