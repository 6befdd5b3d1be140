package io.bigbigan.trainer.report;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.io.ImageGrid;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class RunReportTest {
    /** A small run folder: metrics with losses, a probe record, a reconstruction record and a cut-off last line. */
    static Path fakeRun(Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        StringBuilder m = new StringBuilder();
        for (int s = 10; s <= 100; s += 10)
            m.append("{\"step\":").append(s).append(",\"epoch\":0,\"loss_d\":").append(1.0 / s).append(",\"loss_eg\":")
                    .append(2.0 + s / 100.0).append(",\"acc_d\":0.7,\"images_per_s\":100.0}\n");
        m.append("{\"step\":50,\"probe_top1 E(x)\":0.41,\"probe_top1 E penultimate\":0.45}\n");
        m.append("{\"step\":100,\"probe_top1 E(x)\":0.52,\"probe_top1 E penultimate\":0.58}\n");
        m.append("{\"step\":100,\"recon_error\":8.5,\"mismatched_recon_error\":11.2,\"random_pair_error\":11.4}\n");
        m.append("{\"step\":110,\"loss_d\":0.");                                     // cut short by a crash
        Files.writeString(run.resolve("metrics.jsonl"), m);
        Files.createDirectories(run.resolve("images"));
        Files.createDirectories(run.resolve("checkpoints"));
        Files.writeString(run.resolve("checkpoints/best.json"), "{\"step\":100,\"linear_probe_top1\":0.58}");
        Files.writeString(run.resolve("evaluation.txt"), "feature space  dim  1-NN\nraw pixels  784  85.00%\n");
        try (StepScope s = StepScope.open()) {
            torch.manual_seed(1);
            ImageGrid.write(run.resolve("images/samples-00000050.png"), torch.rand(4, 1, 8, 8), 2);
            ImageGrid.write(run.resolve("images/samples-00000100.png"), torch.rand(4, 1, 8, 8), 2);
            ImageGrid.write(run.resolve("images/reconstructions-00000100.png"), torch.rand(4, 1, 8, 8), 2);
        }
        return run;
    }

    @Test
    void embedsCurvesImagesAndTables(@TempDir Path dir) throws Exception {
        Path run = fakeRun(dir);
        Path diag = Files.createDirectories(dir.resolve("diag"));
        try (StepScope s = StepScope.open()) {
            ImageGrid.write(diag.resolve("truncation.png"), torch.rand(4, 1, 8, 8), 2);
        }
        Path html = dir.resolve("report.html");
        int groups = RunReport.write(new RunReport.Inputs(run, List.of(diag), List.of()), html);
        // losses, D accuracy, linear probe, reconstruction error, throughput
        assertEquals(5, groups);
        String text = Files.readString(html);
        assertEquals(3, count(text, "src=\"data:image/png;base64,"), "newest samples, reconstructions, 1 diagnostic");
        assertTrue(text.contains("samples-00000100.png") && !text.contains("samples-00000050.png"));
        assertTrue(text.contains("probe_top1 E penultimate") && text.contains("linear_probe_top1"));
        assertTrue(text.contains("raw pixels  784  85.00%"));
        assertFalse(text.contains("http://") && text.contains("<script src"), "no external resources");
    }

    /**
     * Opens the report in headless Chromium and checks the script drew the charts. Skips when chromium is missing,
     * except under CI (env CI set), where it fails.
     */
    @Test
    void rendersInAHeadlessBrowser(@TempDir Path dir) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        if (System.getenv("CI") == null) assumeTrue(Files.isExecutable(chromium), "chromium not installed");
        assertTrue(Files.isExecutable(chromium), "CI must install chromium (.ci/run)");
        Path run = fakeRun(dir);
        Path html = dir.resolve("report.html");
        RunReport.write(new RunReport.Inputs(run, List.of(), List.of()), html);
        Path profile = Files.createDirectories(dir.resolve("profile"));
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + profile, "--dump-dom", html.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        String dom = new String(out, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("data-rendered=\"(\\d+)\"").matcher(dom);
        assertTrue(m.find(), "no body in the dumped DOM: " + dom.substring(0, Math.min(300, dom.length())));
        assertEquals(5, Integer.parseInt(m.group(1)), "charts drawn by the inline script");
        assertEquals(5, count(dom, "<svg class=\"chart\""));
        // loss_d, loss_eg, acc_d, 2 probe series, 3 reconstruction series, images_per_s
        assertEquals(9, count(dom, "<polyline class=\"series\""));
        assertTrue(dom.contains("data-key=\"probe_top1 E(x)\""));
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
