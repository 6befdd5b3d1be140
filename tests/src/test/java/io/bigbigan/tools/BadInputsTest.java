package io.bigbigan.tools;

import io.bigbigan.nativelib.CpuFeatures;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.checkpoint.RunSettings;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.model.images.ImageFiles;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.Trainers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;

import static io.bigbigan.tools.CliSmokeTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad images through encode (the rules and messages of image folders; truncated files detected), LibTorch's
 * out-of-memory errors as one line, and the warning for bf16 that the CPU only emulates.
 */
class BadInputsTest {
    @TempDir
    static Path dir;
    static Path model, images, good, empty, truncatedJpeg;

    @BeforeAll
    static void setUp() throws IOException {
        model = Checkpoints.save(dir.resolve("model"), Trainers.create(Presets.get("bigan-mlp"), Trainers.Setup.seed(1)),
                RunSettings.ofData("synthetic"));
        images = Files.createDirectories(dir.resolve("images"));
        good = images.resolve("a-good.png");
        ImageIO.write(noise(28, 28), "png", good.toFile());
        empty = Files.createFile(images.resolve("b-empty.png"));
        Path jpeg = dir.resolve("whole.jpg");
        ImageIO.write(noise(96, 96), "jpg", jpeg.toFile());
        byte[] bytes = Files.readAllBytes(jpeg);
        truncatedJpeg = Files.write(images.resolve("c-truncated.jpg"), Arrays.copyOf(bytes, bytes.length / 2));
    }

    private static BufferedImage noise(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(3);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt(1 << 24));
        return img;
    }

    @Test
    void truncatedPngAndJpegFilesAreDetected() throws IOException {
        assertEquals(28, ImageFiles.read(good, ImageFiles.DEFAULT_MAX_PIXELS).getWidth());
        var e = assertThrows(IOException.class, () -> ImageFiles.read(truncatedJpeg, ImageFiles.DEFAULT_MAX_PIXELS));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        byte[] png = Files.readAllBytes(good);
        Path cut = Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length - 12));   // without IEND
        var p = assertThrows(IOException.class, () -> ImageFiles.read(cut, ImageFiles.DEFAULT_MAX_PIXELS));
        assertTrue(p.getMessage().contains("truncated"), p.getMessage());
    }

    @Test
    void encodeFollowsOnBadImageForFilesAndFoldersGivenOnTheCommandLine() throws IOException {
        Path out = dir.resolve("f.csv");
        var fail = cli("encode", "--model", model.toString(), images.toString(), "--out", out.toString());
        assertEquals(1, fail.code(), fail.err());
        assertTrue(fail.err().startsWith("bigbigan encode: error: " + empty + ": cannot decode image ("), fail.err());
        assertTrue(fail.err().contains("use --on-bad-image skip to leave bad files out"), fail.err());
        var jpeg = cli("encode", "--model", model.toString(), truncatedJpeg.toString(), "--out", out.toString());
        assertEquals(1, jpeg.code(), jpeg.err());
        assertTrue(jpeg.err().contains(truncatedJpeg + ": cannot decode image (") && jpeg.err().contains("truncated"),
                jpeg.err());

        var skip = cli("encode", "--model", model.toString(), images.toString(), "--out", out.toString(),
                "--on-bad-image", "skip");
        assertEquals(0, skip.code(), skip.err());
        assertTrue(skip.out().contains("wrote 1 x "), skip.out());
        assertEquals(2, Files.readAllLines(out).size(), "header and one row");
        assertTrue(Files.readString(out).contains(good.toString()));

        var limit = cli("encode", "--model", model.toString(), good.toString(), "--out", out.toString(),
                "--max-image-pixels", "0");
        assertEquals(2, limit.code(), limit.err());
        var small = cli("encode", "--model", model.toString(), good.toString(), "--out", out.toString(),
                "--max-image-pixels", "100");
        assertEquals(1, small.code(), small.err());
        assertTrue(small.err().contains(good + ": cannot decode image (28x28 = 784 pixels exceeds the limit of 100"),
                small.err());
    }

    @Test
    void libTorchOutOfMemoryIsOneLineWithWhatWasAsked() {
        var root = BigbiganCli.commandLine();
        root.parseArgs("train", "--preset", "bigbigan-32", "--batch", "12000");
        var train = root.getSubcommands().get("train");
        String frames = "DefaultCPUAllocator: not enough memory: you tried to allocate 61847529472 bytes.\n"
                + "Exception raised from alloc_cpu at /pytorch/c10/core/impl/alloc_cpu.cpp:116 (most recent call first):\n"
                + "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x9b (0x7f in libc10.so)\n"
                + "frame #1: c10::alloc_cpu(unsigned long) + 0x3f1 (0x7f in libc10.so)\n";
        String line = BigbiganCli.nativeOutOfMemory(new RuntimeException(new RuntimeException(frames)),
                train.getCommandSpec());
        assertEquals("out of native memory: LibTorch could not allocate 61,847,529,472 bytes (57.6 GiB) (--preset"
                + " bigbigan-32, --batch 12000); try a smaller --batch (training; --accumulate K splits a batch into K"
                + " passes) or --eval-batch (evaluation, sampling, image grids), or free memory (--verbose prints"
                + " LibTorch's frames)", line);
        assertNull(BigbiganCli.nativeOutOfMemory(new RuntimeException("shape mismatch"), train.getCommandSpec()));
        assertEquals("Expected a tensor of rank 2.", BigbiganCli.oneLine(new RuntimeException(
                "Expected a tensor of rank 2.\nException raised from check at x.cpp:1 (most recent call first):\nframe #0: f")));
    }

    @Test
    void anExplicitBf16OnACpuWithoutNativeBf16IsOneWarning() {
        CpuFeatures avx2 = new CpuFeatures(Set.of("avx2"), "AVX2"), bf16 = new CpuFeatures(Set.of("avx2", "avx512f",
                "avx512_bf16"), "AVX512"), amx = new CpuFeatures(Set.of("amx_tile", "amx_bf16"), "AVX512");
        String w = EmulatedBf16.warning("bf16", Precision.BF16, false, avx2);
        assertEquals("--precision bf16 on a CPU without native bf16 (no avx512_bf16 or amx_bf16; LibTorch dispatches"
                + " AVX2): bf16 products are emulated, measured about 80x slower than fp32 (bigan-mlp: 8.9 s vs 0.108 s"
                + " per step on AVX2); --precision auto picks fp32 here", w);
        assertNull(EmulatedBf16.warning("bf16", Precision.BF16, false, bf16));
        assertNull(EmulatedBf16.warning("BF16", Precision.BF16, false, amx));
        assertNull(EmulatedBf16.warning("bf16", Precision.BF16, true, avx2));        // CUDA
        assertNull(EmulatedBf16.warning("auto", Precision.BF16, false, avx2));
        assertNull(EmulatedBf16.warning("fp32", Precision.FP32, false, avx2));
        assertNull(EmulatedBf16.warning(null, Precision.FP32, false, avx2));
    }
}
