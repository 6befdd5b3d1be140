package io.bigbigan.model.layers;

import io.bigbigan.nativelib.Torch;
import io.bigbigan.support.ChildJvm;
import io.bigbigan.bindings.Autocast;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The input gradient of G's output convolution (128 -> 1 channels) stays finite and repeatable under the launcher's
 * malloc settings, which reuse freed memory: LibTorch's CPU backward for convolutions with few output channels reads
 * memory it did not write, and bigbigan-32 bf16 runs stopped at step 1 or 2 with a NaN or an overflowing gradient
 * of G ({@link Convolutions}). Runs in a child JVM with the launcher's {@code GLIBC_TUNABLES}.
 */
class ConvolutionBackwardTest {
    static final int ROUNDS = 60;

    @Test
    void outputConvolutionGradientsAreFiniteAndRepeatableUnderTheLaunchersAllocator(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String launcher = Files.readString(ChildJvm.root().resolve("bigbigan"));
        Matcher m = Pattern.compile("GLIBC_TUNABLES:-([^}\"]+)").matcher(launcher);
        assertTrue(m.find(), "the launcher sets GLIBC_TUNABLES");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                ConvolutionBackwardTest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile());
        pb.environment().put("GLIBC_TUNABLES", m.group(1));
        Process p = pb.start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child finished");
        String out = Files.readString(dir.resolve("log"));
        assertEquals(0, p.exitValue(), out);
        Matcher r = Pattern.compile("(?:snconv|narrow|pointwise) (fp32|bf16) bad (\\d+)").matcher(out);
        int seen = 0;
        while (r.find()) {
            seen++;
            assertEquals("0", r.group(2), r.group(1) + ": rounds whose convolution outputs or input gradients were not finite or not "
                    + "repeatable, of " + ROUNDS + "\n" + out);
        }
        assertEquals(6, seen, out);
    }

    /**
     * Rounds, of {@link #ROUNDS} identical ones, in which SNConv2d(1, 128, 1) (D's shortcut on grayscale images, in the
     * channels-last layout the trainer uses) gives a non-finite output or one that differs from the first round's, or
     * whose first round is not within bf16 rounding of the fp32 product.
     */
    static int pointwiseBadRounds(boolean bf16) {
        torch.manual_seed(3);
        SNConv2d conv = new SNConv2d(1, 128, 1);
        conv.eval();
        conv.weightOrig().set_data(io.bigbigan.bindings.Tensors.channelsLast(conv.weightOrig()));
        int bad = 0;
        Tensor reference = null;
        for (int i = 0; i < ROUNDS; i++) {
            try (PointerScope scope = new PointerScope()) {
                torch.manual_seed(5);
                Tensor x = io.bigbigan.bindings.Tensors.channelsLast(torch.tanh(torch.randn(32, 1, 16, 16)));
                Tensor y;
                try (Autocast a = bf16 ? Autocast.cpu() : null) {
                    y = conv.forward(x).to(torch.ScalarType.Float);                        // [B, 128, H, W]
                }
                if (reference == null) {
                    reference = y.clone();
                    reference.retainReference();
                    Tensor exact;
                    try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
                        exact = conv.forward(x);                                           // fp32
                    }
                    if (!torch.allclose(y, exact, 2e-2, 2e-2, false)) bad++;
                }
                if (!torch.isfinite(y).all().item_bool() || !torch.equal(y, reference)) bad++;
            }
        }
        return bad;
    }

    /**
     * Child: {@link #ROUNDS} identical forward/backward passes of SNConv2d(128, 1, 3) per precision, counting the
     * rounds whose input gradient is not finite or differs from the first round's; also the same count for a plain
     * conv2d (information only: it shows whether this LibTorch still needs the padding).
     */
    public static void main(String[] args) {
        Torch.load();
        torch.set_num_threads(1);
        for (String precision : List.of("fp32", "bf16")) {
            int bad = 0, plainBad = 0;
            torch.manual_seed(3);
            SNConv2d conv = new SNConv2d(128, 1, 3);
            conv.eval();                                    // no power iteration: every round the same weight
            Tensor reference = null, plainReference = null;
            for (int i = 0; i < ROUNDS; i++) {
                try (PointerScope scope = new PointerScope()) {
                    torch.manual_seed(5);
                    Tensor x = torch.randn(16, 128, 32, 32).requires_grad_(true);           // [B, C, H, W]
                    Tensor xp = x.detach().clone().requires_grad_(true);
                    try (Autocast a = precision.equals("bf16") ? Autocast.cpu() : null) {
                        Tensor y = conv.forward(x);                                         // [B, 1, H, W]
                        torch.tanh(y).to(torch.ScalarType.Float).pow(new Scalar(2)).sum().backward();
                        Tensor yp = torch.conv2d(xp, conv.weightOrig().detach(), new TensorOptional(),
                                new long[]{1, 1}, new long[]{1, 1}, new long[]{1, 1}, 1);
                        torch.tanh(yp).to(torch.ScalarType.Float).pow(new Scalar(2)).sum().backward();
                    }
                    if (reference == null) {
                        reference = x.grad().clone();
                        reference.retainReference();
                    }
                    if (!torch.isfinite(x.grad()).all().item_bool() || !torch.equal(x.grad(), reference)) bad++;
                    if (plainReference == null && torch.isfinite(xp.grad()).all().item_bool()) {
                        plainReference = xp.grad().clone();
                        plainReference.retainReference();
                    }
                    if (!torch.isfinite(xp.grad()).all().item_bool()
                            || (plainReference != null && !torch.equal(xp.grad(), plainReference))) plainBad++;
                }
            }
            System.out.println("snconv " + precision + " bad " + bad);
            bad = 0;
            torch.manual_seed(3);
            var narrow = new org.bytedeco.pytorch.Conv2dImpl(new org.bytedeco.pytorch.Conv2dOptions(32, 8,
                    new org.bytedeco.javacpp.LongPointer(3, 3)));
            narrow.options().padding().put(new org.bytedeco.javacpp.LongPointer(1, 1));
            Tensor narrowReference = null;
            for (int i = 0; i < ROUNDS; i++) {
                try (PointerScope scope = new PointerScope()) {
                    torch.manual_seed(5);
                    Tensor x = torch.randn(16, 32, 32, 32).requires_grad_(true);            // [B, C, H, W]
                    try (Autocast a = precision.equals("bf16") ? Autocast.cpu() : null) {
                        Tensor y = FlopCounter.forward(narrow, x);                          // [B, 8, H, W]
                        torch.tanh(y).to(torch.ScalarType.Float).pow(new Scalar(2)).sum().backward();
                    }
                    if (narrowReference == null) {
                        narrowReference = x.grad().clone();
                        narrowReference.retainReference();
                    }
                    if (!torch.isfinite(x.grad()).all().item_bool() || !torch.equal(x.grad(), narrowReference)) bad++;
                }
            }
            System.out.println("narrow " + precision + " bad " + bad);
            System.out.println("pointwise " + precision + " bad " + pointwiseBadRounds(precision.equals("bf16")));
            System.out.println("plain conv2d " + precision + " bad " + plainBad + " (information)");
        }
    }
}
