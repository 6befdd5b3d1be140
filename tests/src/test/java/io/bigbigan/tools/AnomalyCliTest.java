package io.bigbigan.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.data.ImageDataset;
import io.bigbigan.trainer.data.SyntheticShapes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.bigbigan.tools.CliSmokeTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The anomaly commands end to end on a tiny run trained without one synthetic shape class: train's class filters,
 * score (checkpoint and bundle, image files, the three file formats, --top and --sheet, refusals), evaluate --metrics
 * anomaly (table, JSON, the report's section).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnomalyCliTest {
    /** The held-out class: disks (filled; the normal classes are outlines, bars and other filled shapes). */
    static final String ANOMALY = "0";
    static final String[] LIMITS = {"--train-limit", "600", "--test-limit", "300"};

    @TempDir
    static Path dir;
    static Path run;

    @BeforeAll
    static void train() {
        run = dir.resolve("run");
        var r = cli(args("train", "--steps", "30", "--batch", "32", "--exclude-classes", ANOMALY, "--no-eval",
                "--out", run.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(540 train / 300 test images)"), "600 images less class 0: " + r.out());
    }

    static String[] args(String... a) {
        String[] out = new String[a.length + LIMITS.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(LIMITS, 0, out, a.length, LIMITS.length);
        return out;
    }

    @Test
    @Order(1)
    void trainRefusesBadClassLists() {
        var both = cli("train", "--steps", "1", "--normal-classes", "1", "--exclude-classes", "2", "--out",
                dir.resolve("x").toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("give --normal-classes or --exclude-classes, not both"), both.err());
        var missing = cli("train", "--steps", "1", "--normal-classes", "12", "--train-limit", "50", "--test-limit",
                "20", "--out", dir.resolve("y").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--normal-classes: class 12 does not exist in synthetic"), missing.err());
    }

    @Test
    @Order(2)
    void scoreACheckpointInEveryFormatWithTopAndSheet() throws Exception {
        Path csv = dir.resolve("s.csv"), sheet = dir.resolve("top.png");
        var r = cli(args("score", "--model", run.toString(), "--data", "synthetic", "--score", "all", "--out",
                csv.toString(), "--top", "6", "--sheet", sheet.toString(), "--eval-batch", "64"));
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("id,label,recon,recon-l1,disc,feature,combined", lines.get(0));
        assertEquals(301, lines.size());
        assertTrue(r.out().contains("the 6 most unusual images by recon:"), r.out());
        BufferedImage png = ImageIO.read(sheet.toFile());
        assertTrue(png.getWidth() >= 8 * 56 && png.getWidth() < 8 * 64, "4 pairs of 2x images per row: " + png.getWidth());
        assertTrue(png.getHeight() >= 2 * 56 && png.getHeight() < 2 * 64, "6 pairs in 2 rows: " + png.getHeight());

        Path json = dir.resolve("s.json"), npy = dir.resolve("s.npy");
        assertEquals(0, cli(args("score", "--model", run.toString(), "--data", "synthetic", "--score", "recon,disc",
                "--out", json.toString())).code());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("[\"recon\",\"disc\"]", root.get("scores").toString());
        JsonNode row7 = root.get("rows").get(7);
        assertEquals(7 % 10, row7.get("label").asInt());
        assertEquals(Double.parseDouble(lines.get(8).split(",")[2]), row7.get("recon").asDouble(), 1e-6);
        assertEquals(0, cli(args("score", "--model", run.toString(), "--data", "synthetic", "--out", npy.toString())).code());
        assertEquals(300L * 4 + 128, Files.size(npy), "float32 [300, 1] after a 128-byte header");
        assertTrue(Files.readString(dir.resolve("s.ids.csv")).startsWith("row,id,label\n0,0,0\n"));

        var sx = cli(args("score", "--model", run.toString(), "--data", "synthetic", "--score", "disc-sx", "--out",
                dir.resolve("n.csv").toString()));
        assertEquals(2, sx.code());
        assertTrue(sx.err().contains("score disc-sx needs BigBiGAN's three-headed D"), sx.err());
        assertEquals(1, sx.err().strip().lines().count(), sx.err());
    }

    @Test
    @Order(3)
    void scoreABundleAndImageFiles() throws Exception {
        Path bundle = dir.resolve("m.bundle");
        assertEquals(0, cli("convert", run.toString(), bundle.toString()).code());
        var disc = cli(args("score", "--model", bundle.toString(), "--data", "synthetic", "--score", "feature", "--out",
                dir.resolve("b.csv").toString()));
        assertEquals(2, disc.code());
        assertTrue(disc.err().contains("score feature needs the discriminator D") && disc.err().contains("G and E only"),
                disc.err());
        // the library's recon on the bundle equals the trainer's on the checkpoint
        Path b = dir.resolve("b.csv");
        assertEquals(0, cli(args("score", "--model", bundle.toString(), "--data", "synthetic", "--score", "recon,recon-l1",
                "--out", b.toString())).code());
        Path c = dir.resolve("c.csv");
        assertEquals(0, cli(args("score", "--model", run.toString(), "--data", "synthetic", "--score", "recon,recon-l1",
                "--out", c.toString())).code());
        List<String> fromBundle = Files.readAllLines(b), fromCheckpoint = Files.readAllLines(c);
        for (int i = 1; i < fromBundle.size(); i++)
            for (int col = 2; col < 4; col++) {
                double x = Double.parseDouble(fromBundle.get(i).split(",")[col]);
                double y = Double.parseDouble(fromCheckpoint.get(i).split(",")[col]);
                assertEquals(y, x, 1e-4 * y, "row " + i + " column " + col);
            }
        // image files: a folder of the test images 0..9 as PNGs scores as the same rows of --data
        Path photos = dir.resolve("photos");
        Files.createDirectories(photos);
        try (ImageDataset test = SyntheticShapes.test(); StepScope s = StepScope.open()) {
            float[] px = Tensors.toFloats(test.batch(0, 10));
            for (int i = 0; i < 10; i++) {
                BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                        img.getRaster().setSample(x, y, 0, Math.round(px[i * 784 + y * 28 + x] * 255));
                ImageIO.write(img, "png", photos.resolve("img" + i + ".png").toFile());
            }
        }
        Path f = dir.resolve("f.csv");
        var files = cli("score", "--model", bundle.toString(), photos.toString(), "--out", f.toString(), "--top", "2",
                "--sheet", dir.resolve("ftop.png").toString());
        assertEquals(0, files.code(), files.err());
        List<String> rows = Files.readAllLines(f);
        assertEquals(11, rows.size());
        for (int i = 0; i < 10; i++) {
            assertTrue(rows.get(i + 1).startsWith(photos.resolve("img" + i + ".png") + ","), rows.get(i + 1));
            double x = Double.parseDouble(rows.get(i + 1).split(",")[2]);
            double y = Double.parseDouble(fromCheckpoint.get(i + 1).split(",")[2]);
            assertEquals(y, x, 1e-3 * y, "file " + i);
        }
        assertTrue(Files.isRegularFile(dir.resolve("ftop.png")));
        var fileDisc = cli("score", "--model", run.toString(), photos.toString(), "--score", "disc", "--out",
                dir.resolve("g.csv").toString());
        assertEquals(2, fileDisc.code());
        assertTrue(fileDisc.err().contains("score disc needs the discriminator D"), fileDisc.err());
    }

    @Test
    @Order(4)
    void evaluateAnomalyWritesTableJsonAndReportSection() throws Exception {
        Path json = dir.resolve("eval.json"), out = run.resolve("anomaly");
        var r = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "anomaly", "--anomaly-classes", ANOMALY,
                "--json", json.toString(), "--anomaly-out", out.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("anomaly detection (anomaly classes [0]: 30 of 300 test images, rate 0.100;"
                + " baselines on 540 normal training images)"), r.out());
        JsonNode a = new ObjectMapper().readTree(json.toFile()).get("anomaly");
        List<String> names = new ArrayList<>();
        a.get("rows").forEach(row -> names.add(row.get("score").asText()));
        assertEquals(List.of("recon", "recon-l1", "disc", "feature", "combined", "pixel-knn", "pixel-pca"), names);
        for (JsonNode row : a.get("rows")) {
            double auroc = row.get("auroc").asDouble(), auprc = row.get("auprc").asDouble();
            assertTrue(auroc >= 0 && auroc <= 1 && auprc >= 0 && auprc <= 1, row.toString());
            System.out.printf("%s AUROC %.3f AUPRC %.3f%n", row.get("score").asText(), auroc, auprc);
        }
        // G never learnt to draw filled disks: its reconstructions of them are worst
        assertTrue(a.get("rows").get(0).get("auroc").asDouble() > 0.8, "recon ranks the held-out class high: " + a);
        assertTrue(Files.isRegularFile(out.resolve("top-anomalies.png")));
        var report = cli("report", "--run", run.toString());
        assertEquals(0, report.code(), report.err());
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("<h2>Anomaly detection</h2>") && html.contains("class=\"anomaly-histogram\"")
                && html.contains("alt=\"top anomalies\""), "the report's anomaly section");

        var none = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "anomaly"));
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--metrics anomaly needs --anomaly-classes K"), none.err());
    }
}
