package io.bigbigan.trainer.report;

import io.bigbigan.bindings.StepScope;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class RunReportTest {
    /**
     * A small run folder: metrics with losses (loss_d_sxz repeating loss_d, as bigan-mlp logs it), probe records, a
     * reconstruction record, gradient norms logged once and a cut-off last line.
     */
    static Path fakeRun(Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        StringBuilder m = new StringBuilder();
        for (int s = 10; s <= 100; s += 10)
            m.append("{\"step\":").append(s).append(",\"epoch\":0,\"loss_d\":").append(1.0 / s).append(",\"loss_eg\":")
                    .append(2.0 + s / 100.0).append(",\"acc_d\":0.7,\"images_per_s\":100.0,\"loss_d_sxz\":")
                    .append(1.0 / s).append("}\n");
        m.append("{\"step\":50,\"probe_top1 E(x)\":0.41,\"probe_top1 E penultimate\":0.45}\n");
        m.append("{\"step\":100,\"probe_top1 E(x)\":0.52,\"probe_top1 E penultimate\":0.58}\n");
        m.append("{\"step\":100,\"recon_error\":8.5,\"mismatched_recon_error\":11.2,\"random_pair_error\":11.4}\n");
        m.append("{\"step\":100,\"grad_norm_d\":5.0,\"grad_norm_g\":2.0}\n");              // logged once
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
        Files.writeString(diag.resolve("diagnostics.json"), "{\"truncation_rows\": [0.0, 1.0, 0.5]}");
        Path html = dir.resolve("report.html");
        int groups = RunReport.write(new RunReport.Inputs(run, List.of(diag), List.of()), html);
        // losses, D accuracy, linear probe, reconstruction error, gradient norms, throughput
        assertEquals(6, groups);
        String text = Files.readString(html);
        assertEquals(3, count(text, "src=\"data:image/png;base64,"), "newest samples, reconstructions, 1 diagnostic");
        assertTrue(text.contains("samples-00000100.png") && !text.contains("samples-00000050.png"));
        assertTrue(text.contains("probe_top1 E penultimate") && text.contains("linear_probe_top1"));
        assertTrue(text.contains("raw pixels  784  85.00%"));
        assertFalse(text.contains("http://") && text.contains("<script src"), "no external resources");
        // captions say what a sheet shows
        assertTrue(text.contains("<figcaption>Truncation: one row per threshold (top to bottom: 0, 1, 0.5; 0 = none)"),
                text);
        assertTrue(text.contains("<figcaption>Samples G(z) at step 100, the same latents z at every step"), text);
        assertTrue(text.contains("<figcaption>Reconstructions at step 100: test images x, each followed by G(E(x))"), text);
    }

    /** Headless Chromium with the flags that work on these machines; skips without it, except under CI. */
    static Process chromium(Path dir, String... args) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        if (System.getenv("CI") == null) assumeTrue(Files.isExecutable(chromium), "chromium not installed");
        assertTrue(Files.isExecutable(chromium), "CI must install chromium (.ci/run)");
        Path profile = Files.createTempDirectory(dir, "profile");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1", "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** The DOM after the report's script ran. */
    static String dom(Path dir, Path html) throws Exception {
        Process p = chromium(dir, "--window-size=" + WIDTH + "," + HEIGHT, "--dump-dom", html.toUri().toString());
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        return new String(out, StandardCharsets.UTF_8);
    }

    static final int WIDTH = 1000, HEIGHT = 1400;

    /**
     * Opens the report in headless Chromium and checks the script drew the charts: one polyline per distinct series
     * (loss_d_sxz repeats loss_d and is named in its legend instead), and round tick values on every axis.
     */
    @Test
    void rendersInAHeadlessBrowser(@TempDir Path dir) throws Exception {
        Path run = fakeRun(dir);
        Path html = dir.resolve("report.html");
        RunReport.write(new RunReport.Inputs(run, List.of(), List.of()), html);
        String dom = dom(dir, html);
        Matcher m = Pattern.compile("data-rendered=\"(\\d+)\"").matcher(dom);
        assertTrue(m.find(), "no body in the dumped DOM: " + dom.substring(0, Math.min(300, dom.length())));
        assertEquals(6, Integer.parseInt(m.group(1)), "charts drawn by the inline script");
        assertEquals(6, count(dom, "<svg class=\"chart\""));
        // loss_d (= loss_d_sxz), loss_eg, acc_d, 2 probe series, 3 reconstruction series, 2 gradient norms,
        // images_per_s
        assertEquals(11, count(dom, "<polyline class=\"series\""));
        assertTrue(dom.contains("data-key=\"probe_top1 E(x)\""));
        assertFalse(dom.contains("data-key=\"loss_d_sxz\""), "a repeated series is drawn once");
        assertTrue(dom.contains(">loss_d = loss_d_sxz</text>"), "and named in the legend");
        for (Chart c : charts(dom)) {
            for (List<Double> ticks : List.of(c.xTicks, c.yTicks)) {
                assertTrue(ticks.size() >= 2, c.title + ": " + ticks);
                double step = ticks.get(1) - ticks.get(0);
                double mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
                assertTrue(List.of(1.0, 2.0, 5.0).stream().anyMatch(v -> Math.abs(v - mantissa) < 1e-6),
                        c.title + ": tick step " + step + " is not 1, 2 or 5 x 10^k: " + ticks);
                for (int i = 0; i < ticks.size(); i++) {
                    assertEquals(ticks.get(0) + i * step, ticks.get(i), step * 1e-6, c.title + ": " + ticks);
                    assertEquals(0, Math.abs(ticks.get(i) / step - Math.rint(ticks.get(i) / step)), 1e-6,
                            c.title + ": " + ticks.get(i) + " is not a multiple of " + step);
                }
            }
        }
        Chart losses = charts(dom).stream().filter(c -> c.title.equals("Losses")).findFirst().orElseThrow();
        assertEquals(List.of(0.0, 20.0, 40.0, 60.0, 80.0, 100.0), losses.xTicks);
        assertEquals(List.of(0.0, 1.0, 2.0, 3.0), losses.yTicks);
        Chart grads = charts(dom).stream().filter(c -> c.title.equals("Gradient norms")).findFirst().orElseThrow();
        assertEquals(List.of(99.0, 100.0, 101.0), grads.xTicks, "one step: the point in the middle");
        assertEquals(2, count(grads.svg, "<circle class=\"point\""));
    }

    /**
     * The screenshot (pixels, not the DOM) shows what the issue asked for: a chart whose series have one point each
     * shows them; no legend or other text lies on a plot area, while the legends below them are drawn; the line
     * that ends in the top-right corner, where the legend used to be, is visible there.
     */
    @Test
    void screenshotShowsOnePointSeriesAndLegendsOutsideThePlots(@TempDir Path dir) throws Exception {
        Path run = fakeRun(dir);
        Path html = dir.resolve("report.html");
        RunReport.write(new RunReport.Inputs(run, List.of(), List.of()), html);
        List<Chart> charts = charts(dom(dir, html));
        Path png = dir.resolve("report.png");
        Process p = chromium(dir, "--window-size=" + WIDTH + "," + HEIGHT, "--screenshot=" + png, html.toUri().toString());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        BufferedImage shot = ImageIO.read(png.toFile());
        Path keep = Path.of("target", "report-screenshots");       // for a person to look at
        Files.createDirectories(keep);
        Files.copy(png, keep.resolve("report.png"), StandardCopyOption.REPLACE_EXISTING);

        int blue = 0x1f77b4, red = 0xd62728;
        for (Chart c : charts) {
            assertTrue(c.plot[1] + c.plot[3] <= c.legend[1], c.title + ": legend below the plot area");
            assertTrue(c.legend[1] + c.legend[3] < HEIGHT, c.title + " lies outside the screenshot");
            int[] inner = {(int) c.plot[0] + 3, (int) c.plot[1] + 3, (int) c.plot[2] - 6, (int) c.plot[3] - 6};
            assertEquals(0, pixels(shot, inner, RunReportTest::isText), c.title + ": text pixels on the plot area");
            int[] legend = {(int) c.legend[0], (int) c.legend[1], (int) Math.ceil(c.legend[2]), (int) Math.ceil(c.legend[3])};
            assertTrue(pixels(shot, legend, RunReportTest::isText) > 20, c.title + ": no legend text where the DOM says");
            assertTrue(pixels(shot, inner, rgb -> near(rgb, blue)) > 0, c.title + ": first series not drawn");
        }
        Chart grads = charts.stream().filter(c -> c.title.equals("Gradient norms")).findFirst().orElseThrow();
        // (grad_norm_g is the axis minimum: its dot sits on the x axis, drawn over it)
        int[] plot = {(int) grads.plot[0] - 5, (int) grads.plot[1] - 5, (int) grads.plot[2] + 10, (int) grads.plot[3] + 10};
        assertTrue(pixels(shot, plot, rgb -> near(rgb, blue)) >= 20, "the one-point grad_norm_d is a visible dot");
        assertTrue(pixels(shot, plot, rgb -> near(rgb, red)) >= 20, "the one-point grad_norm_g is a visible dot");
        Chart losses = charts.stream().filter(c -> c.title.equals("Losses")).findFirst().orElseThrow();
        int[] corner = {(int) (losses.plot[0] + losses.plot[2]) - 8, (int) losses.plot[1] - 2, 10, 10};
        assertTrue(pixels(shot, corner, rgb -> near(rgb, red)) > 0, "loss_eg ends in the top-right corner, uncovered");
    }

    /** One chart of the dumped DOM: its title, page rectangles (x, y, width, height) and tick values. */
    record Chart(String title, String svg, double[] plot, double[] legend, List<Double> xTicks, List<Double> yTicks) {}

    static List<Chart> charts(String dom) {
        List<Chart> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?s)<svg class=\"chart\".*?</svg>").matcher(dom);
        while (m.find()) {
            String svg = m.group();
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            Matcher t = Pattern.compile("<text [^>]*text-anchor=\"(end|middle)\"[^>]*>(-?[0-9.]+)</text>").matcher(svg);
            while (t.find()) (t.group(1).equals("end") ? y : x).add(Double.parseDouble(t.group(2)));
            out.add(new Chart(attr(svg, "data-title"), svg, box(attr(svg, "data-plot-box")),
                    box(attr(svg, "data-legend-box")), x, y));
        }
        return out;
    }

    static String attr(String tag, String name) {
        Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(tag);
        assertTrue(m.find(), name + " missing in " + tag.substring(0, Math.min(200, tag.length())));
        return m.group(1);
    }

    static double[] box(String s) {
        return Arrays.stream(s.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    static int pixels(BufferedImage img, int[] r, java.util.function.IntPredicate test) {
        int n = 0;
        for (int y = Math.max(0, r[1]); y < Math.min(img.getHeight(), r[1] + r[3]); y++)
            for (int x = Math.max(0, r[0]); x < Math.min(img.getWidth(), r[0] + r[2]); x++)
                if (test.test(img.getRGB(x, y) & 0xffffff)) n++;
        return n;
    }

    /** Dark grey: text (#222/#333 and its anti-aliasing), not a coloured line, a light grid line or the #888 axes. */
    static boolean isText(int rgb) {
        int r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
        return Math.max(r, Math.max(g, b)) < 110 && Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) < 25;
    }

    static boolean near(int rgb, int color) {
        int d = 0;
        for (int shift = 0; shift <= 16; shift += 8) d += Math.abs((rgb >> shift & 255) - (color >> shift & 255));
        return d < 60;
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
