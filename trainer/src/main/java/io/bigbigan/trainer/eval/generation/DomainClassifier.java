package io.bigbigan.trainer.eval.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bigbigan.bindings.AtomicFiles;
import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Optimizers;
import io.bigbigan.bindings.Safetensors;
import io.bigbigan.bindings.SafetensorsFile;
import io.bigbigan.bindings.StepScope;
import io.bigbigan.trainer.data.ImageDataset;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A small ConvNet classifier trained on the labelled dataset itself, the stand-in for Inception on data where
 * ImageNet features are meaningless (MNIST-like digits and clothes): its penultimate features give a
 * <em>domain Fréchet distance</em> and its class probabilities a <em>domain Inception-style score</em>.
 *
 * <p>Network ({@code x} in [0, 1], mapped to [-1, 1]; images of another size are resized bilinearly first):
 * conv3x3(C, 32) ReLU maxpool2, conv3x3(32, 64) ReLU maxpool2, flatten, Linear(64 (H/4)(W/4), 128) ReLU
 * (the 128-d <em>features</em>), Linear(128, K) (the <em>logits</em>). Trained with Adam (1e-3) on cross-entropy.
 *
 * <p>Saved as a folder: {@code classifier.safetensors} (PyTorch-style names {@code conv1.weight}, ...) and
 * {@code classifier.json} (shape, classes, dataset, epochs, seed, test accuracy and the id: the first 16 hex digits of
 * the weights' SHA-256, which keys cached reference statistics).
 */
public final class DomainClassifier implements ImageFeatureExtractor {
    /** Weights file inside a classifier folder. */
    public static final String WEIGHTS = "classifier.safetensors";
    /** Description file inside a classifier folder. */
    public static final String DESCRIPTION = "classifier.json";
    private static final String FORMAT = "bigbigan-domain-classifier";
    private static final int FEATURES = 128;
    private static final ObjectMapper JSON = io.bigbigan.bindings.Json.MAPPER;

    /** Where the classifier was trained and how well it does. */
    public record Info(int channels, int height, int width, int classes, String dataset, int epochs, long seed,
                       long trainImages, double testAccuracy, String id) {}

    private final Net net;
    private final Info info;

    private DomainClassifier(Net net, Info info) {
        this.net = net;
        this.info = info;
    }

    /** The classifier's description. */
    public Info info() {
        return info;
    }

    @Override
    public String name() {
        return "domain";
    }

    @Override
    public String id() {
        return info.id();
    }

    @Override
    public Tensor features(Tensor images) {
        try (NoGradGuard g = new NoGradGuard()) {
            net.eval();
            return net.features(adapt(images));                                           // [B, 128]
        }
    }

    @Override
    public Tensor logits(Tensor images) {
        try (NoGradGuard g = new NoGradGuard()) {
            net.eval();
            return net.fc2.forward(net.features(adapt(images)));                          // [B, K]
        }
    }

    /** Checks channels and resizes to the training resolution; [B, C, H', W'] -> [B, C, H, W]. */
    private Tensor adapt(Tensor x) {
        if (x.dim() != 4 || x.size(1) != info.channels())
            throw new IllegalArgumentException("the domain classifier expects [B, " + info.channels()
                    + ", H, W] images, got " + java.util.Arrays.toString(io.bigbigan.bindings.Tensors.shape(x)));
        if (x.size(2) == info.height() && x.size(3) == info.width()) return x;
        var o = new org.bytedeco.pytorch.InterpolateFuncOptions();
        o.size().put(new org.bytedeco.pytorch.LongVector(info.height(), info.width()));
        o.mode().put(new org.bytedeco.pytorch.kBilinear());
        o.align_corners().put(false);
        return torch.interpolate(x, o);                                                    // [B, C, H, W]
    }

    /**
     * Trains a classifier on {@code train} for {@code epochs} epochs (batches of 128), measures its accuracy on
     * {@code test}, and writes it to {@code dir} (created if needed; files written atomically).
     */
    public static DomainClassifier train(ImageDataset train, ImageDataset test, String dataset, int epochs, long seed,
                                         Path dir, Consumer<String> progress) throws IOException {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        int k = Math.max(train.numClasses(), test.numClasses());
        torch.manual_seed(seed);
        Net net = new Net(train.channels(), train.height(), train.width(), k);
        Adam adam = Optimizers.adam(net.parameters(true), 1e-3, 0.9, 0.999, 1e-8);
        Generator order = torch.createCPUGenerator(seed);
        long n = train.size();
        int batch = 128;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            net.train(true);
            double lossSum = 0;
            long steps = 0;
            try (StepScope s = StepScope.open()) {
                Tensor perm = torch.randperm(n, new GeneratorOptional(order), new TensorOptions(torch.ScalarType.Long));
                for (long off = 0; off < n; off += batch) {
                    try (StepScope _ = StepScope.open()) {
                        Tensor idx = perm.narrow(0, off, Math.min(batch, n - off));
                        Tensor x = train.batch(idx);                                       // [B, C, H, W]
                        Tensor y = train.labels().index_select(0, idx);                    // [B]
                        Tensor loss = torch.cross_entropy_loss(net.fc2.forward(net.features(x)), y);
                        adam.zero_grad(true);
                        loss.backward();
                        adam.step();
                        lossSum += loss.item_double();
                        steps++;
                    }
                }
            }
            if (progress != null)
                progress.accept(String.format(Locale.ROOT, "domain classifier epoch %d/%d: loss %.4f", epoch, epochs,
                        lossSum / steps));
        }
        net.eval();
        Info provisional = new Info(train.channels(), train.height(), train.width(), k, dataset, epochs, seed, n, 0, "");
        double acc = new DomainClassifier(net, provisional).accuracy(test);
        Files.createDirectories(dir);
        Path weights = dir.resolve(WEIGHTS);
        Safetensors.write(weights, Modules.state(net), Map.of("format", FORMAT));
        String id = InceptionExtractor.sha256(weights).substring(0, 16);
        Info info = new Info(train.channels(), train.height(), train.width(), k, dataset, epochs, seed, n, acc, id);
        ObjectNode j = JSON.createObjectNode();
        j.put("format", FORMAT).put("version", 1).put("channels", info.channels()).put("height", info.height())
                .put("width", info.width()).put("classes", k).put("dataset", dataset).put("epochs", epochs)
                .put("seed", seed).put("train_images", n).put("test_accuracy", acc).put("id", id);
        byte[] text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(j).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.writeStream(dir.resolve(DESCRIPTION), os -> os.write(text));
        return new DomainClassifier(net, info);
    }

    /** Whether {@code dir} holds a saved classifier (both files). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(WEIGHTS)) && Files.isRegularFile(dir.resolve(DESCRIPTION));
    }

    /**
     * Loads a classifier folder.
     *
     * @throws IllegalArgumentException naming the file when a file is missing or malformed, or the weights' hash
     *                                  does not match the recorded id
     */
    public static DomainClassifier load(Path dir) {
        Path desc = dir.resolve(DESCRIPTION);
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(desc)) throw new IllegalArgumentException(desc + ": no such file (domain classifier)");
        if (!Files.isRegularFile(weights))
            throw new IllegalArgumentException(weights + ": no such file (domain classifier)");
        Info info;
        try {
            JsonNode j = JSON.readTree(desc.toFile());
            if (j == null || !FORMAT.equals(j.path("format").asText()))
                throw new IllegalArgumentException(desc + ": not a domain classifier description (format must be '"
                        + FORMAT + "')");
            info = new Info(req(j, "channels", desc).asInt(), req(j, "height", desc).asInt(),
                    req(j, "width", desc).asInt(), req(j, "classes", desc).asInt(), j.path("dataset").asText(""),
                    j.path("epochs").asInt(), j.path("seed").asLong(), j.path("train_images").asLong(),
                    j.path("test_accuracy").asDouble(Double.NaN), req(j, "id", desc).asText());
            String actual = InceptionExtractor.sha256(weights).substring(0, 16);
            if (!actual.equals(info.id()))
                throw new IllegalArgumentException(weights + ": SHA-256 " + actual + " does not match the id "
                        + info.id() + " in " + desc.getFileName());
        } catch (IOException e) {
            throw new IllegalArgumentException(desc + ": cannot read: " + e.getMessage(), e);
        }
        Net net = new Net(info.channels(), info.height(), info.width(), info.classes());
        try (StepScope s = StepScope.open()) {
            SafetensorsFile f = Safetensors.read(weights);
            Modules.copyState(f.tensors(), net);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(weights + ": " + e.getMessage().replace('\n', ' '), e);
        }
        net.eval();
        return new DomainClassifier(net, info);
    }

    private static JsonNode req(JsonNode j, String key, Path file) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) throw new IllegalArgumentException(file + ": missing key '" + key + "'");
        return v;
    }

    /** Top-1 accuracy on {@code data}. */
    public double accuracy(ImageDataset data) {
        long correct = 0;
        for (long off = 0; off < data.size(); off += 1000) {
            try (StepScope s = StepScope.open()) {
                Tensor idx = torch.arange(new Scalar(off), new Scalar(Math.min(data.size(), off + 1000)));
                Tensor pred = logits(data.batch(idx)).argmax(new LongOptional(1), false);    // [B]
                correct += pred.eq(data.labels().index_select(0, idx)).sum().item_long();
            }
        }
        return correct / (double) data.size();
    }

    /** The ConvNet (PyTorch-style names conv1, conv2, fc1, fc2). */
    static final class Net extends Module {
        final Conv2dImpl conv1, conv2;
        final LinearImpl fc1, fc2;

        Net(int channels, int height, int width, int classes) {
            conv1 = register_module("conv1", conv(channels, 32));
            conv2 = register_module("conv2", conv(32, 64));
            fc1 = register_module("fc1", new LinearImpl(64L * (height / 4) * (width / 4), FEATURES));
            fc2 = register_module("fc2", new LinearImpl(FEATURES, classes));
        }

        /** x [B, C, H, W] in [0, 1] -> penultimate features [B, 128]. */
        Tensor features(Tensor x) {
            Tensor h = x.mul(new Scalar(2.0)).sub(new Scalar(1.0));                        // [-1, 1]
            h = torch.max_pool2d(torch.relu(conv1.forward(h)), new long[]{2, 2});            // [B, 32, H/2, W/2]
            h = torch.max_pool2d(torch.relu(conv2.forward(h)), new long[]{2, 2});            // [B, 64, H/4, W/4]
            return torch.relu(fc1.forward(h.flatten(1, -1)));                              // [B, 128]
        }

        private static Conv2dImpl conv(int in, int out) {
            Conv2dOptions o = new Conv2dOptions(in, out, new LongPointer(3, 3));
            o.padding().put(new LongPointer(1, 1));
            return new Conv2dImpl(o);
        }
    }
}
