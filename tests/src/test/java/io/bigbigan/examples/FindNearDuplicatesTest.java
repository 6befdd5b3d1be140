package io.bigbigan.examples;

import io.bigbigan.api.BigBiganModel;
import io.bigbigan.api.Bundle;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.bigbigan.BigBiganConfig;
import io.bigbigan.model.bigbigan.DiscriminatorConfig;
import io.bigbigan.model.bigbigan.EncoderConfig;
import io.bigbigan.model.bigbigan.GeneratorConfig;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.trainer.config.LossKind;
import io.bigbigan.trainer.config.OptimConfig;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.config.TrainConfig;
import io.bigbigan.trainer.run.PhaseTimes;
import io.bigbigan.trainer.run.StepTrainer;
import io.bigbigan.trainer.run.Trainers;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example application finds exactly the duplicates planted in a generated folder. */
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

    @Test
    void findsThePlantedDuplicates(@TempDir Path dir) throws Exception {
        // a small BigBiGAN, one training step, as a bundle
        var model = new BigBiganConfig(GeneratorConfig.biggan(32, 8, 24, 1, 0, 0, 1),
                EncoderConfig.resnetSmall(1, 8, 32, 32, 1, 24), DiscriminatorConfig.biggan(32, 8, 1, 0, 24, 32, 1, 32, 1));
        RunConfig c = new RunConfig("narrow", model, new TrainConfig(4, 2, LossKind.HINGE,
                new OptimConfig(2e-4, 5e-5, 5e-4, 0.0, 0.999, 1e-8), EmaConfig.off()));
        StepTrainer t = Trainers.create(c, 3, PhaseTimes.off());
        Tensor data = Trainers.randomImages(c, 4, torch.createCPUGenerator(2));
        try (StepScope s = StepScope.open()) {
            t.step(() -> data);
        }
        Path ckpt = Checkpoints.save(dir.resolve("ck"), t, Map.of("data", "synthetic"));
        Path bundle = dir.resolve("model.bundle");
        Bundle.write(bundle, Bundle.fromCheckpoint(ckpt, false, 0));

        Path folder = dir.resolve("photos");
        java.nio.file.Files.createDirectories(folder.resolve("sub"));
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
