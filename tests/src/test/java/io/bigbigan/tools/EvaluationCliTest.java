package io.bigbigan.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.trainer.eval.generation.ScriptedModules;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.bigbigan.tools.CliSmokeTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The evaluation commands end to end on a tiny run: generation metrics, caches, diagnostics, interpolation, report. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvaluationCliTest {
    @TempDir
    static Path dir;
    static Path run;
    static final String[] LIMITS = {"--train-limit", "600", "--test-limit", "300"};

    @BeforeAll
    static void train() {
        run = dir.resolve("run");
        var r = cli("train", "--steps", "20", "--batch", "32", "--train-limit", "600", "--test-limit", "300",
                "--out", run.toString(), "--log-every", "10");
        assertEquals(0, r.code(), r.err());
    }

    static String[] args(String... a) {
        String[] out = new String[a.length + LIMITS.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(LIMITS, 0, out, a.length, LIMITS.length);
        return out;
    }

    @Test
    @Order(1)
    void domainFdAndScoreWithATrainedClassifierAndCachedStatistics() throws Exception {
        Path clf = dir.resolve("clf");
        Path cache = dir.resolve("cache");
        Path json = dir.resolve("generation.json");
        var r = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "fid,is,recon", "--samples", "200",
                "--domain-classifier", clf.toString(), "--classifier-epochs", "1", "--cache", cache.toString(),
                "--json", json.toString()));
        assertEquals(0, r.code(), r.err());
        // --json: the printed figures as data, with the extractor and sample counts
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals("bigbigan-evaluation", j.get("format").asText());
        assertEquals(20, j.get("step").asLong());
        JsonNode g = j.get("generation").get(0);
        assertEquals("FD", g.get("metric").asText());
        assertEquals("domain", g.get("extractor").asText());
        assertEquals(200, g.get("samples").asLong());
        assertEquals(200, g.get("reference_images").asLong());
        assertEquals(200, g.get("floor_images").asLong());
        assertTrue(r.out().contains(String.format(Locale.ROOT, "FD(domain, 200 samples vs 200 train images)  generator "
                + "%.3f   real test (200) vs train floor %.3f", g.get("fd").asDouble(), g.get("fd_floor").asDouble())), r.out());
        JsonNode is = g.get("is"), isReal = g.get("is_real");
        assertEquals(10, is.get("splits").asInt());
        assertTrue(r.out().contains(String.format(Locale.ROOT, "IS(domain, 200 samples, 10 splits)  generator %.3f +- %.3f"
                        + "   real test (%d) %.3f +- %.3f", is.get("mean").asDouble(), is.get("std").asDouble(),
                isReal.get("samples").asLong(), isReal.get("mean").asDouble(), isReal.get("std").asDouble())), r.out());
        JsonNode rec = j.get("reconstruction");
        assertTrue(r.out().contains(String.format(Locale.ROOT, "reconstruction (%d random test images): ||x - G(E(x))|| %.3f",
                rec.get("test_images").asLong(), rec.get("recon").asDouble())), r.out());
        assertTrue(j.get("representation") == null, "not asked for");
        assertTrue(r.out().contains("no domain classifier in " + clf + ": training one"), r.out());
        assertTrue(r.out().contains("FD(domain, 200 samples vs 200 train images)  generator "), r.out());
        assertTrue(r.out().contains("real test (200) vs train floor"), r.out());
        assertTrue(r.out().contains("IS(domain, 200 samples, 10 splits)"), r.out());
        assertTrue(r.out().contains("reconstruction (300 random test images)"), r.out());
        assertTrue(r.out().contains("train images, domain:") && r.out().contains("): computed"), r.out());
        // second time: the classifier is loaded and the reference statistics come from the cache
        var again = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "fid", "--samples", "200",
                "--domain-classifier", clf.toString(), "--cache", cache.toString()));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("domain classifier " + clf + " (id "), again.out());
        assertTrue(again.out().contains("): cached"), again.out());
        // train-classifier refuses to overwrite
        var exists = cli(args("train-classifier", "--domain-classifier", clf.toString()));
        assertEquals(1, exists.code());
        assertTrue(exists.err().contains("already holds a classifier"), exists.err());
    }

    @Test
    @Order(2)
    void fidThroughAUserSuppliedTorchScriptInception() throws Exception {
        Path pt = dir.resolve("tiny-inception.pt");
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("proj", Tensors.of(new float[]{1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4));
        p.put("fc", Tensors.of(new float[]{1, 0, 0, 1, 1, 1, 0, 0}, 4, 2));
        ScriptedModules.write(pt, p, """
                  def forward(self, x: Tensor, return_features: bool=False, no_output_bias: bool=False) -> Tensor:
                    f = torch.matmul(torch.mean(x, [2, 3]), self.proj) + torch.matmul(torch.std(x, [2, 3]), self.proj)
                    if return_features:
                      return f
                    return torch.matmul(f, self.fc) / 100.0
                """);
        var r = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "fid,is", "--samples", "100",
                "--inception", pt.toString(), "--cache", dir.resolve("cache2").toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("FID(inception, 100 samples vs 100 train images)"), r.out());
        assertTrue(r.out().contains("IS(inception, 100 samples, 10 splits)"), r.out());

        var bad = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "fid",
                "--inception", dir.resolve("missing.pt").toString()));
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("missing.pt: no such file"), bad.err());
        var unknown = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "fid,bogus"));
        assertEquals(2, unknown.code());                                  // a usage error
        assertTrue(unknown.err().contains("unknown metric 'bogus'"), unknown.err());
    }

    @Test
    @Order(3)
    void knnGridReportsBothMetricsAndVotes() throws Exception {
        Path json = dir.resolve("representation.json");
        var r = cli(args("evaluate", "--checkpoint", run.toString(), "--knn-grid", "--json", json.toString()));
        assertEquals(0, r.code(), r.err());
        // --json holds the numbers of the printed tables (as fractions)
        JsonNode rep = new ObjectMapper().readTree(json.toFile()).get("representation");
        assertEquals(600, rep.get("train_images").asLong());
        assertEquals(300, rep.get("test_images").asLong());
        List<String> lines = r.out().lines().toList();
        int head = lines.indexOf(lines.stream().filter(l -> l.matches("feature space +dim .*")).findFirst().orElseThrow());
        String[] header = lines.get(head).split(" {2,}");
        assertEquals(3, rep.get("rows").size(), "raw pixels, E(x), E penultimate");
        for (int i = 0; i < rep.get("rows").size(); i++) {
            JsonNode row = rep.get("rows").get(i);
            String[] cells = lines.get(head + 1 + i).strip().split(" {2,}");
            assertEquals(row.get("features").asText(), cells[0]);
            assertEquals(row.get("dim").asLong(), Long.parseLong(cells[1]));
            assertEquals(300, row.get("knn").get("test_images").asLong());
            int checked = 0;
            for (int c = 2; c < header.length; c++) {
                if (header[c].equals("probe l2")) {                       // the regulariser the probe chose
                    assertEquals(cells[c], String.format(Locale.ROOT, "%.0e", row.get("linear").get("l2").asDouble()));
                    continue;
                }
                JsonNode v = header[c].endsWith("-NN") ? row.get("knn").get("accuracy").get(header[c].replace("-NN", ""))
                        : header[c].equals("linear top-1") ? row.get("linear").get("top1") : row.get("linear").get("top5");
                assertEquals(cells[c], String.format(Locale.ROOT, "%.2f%%", 100 * v.asDouble()), header[c]);
                checked++;
            }
            assertEquals(6, checked, "1/5/20/200-NN, linear top-1 and top-5");
            assertEquals(4, row.get("knn_grid").size(), "l2/cosine x majority/distance");
        }
        assertTrue(r.out().contains("200-NN"), r.out());
        assertTrue(r.out().contains("cosine  distance") && r.out().contains("l2      majority"), r.out());
        var knnOnly = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "knn"));
        assertEquals(0, knnOnly.code(), knnOnly.err());
        assertTrue(knnOnly.out().contains("1-NN") && !knnOnly.out().contains("linear top-1"), knnOnly.out());
    }

    @Test
    @Order(4)
    void interpolateDiagnoseAndReport() throws Exception {
        Path png = dir.resolve("interp.png");
        var r = cli(args("interpolate", "--checkpoint", run.toString(), "--count", "3", "--steps", "5",
                "--out", png.toString()));
        assertEquals(0, r.code(), r.err());
        var img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > img.getHeight(), "3 rows of 5");
        var prior = cli(args("interpolate", "--checkpoint", run.toString(), "--between", "prior",
                "--out", dir.resolve("p.png").toString()));
        assertEquals(0, prior.code(), prior.err());
        var badBetween = cli(args("interpolate", "--checkpoint", run.toString(), "--between", "moon"));
        assertEquals(2, badBetween.code());                               // a usage error
        assertTrue(badBetween.err().contains("--between must be data or prior"), badBetween.err());

        Path diag = dir.resolve("diag");
        var d = cli(args("diagnose", "--checkpoint", run.toString(), "--out", diag.toString(), "--count", "4",
                "--iterations", "3", "--neighbours", "5"));
        assertEquals(0, d.code(), d.err());
        for (String f : new String[]{"iterated-reconstructions.png", "interpolation-data.png", "interpolation-prior.png",
                "truncation.png", "nearest-neighbours.png", "filters.png", "diagnostics.json"})
            assertTrue(Files.isRegularFile(diag.resolve(f)), f);
        String json = Files.readString(diag.resolve("diagnostics.json"));
        assertTrue(json.contains("\"filters_from\" : \"E.fc1.weight\""), json);
        assertTrue(json.contains("iterated_reconstruction_error"), json);
        // 4 queries x (1 + 5 neighbours) tiles, 6 columns
        var nn = ImageIO.read(diag.resolve("nearest-neighbours.png").toFile());
        assertTrue(nn.getWidth() > nn.getHeight(), nn.getWidth() + "x" + nn.getHeight());

        Path html = dir.resolve("report.html");
        var rep = cli("report", "--run", run.toString(), "--diagnostics", diag.toString(), "--out", html.toString());
        assertEquals(0, rep.code(), rep.err());
        String text = Files.readString(html);
        assertTrue(text.contains("iterated-reconstructions.png") && text.contains("data:image/png;base64,"));
        // every sheet of diagnose has a caption saying what it shows, not just its file name
        for (String f : new String[]{"iterated-reconstructions.png", "interpolation-data.png", "interpolation-prior.png",
                "truncation.png", "nearest-neighbours.png", "filters.png"})
            assertTrue(text.matches("(?s).*<figcaption>[A-Z][^<]{30,} \\(" + java.util.regex.Pattern.quote(f) + "\\)</figcaption>.*"), f);
        assertTrue(text.contains("mean ||R_i - x|| for i = 0, 1, ...: 0.000, "), "errors from diagnostics.json");
        assertTrue(text.contains("(E.fc1.weight)"), "filters' parameter from diagnostics.json");
        var missing = cli("report", "--run", dir.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("--run " + dir.resolve("nope") + ": no such folder"), missing.err());
    }
}
