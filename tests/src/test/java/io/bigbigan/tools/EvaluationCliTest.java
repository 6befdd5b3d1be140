package io.bigbigan.tools;

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
    void domainFdAndScoreWithATrainedClassifierAndCachedStatistics() {
        Path clf = dir.resolve("clf");
        Path cache = dir.resolve("cache");
        var r = cli(args("evaluate", "--checkpoint", run.toString(), "--metrics", "fid,is,recon", "--samples", "200",
                "--domain-classifier", clf.toString(), "--classifier-epochs", "1", "--cache", cache.toString()));
        assertEquals(0, r.code(), r.err());
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
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("unknown metric 'bogus'"), unknown.err());
    }

    @Test
    @Order(3)
    void knnGridReportsBothMetricsAndVotes() {
        var r = cli(args("evaluate", "--checkpoint", run.toString(), "--knn-grid"));
        assertEquals(0, r.code(), r.err());
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
        assertEquals(1, badBetween.code());
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
        var missing = cli("report", "--run", dir.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("--run " + dir.resolve("nope") + ": no such folder"), missing.err());
    }
}
