package io.bigbigan.twin;

import io.bigbigan.model.BiganMlpConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bigbigan.api.BigBiganModel;
import io.bigbigan.api.Bundle;
import io.bigbigan.api.FeatureKind;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.model.bigbigan.BigBigan;
import io.bigbigan.model.BigBiganConfig;
import io.bigbigan.model.bigbigan.DiscriminatorConfig;
import io.bigbigan.model.bigbigan.EncoderConfig;
import io.bigbigan.model.bigbigan.GeneratorConfig;
import io.bigbigan.model.mlp.BiganMlp;
import io.bigbigan.tools.BigbiganCli;
import io.bigbigan.trainer.checkpoint.Checkpoints;
import io.bigbigan.trainer.checkpoint.RunSettings;
import io.bigbigan.trainer.config.EmaConfig;
import io.bigbigan.bindings.Precision;
import io.bigbigan.trainer.config.Presets;
import io.bigbigan.trainer.config.RunConfig;
import io.bigbigan.trainer.step.PhaseTimes;
import io.bigbigan.trainer.step.StepTrainer;
import io.bigbigan.trainer.step.Trainers;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Java models and trainer against their PyTorch twin ({@code python/bigbigan_torch}, run with Debian's
 * python3-torch; see docs/pytorch-twin.md). Java writes weights, inputs, noise and its results to a temporary
 * folder; the twin loads the weights strictly, recomputes and reports relative differences
 * (max|twin - java| / max|java| per tensor), which must stay within {@link #FORWARD_TOL} for forward passes and
 * {@link #STEP_TOL} for a full training step.
 *
 * <p>Besides the real {@code bigan-mlp} and {@code bigbigan-32} presets, two narrow configurations cover every block
 * the 64/128 px presets use (self-attention in G and D, the shared embedding, ResNet-v2-50 bottlenecks with the
 * max-pool stem, RevNet blocks, an encoder at another resolution than G); every preset's names and shapes are
 * compared at full size, its forward passes only with {@code BIGBIGAN_TWIN_FULL=1} (minutes and several GB).
 */
class PyTorchTwinTest {
    static final double FORWARD_TOL = 1e-5, STEP_TOL = 1e-4;
    static final long Z_SEED = 12, TRUNC_SEED = 13, EPS_SEED = 14;

    // ----------------------------------------------------------------------------------------------- configurations

    /** 64 px: attention at 32 px in G and D, a shared embedding, ResNet-v2-50 (one unit per stage), narrow widths. */
    static RunConfig attention64() {
        var model = new BigBiganConfig(GeneratorConfig.biggan(64, 4, 120, 3, 32, 16, 1),
                EncoderConfig.resnet50(1, 64, 120).withDepths(1, 1, 1, 1).withHead(64, 1),
                DiscriminatorConfig.biggan(64, 8, 3, 32, 120, 64, 1, 64, 1));
        return narrow("bigbigan-64", model);
    }

    /** RevNet-50 units (two in stage 2) in an encoder at 64 px behind a 32 px G, as E at 256 px behind the 128 px G. */
    static RunConfig revnetResized() {
        var model = new BigBiganConfig(GeneratorConfig.biggan(32, 4, 120, 3, 0, 0, 1),
                EncoderConfig.revnet50(1, 64, 120).withDepths(1, 2, 1, 1).withHead(64, 1),
                DiscriminatorConfig.biggan(32, 4, 3, 0, 120, 32, 1, 32, 1));
        return narrow("bigbigan-revnet4x", model);
    }

    private static RunConfig narrow(String preset, BigBiganConfig model) {
        RunConfig base = Presets.get("bigbigan-32");
        return new RunConfig(preset, model, base.train());
    }

    /** A preset at batch {@code b}; BigBiGAN with EMA from step 0 (decay 0.9), so a step moves the EMA copies. */
    static RunConfig forTest(RunConfig c, int b) {
        var t = c.train().withBatchSize(b);
        if (t.ema().enabled()) t = t.withEma(new EmaConfig(true, 0.9, 0));
        return c.withTrain(t);
    }

    // ------------------------------------------------------------------------------------------------------ presets

    @Test
    void thePresetsOfTheTwinAreTheJavaPresets(@TempDir Path dir) throws IOException {
        Twin.requireTorch();
        StringBuilder json = new StringBuilder("{");
        for (String n : Presets.names())
            json.append(json.length() > 1 ? "," : "").append('"').append(n).append("\":").append(Presets.get(n).toJson());
        Files.writeString(dir.resolve("presets.json"), json.append('}'));
        assertTrue(Twin.run("presets", dir.resolve("presets.json").toString()).contains(Presets.names().size() + " presets equal"));
    }

    // ------------------------------------------------------------------------------------------------------ forward

    @Test
    void forwardBiganMlp(@TempDir Path dir) {
        forward(forTest(Presets.get("bigan-mlp"), 8), dir.resolve("32"));
        forward(fp64(forTest(Presets.get("bigan-mlp"), 8)), dir.resolve("64"));
    }

    @Test
    void forwardBigbigan32(@TempDir Path dir) {
        forward(forTest(Presets.get("bigbigan-32"), 4), dir.resolve("32"));
        forward(fp64(forTest(Presets.get("bigbigan-32"), 4)), dir.resolve("64"));
    }

    /**
     * In float64: at batch 2 a training-mode batch norm of E's last stage normalises 8 values per channel, which
     * leaves fp32 results only ~1e-5 apart (Java and PyTorch alike, measured against float64).
     */
    @Test
    void forwardWithAttentionSharedEmbeddingAndResNet50(@TempDir Path dir) {
        forward(fp64(forTest(attention64(), 2)), dir);
    }

    @Test
    void forwardWithRevNetAtAnotherResolution(@TempDir Path dir) {
        forward(fp64(forTest(revnetResized(), 2)), dir);
    }

    /**
     * Java side of {@code checks forward}: a checkpoint of perturbed weights (non-trivial batch-norm statistics,
     * attention gamma 0.3), inputs with the seeds they were drawn from, E/G/D outputs in evaluation and then in
     * training mode, the buffers after that, and the bundle, its exported state dict and the library's features.
     */
    static void forward(RunConfig config, Path tmp) {
        Twin.requireTorch();
        Path dir = Twin.workDir(tmp, "forward-" + config.preset() + "-" + config.train().batchSize() + "-"
                + config.train().precision().id());
        int n = config.train().batchSize();
        StepTrainer t = Trainers.create(config, Trainers.Setup.seed(3));
        perturb(t.model(), 7);
        Path ckpt = Checkpoints.save(dir.resolve("ck"), t, RunSettings.ofData("synthetic"));
        try (StepScope s = StepScope.open()) {
            copy(ckpt, dir.resolve("checkpoint.safetensors"));
            Map<String, Tensor> in = new LinkedHashMap<>(), out = new LinkedHashMap<>();
            Tensor x = Trainers.randomImages(config, n, torch.createCPUGenerator(11));
            if (config.train().precision() == Precision.FP64) x = x.to(torch.ScalarType.Double);
            Tensor z = t.inference().sampleLatent(n, torch.createCPUGenerator(Z_SEED), 0);
            Tensor zt = t.inference().sampleLatent(n, torch.createCPUGenerator(TRUNC_SEED), 0.5);
            in.put("x", x);
            in.put("z", z);
            in.put("z_trunc", zt);
            Module model = t.model();
            for (boolean train : new boolean[]{false, true}) {
                String p = train ? "train." : "eval.";
                model.train(train);
                try (NoGradGuard g = new NoGradGuard()) {
                    if (model instanceof BigBigan b) {
                        var e = b.encoder().forward(x, torch.createCPUGenerator(EPS_SEED));
                        out.put(p + "E.z", e.z());
                        out.put(p + "E.mu", e.mu());
                        out.put(p + "E.sigma", e.sigma());
                        out.put(p + "E.pooled", e.pooled());
                        out.put(p + "G", b.generator().forward(z));
                        out.put(p + "G.trunc", b.generator().forward(zt));
                        var sc = b.discriminator().forward(x, z);
                        out.put(p + "D.sx", sc.sx());
                        out.put(p + "D.sz", sc.sz());
                        out.put(p + "D.sxz", sc.sxz());
                    } else {
                        BiganMlp m = (BiganMlp) model;
                        var e = m.encoder().encode(x);
                        out.put(p + "E.z", e.z());
                        out.put(p + "E.hidden", e.hidden());
                        out.put(p + "G", m.generator().forward(z));
                        out.put(p + "G.trunc", m.generator().forward(zt));
                        out.put(p + "D", m.discriminator().forward(x, z));
                    }
                }
            }
            model.train(true);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("z_seed", Long.toString(Z_SEED));
            meta.put("trunc_seed", Long.toString(TRUNC_SEED));
            meta.put("truncation", "0.5");
            if (model instanceof BigBigan b) {
                int zDim = b.config().latentDim();
                in.put("eps", torch.randn(new long[]{n, zDim}, new GeneratorOptional(torch.createCPUGenerator(EPS_SEED)),
                        new TensorOptions(torch.ScalarType.Float)));
                meta.put("eps_seed", Long.toString(EPS_SEED));
            }
            Safetensors.write(dir.resolve("inputs.safetensors"), in, meta);
            Safetensors.write(dir.resolve("java.safetensors"), out, Map.of());
            Safetensors.write(dir.resolve("java_after.safetensors"), Modules.buffers(model), Map.of());

            Path bundle = dir.resolve("model.bundle");
            Bundle.write(bundle, io.bigbigan.tools.CheckpointBundles.fromCheckpoint(ckpt, io.bigbigan.trainer.step.Weights.EMA, 0));
            Bundle.exportStateDict(Bundle.read(bundle), dir.resolve("export.safetensors"));
            library(bundle, 5, dir.resolve("library.safetensors"));
        }
        Twin.run("forward", dir.toString(), "--tol", Double.toString(FORWARD_TOL));
        Twin.assertAgree(dir, "forward " + config.preset() + " (" + config.model().getClass().getSimpleName() + ")");
    }

    /** Random [0, 1] pixels of the bundle's image geometry and the library API's LATENT and POOLED features. */
    static void library(Path bundle, int n, Path out) {
        var pre = Bundle.read(bundle).preprocessing();
        Tensor pixels = torch.rand(new long[]{n, pre.channels(), pre.imageSize(), pre.imageSize()},
                new GeneratorOptional(torch.createCPUGenerator(17)), new TensorOptions(torch.ScalarType.Float));
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("pixels", pixels);
        try (BigBiganModel lib = BigBiganModel.load(bundle)) {
            float[] px = Tensors.toFloats(pixels);
            m.put("latent", rows(lib.encodePixels(px, n, FeatureKind.LATENT, 0)));
            m.put("pooled", rows(lib.encodePixels(px, n, FeatureKind.POOLED, 0)));
        }
        Safetensors.write(out, m, Map.of());
    }

    // --------------------------------------------------------------------------------------------------------- step

    @Test
    void trainingStepBiganMlp(@TempDir Path dir) {
        step(fp64(forTest(Presets.get("bigan-mlp"), 16)), dir.resolve("64"));
        step(forTest(Presets.get("bigan-mlp"), 16), dir.resolve("32"));
    }

    @Test
    void trainingStepBigbigan32(@TempDir Path dir) {
        step(fp64(forTest(Presets.get("bigbigan-32"), 4)), dir.resolve("64"));
        step(forTest(Presets.get("bigbigan-32"), 4), dir.resolve("32"));
    }

    @Test
    void trainingStepWithAttentionAndRevNet(@TempDir Path dir) {
        step(fp64(forTest(attention64(), 2)), dir.resolve("a"));
        step(fp64(forTest(revnetResized(), 2)), dir.resolve("r"));
    }

    static RunConfig fp64(RunConfig c) {
        return c.withTrain(c.train().withPrecision(Precision.FP64));
    }

    /**
     * Java side of {@code checks step}: weights before (perturbed, so attention and batch-norm statistics matter),
     * the batches, and the latents and posterior noise the step draws (the same draws, made from copies of the
     * trainer's generators taken before the step), then the weights after and the step's metrics.
     */
    static void step(RunConfig config, Path tmp) {
        Twin.requireTorch();
        Path dir = Twin.workDir(tmp, "step-" + config.preset() + "-" + config.train().batchSize() + "-"
                + config.train().precision().id());
        int b = config.train().batchSize(), k = config.train().dStepsPerGStep();
        StepTrainer t = Trainers.create(config, Trainers.Setup.seed(3));
        perturb(t.model(), 7);
        try (StepScope s = StepScope.open()) {
            Safetensors.write(dir.resolve("before.safetensors"), t.state(), Map.of("config", config.toJson()));
            Map<String, Tensor> in = new LinkedHashMap<>();
            Tensor data = Trainers.randomImages(config, (long) k * b, torch.createCPUGenerator(21));
            Generator latents = copyOf(t.generators().get("latent_rng"));
            for (int i = 0; i < k; i++) {
                in.put("x" + i, data.narrow(0, (long) i * b, b));
                in.put("z" + i, t.inference().sampleLatent(b, latents, 0));
            }
            Generator posterior = t.generators().get("posterior_rng");
            if (posterior != null) {
                Generator eps = copyOf(posterior);
                int zDim = config.model().latentDim();
                for (int i = 0; i <= k; i++)                      // one draw per E forward: k D updates, then E/G
                    in.put("eps" + i, torch.randn(new long[]{b, zDim}, new GeneratorOptional(eps),
                            new TensorOptions(torch.ScalarType.Float)));
            }
            Safetensors.write(dir.resolve("inputs.safetensors"), in, Map.of());
            int[] calls = {0};
            StepTrainer.StepMetrics m = t.step(() -> data.narrow(0, (long) b * calls[0]++, b));
            assertEquals(k, calls[0]);
            Safetensors.write(dir.resolve("after.safetensors"), t.state(), Map.of());
            Map<String, Tensor> grads = new LinkedHashMap<>();       // D: its last update's; G, E: the E/G update's
            Modules.parameters(t.model()).forEach((name, p) -> { if (p.grad().defined()) grads.put(name, p.grad()); });
            Safetensors.write(dir.resolve("grads.safetensors"), grads, Map.of());
            Map<String, Double> metrics = new LinkedHashMap<>(m.extra());
            metrics.put("loss_d", m.lossD());
            metrics.put("loss_eg", m.lossEG());
            metrics.put("acc_d", m.accD());
            new ObjectMapper().writeValue(dir.resolve("metrics.json").toFile(), metrics);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Twin.run("step", dir.toString(), "--tol", Double.toString(STEP_TOL));
        Twin.assertAgree(dir, "training step " + config.preset());
    }

    // ------------------------------------------------------------------------------------------------ loading back

    @Test
    void twinTrainedWeightsConvertToBundlesThatEncodeTheSame(@TempDir Path dir) throws IOException {
        for (String preset : new String[]{"bigan-mlp", "bigbigan-32"}) {
            Path d = Files.createDirectories(dir.resolve(preset));
            Twin.run("twin-export", d.toString(), preset);
            Path bundle = d.resolve("twin.bundle");
            int code = BigbiganCli.commandLine().execute("convert", d.resolve("twin.safetensors").toString(),
                    bundle.toString(), "--preset", preset, "--image-size", "28");
            assertEquals(0, code, "convert of the twin's state dict");
            try (StepScope s = StepScope.open(); BigBiganModel m = BigBiganModel.load(bundle)) {
                var expected = Safetensors.read(d.resolve("twin_features.safetensors")).tensors();
                Tensor pixels = expected.get("pixels");
                int n = (int) pixels.size(0);
                float[] px = Tensors.toFloats(pixels);
                double worst = 0;
                for (var kind : new FeatureKind[]{FeatureKind.LATENT, FeatureKind.POOLED}) {
                    Tensor java = rows(m.encodePixels(px, n, kind, 0));
                    Tensor twin = expected.get(kind == FeatureKind.LATENT ? "latent" : "pooled");
                    assertTrue(twin.abs().max().item_double() > 1e-3, "the twin's features are not all ~0");
                    double rel = relative(java, twin);
                    worst = Math.max(worst, rel);
                    assertTrue(rel <= FORWARD_TOL, preset + " " + kind + ": Java encodes the twin's weights "
                            + rel + " away from the twin");
                }
                System.out.printf(java.util.Locale.ROOT, "twin-trained %s -> bundle: features within %.3e%n", preset, worst);
            }
        }
    }

    @Test
    void theShippedVersionOneFilesLoadStrictly() {
        Twin.run("load", resource("/checkpoints/v1-bigan-mlp-tiny.safetensors"),
                resource("/bundles/v1-bigan-mlp-tiny.bundle"));
    }

    /**
     * Every preset at full size: the twin's G, E and D have exactly the state names and shapes of the Java networks
     * (what {@code load_state_dict(strict=True)} checks), so every checkpoint, bundle and export loads strictly.
     */
    @Test
    void everyPresetHasTheJavaNamesAndShapes(@TempDir Path dir) throws IOException {
        Twin.requireTorch();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("shapes"));
        for (String preset : Presets.names()) {
            Path f = dir.resolve(preset + ".json");
            shapes(Presets.get(preset), f);
            args.add(f.toString());
        }
        String out = Twin.run(args.toArray(String[]::new));
        assertEquals(Presets.names().size(), out.lines().filter(l -> l.contains("names and shapes equal")).count());
    }

    /**
     * The presets at full size up to 200M parameters, forward check at batch 2 in float64 (opt-in, a minute and GBs
     * each: {@code BIGBIGAN_TWIN_FULL=1} for all, or a comma-separated list). In fp32 a training-mode batch norm over
     * E's last stage at batch 2 sees 8-32 values per channel, which leaves ~1e-5 of rounding.
     */
    @Test
    void fullSizePresets(@TempDir Path dir) throws IOException {
        String full = System.getenv("BIGBIGAN_TWIN_FULL");
        assumeTrue(full != null && !full.isBlank(), "set BIGBIGAN_TWIN_FULL=1 (or a list of presets) for the full-size presets");
        for (String preset : full.equals("1") ? Presets.names() : java.util.List.of(full.split(","))) {
            Path d = Files.createDirectories(dir.resolve(preset));
            RunConfig config = Presets.get(preset);
            if (shapes(config, d.resolve("shapes.json")) <= 200_000_000L) forward(fp64(forTest(config, 2)), d);
            deleteTree(d);
        }
    }

    /** Writes the configuration and the names and shapes of G, E and D as Java builds them; returns the parameters. */
    static long shapes(RunConfig config, Path out) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long params = 0;
        try (StepScope s = StepScope.open()) {
            Module[] nets = config.model() instanceof BigBiganConfig b
                    ? new Module[]{new io.bigbigan.model.bigbigan.BigGanGenerator(b.generator(), false),
                    new io.bigbigan.model.bigbigan.StochasticEncoder(b.encoder()),
                    new io.bigbigan.model.bigbigan.JointDiscriminator(b.discriminator())}
                    : new Module[]{new BiganMlp((io.bigbigan.model.BiganMlpConfig) config.model())};
            for (int i = 0; i < nets.length; i++) {
                String prefix = nets.length == 1 ? "" : new String[]{"G.", "E.", "D."}[i];
                for (var e : Modules.state(nets[i]).entrySet()) shapes.put(prefix + e.getKey(), Tensors.shape(e.getValue()));
                params += Modules.parameterCount(nets[i]);
                nets[i].close();
            }
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("config", new ObjectMapper().readTree(config.toJson()));
        json.put("shapes", shapes);
        new ObjectMapper().writeValue(out.toFile(), json);
        return params;
    }

    // ------------------------------------------------------------------------------------------------------ helpers

    /**
     * Moves every parameter a little off its initial value (and attention's gamma from 0 to 0.3), and gives the
     * batch norms non-trivial running statistics, so that evaluation mode and every branch are exercised.
     */
    static void perturb(Module model, long seed) {
        Generator g = torch.createCPUGenerator(seed);
        TensorOptions f32 = new TensorOptions(torch.ScalarType.Float);
        try (StepScope s = StepScope.open(); NoGradGuard ng = new NoGradGuard()) {
            for (var e : Modules.parameters(model).entrySet()) {
                Tensor p = e.getValue();
                if (e.getKey().endsWith("gamma")) {
                    p.fill_(new Scalar(0.3));
                    continue;
                }
                double scale = 0.05 * (p.abs().mean().item_double() + 0.05);
                p.add_(torch.randn(p.sizes().vec().get(), new GeneratorOptional(g), f32).mul(new Scalar(scale)));
            }
            for (var e : Modules.buffers(model).entrySet()) {
                Tensor b = e.getValue();
                if (e.getKey().endsWith("running_mean"))
                    b.copy_(torch.randn(b.sizes().vec().get(), new GeneratorOptional(g), f32).mul(new Scalar(0.1)));
                else if (e.getKey().endsWith("running_var"))
                    b.copy_(torch.rand(b.sizes().vec().get(), new GeneratorOptional(g), f32).add(new Scalar(0.5)));
            }
        }
    }

    static Generator copyOf(Generator g) {
        Generator c = torch.createCPUGenerator(0);
        c.set_state(g.get_state());
        return c;
    }

    static Tensor rows(float[][] v) {
        float[] flat = new float[v.length * v[0].length];
        for (int i = 0; i < v.length; i++) System.arraycopy(v[i], 0, flat, i * v[0].length, v[0].length);
        return Tensors.of(flat, v.length, v[0].length);
    }

    static double relative(Tensor a, Tensor b) {
        double d = a.sub(b).abs().max().item_double(), scale = b.abs().max().item_double();
        return scale > 0 ? d / scale : d;
    }

    static void copy(Path from, Path to) {
        try {
            Files.copy(from, to);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String resource(String name) {
        try {
            return Path.of(PyTorchTwinTest.class.getResource(name).toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path d) throws IOException {
        try (var files = Files.walk(d)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
