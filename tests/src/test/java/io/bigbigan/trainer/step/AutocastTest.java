package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Autocast;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.model.bigbigan.BigBigan;
import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.bigbigan.JointDiscriminator.Scores;
import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.objective.BigBiganObjective;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutocastTest {
    /**
     * Accepted difference of bf16-autocast outputs from fp32 ones (bf16 has 8 mantissa bits, relative rounding
     * 2^-9 = 2e-3 per op): relative L2 difference, the scalar losses relative to their own size.
     */
    static final double TOLERANCE = 5e-2;

    /**
     * ScoreLoss holds a {@code static final Scalar}: if its class is first initialised inside a StepScope, that
     * Scalar is attached to the scope and freed when it closes (NPE in the next step). Initialise it outside.
     */
    @BeforeAll
    static void initialiseObjectiveOutsideAnyScope() throws ClassNotFoundException {
        Class.forName("io.bigbigan.trainer.objective.ScoreLoss", true, AutocastTest.class.getClassLoader());
    }

    private static ScalarType dtype(Tensor t) {
        return t.scalar_type().intern();
    }

    @Test
    void linearRunsInBf16WithFloatGradients() {
        LinearImpl fc = new LinearImpl(8, 4);
        try (StepScope s = StepScope.open()) {
            Tensor x = torch.randn(3, 8);
            Tensor y;
            try (Autocast a = Autocast.cpu()) {
                assertTrue(Autocast.isEnabled(DeviceType.CPU));
                y = fc.forward(x);                                           // [3, 4]
            }
            assertFalse(Autocast.isEnabled(DeviceType.CPU));
            assertSame(ScalarType.BFloat16, dtype(y));
            y.to(ScalarType.Float).sum().backward();
            assertSame(ScalarType.Float, dtype(fc.weight().grad()));
            assertSame(ScalarType.Float, dtype(fc.weight()));
            assertSame(ScalarType.Float, dtype(fc.forward(x)), "fp32 again outside the block");
        }
    }

    @Test
    void nestedBlocksRestoreThePreviousState() {
        assertFalse(Autocast.isEnabled(DeviceType.CPU));
        try (Autocast outer = Autocast.cpu()) {
            try (Autocast inner = new Autocast(DeviceType.CPU, ScalarType.BFloat16, false)) {
                assertFalse(Autocast.isEnabled(DeviceType.CPU));
            }
            assertTrue(Autocast.isEnabled(DeviceType.CPU));
            assertSame(ScalarType.BFloat16, torch.get_autocast_dtype(DeviceType.CPU).intern());
            outer.close();
            outer.close();                                                   // idempotent
            assertFalse(Autocast.isEnabled(DeviceType.CPU));
        }
        assertFalse(Autocast.isEnabled(DeviceType.CPU));
    }

    @Test
    void conv2dUnderAutocast() {
        Conv2dOptions o = new Conv2dOptions(3, 5, new LongPointer(3L, 3L));
        Conv2dImpl conv = new Conv2dImpl(o);
        try (StepScope s = StepScope.open(); Autocast a = Autocast.cpu()) {
            Tensor y = conv.forward(torch.randn(2, 3, 8, 8));
            System.out.println("[autocast] conv2d output dtype under CPU autocast: " + dtype(y));
            assertSame(ScalarType.BFloat16, dtype(y));
        }
    }

    /** One bigbigan-32 forward (eval mode: no BN/SN state changes) in fp32 and under bf16 autocast; then timings. */
    @Test
    void bigbigan32ForwardAndLossesMatchFp32WithinTolerance() {
        Torch.seed(11);
        BigBigan model = new BigBigan(BigBiganConfig.bigbigan32(1));
        var gen = torch.createCPUGenerator(3);
        TensorOptions f = new TensorOptions(ScalarType.Float);
        Tensor x = torch.rand(new long[]{4, 1, 32, 32}, new GeneratorOptional(gen), f).mul(new org.bytedeco.pytorch.Scalar(2))
                .sub(new org.bytedeco.pytorch.Scalar(1));
        Tensor z = torch.randn(new long[]{4, 120}, new GeneratorOptional(gen), f);
        model.eval();
        for (int run = 0; run < 2; run++) {
            try (StepScope s = StepScope.open()) {
                Tensor[] out;
                if (run == 0) out = forward(model, x, z);
                else try (Autocast a = Autocast.cpu()) { out = forward(model, x, z); }
                if (run == 0) fp32 = keep(out);
                else {
                    String[] names = {"G(z)", "E(x).mu", "s_xz", "loss D", "loss E/G"};
                    for (int i = 0; i < out.length; i++) {
                        Tensor a = fp32[i], b = out[i].to(ScalarType.Float);
                        // Each output against its own size, the E/G loss included (measured on an AMD CPU with
                        // AVX512-BF16: 1.0% for the E/G loss, 0.1% for the D loss). When D's 1x1 shortcut on the
                        // one-channel image still ran on LibTorch's faulty bf16 kernel (Convolutions), the E/G loss
                        // was 56% off here.
                        double scale = Math.max(a.norm().item_double(), i >= 3 ? 1e-3 : 0);
                        double rel = a.sub(b).norm().item_double() / scale;
                        System.out.printf("[autocast] bigbigan-32 %-8s fp32 %.6f, bf16 %.6f (first element)%n", names[i],
                                a.flatten(0, -1).select(0, 0).item_double(), b.flatten(0, -1).select(0, 0).item_double());
                        System.out.printf("[autocast] bigbigan-32 %-8s fp32 dtype %s, autocast dtype %s, difference %.3e%n",
                                names[i], dtype(a), dtype(out[i]), rel);
                        assertTrue(rel < TOLERANCE, names[i] + " relative difference " + rel);
                    }
                    for (Tensor t : fp32) StepScope.release(t);
                }
            }
        }
    }

    /**
     * Opt-in timing (-Dbigbigan.bench=true): best of 2 of one bigbigan-32 forward (G, E, D and the D loss) and its
     * backward at batch 4, fp32 vs bf16 autocast, train mode. On CPUs with native bf16 (AVX512-BF16/AMX) bf16 is
     * the faster one: `bench` measured the whole bigbigan-32 step ~3x faster in bf16 than in fp32
     * (docs/performance.md); without native bf16 oneDNN emulates it and it is slower than fp32.
     */
    @Test
    @EnabledIfSystemProperty(named = "bigbigan.bench", matches = "true")
    void bigbigan32TimingFp32VersusBf16() {
        Torch.seed(11);
        BigBigan model = new BigBigan(BigBiganConfig.bigbigan32(1));
        Tensor x = torch.rand(4, 1, 32, 32).mul(new org.bytedeco.pytorch.Scalar(2)).sub(new org.bytedeco.pytorch.Scalar(1));
        Tensor z = torch.randn(4, 120);
        model.train(true);
        for (boolean bf16 : new boolean[]{false, true})
            try (StepScope s = StepScope.open(); Autocast a = new Autocast(DeviceType.CPU, ScalarType.BFloat16, bf16)) {
                long t0 = System.nanoTime();
                Tensor gz = model.generator().forward(z);
                long t1 = System.nanoTime();
                Tensor ez = model.encoder().forward(x).z();
                long t2 = System.nanoTime();
                model.discriminator().forward(x, z);
                long t3 = System.nanoTime();
                System.out.printf("[autocast] %s forward only: G %.1f ms, E %.1f ms, D %.1f ms%n", bf16 ? "bf16" : "fp32",
                        (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
            }
        for (boolean bf16 : new boolean[]{false, true}) {
            long fwd = Long.MAX_VALUE, bwd = Long.MAX_VALUE;
            for (int rep = 0; rep < 2; rep++) {
                try (StepScope s = StepScope.open()) {
                    long t0 = System.nanoTime();
                    Tensor loss;
                    if (bf16) try (Autocast a = Autocast.cpu()) { loss = forward(model, x, z)[3]; }
                    else loss = forward(model, x, z)[3];
                    long t1 = System.nanoTime();
                    model.zero_grad(true);
                    loss.backward();
                    long t2 = System.nanoTime();
                    fwd = Math.min(fwd, t1 - t0);
                    bwd = Math.min(bwd, t2 - t1);
                }
            }
            System.out.printf("[autocast] bigbigan-32 batch 4 %s: forward %.1f ms, backward %.1f ms%n",
                    bf16 ? "bf16 autocast" : "fp32", fwd / 1e6, bwd / 1e6);
        }
    }

    private Tensor[] fp32;

    private static Tensor[] keep(Tensor[] ts) {
        for (Tensor t : ts) StepScope.keep(t);
        return ts;
    }

    /** G(z), E(x).mu, s_xz, D loss, E/G loss. */
    private static Tensor[] forward(BigBigan m, Tensor x, Tensor z) {
        Tensor gz = m.generator().forward(z);                                        // [4, 1, 32, 32]
        Tensor mu = m.encoder().forward(x, torch.createCPUGenerator(1)).mu();         // [4, 120]
        Scores[] s = BigBiganObjective.split(m.discriminator().forward(torch.cat(new TensorVector(x, gz.to(ScalarType.Float)), 0),
                torch.cat(new TensorVector(mu.to(ScalarType.Float), z), 0)), 4);
        return new Tensor[]{gz, mu, s[0].sxz(), BigBiganObjective.discriminatorLoss(s[0], s[1]),
                BigBiganObjective.encoderGeneratorLoss(s[0], s[1])};
    }

}
