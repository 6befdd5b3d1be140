package io.bigbigan.api;

import io.bigbigan.bindings.StepScope;
import io.bigbigan.bindings.Tensors;
import io.bigbigan.bindings.Autocast;
import io.bigbigan.nativelib.Torch;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A trained BiGAN / BigBiGAN model for inference, loaded from an inference bundle ({@code bigbigan convert}):
 * encode images to feature vectors, generate images from latents, reconstruct images through G(E(x)).
 *
 * <pre>{@code
 * try (BigBiganModel m = BigBiganModel.load(Path.of("model.bundle"))) {
 *     float[] v = m.encode(ImageIO.read(file), FeatureKind.POOLED);
 *     List<BufferedImage> samples = m.generate(42, 16, 0.0);
 * }
 * var options = BigBiganModel.Options.DEFAULT.withDevice(Device.cuda()).withPrecision(Precision.AUTO);
 * }</pre>
 *
 * <p><b>Images.</b> Inputs of another size or channel count than the training images ({@link #preprocessing()}) are
 * converted, not rejected: the centred square is cut and area-resampled to the training size, RGB becomes grey by
 * luminance and grey becomes RGB by repetition; the first conversion of each input geometry is reported once
 * at INFO through the SLF4J logger {@code io.bigbigan.api.BigBiganModel}, naming the steps it took (the library binds
 * no logging backend; without one SLF4J prints a one-time notice and drops the messages).
 * {@link Options#withStrictImages} rejects such inputs instead. Files and byte arrays that are not readable images are
 * rejected with an error naming the file. {@link #generate} and {@link #reconstruct} return images of the training
 * size ({@link OutputSize}), so that they encode again without resampling.
 *
 * <p><b>Threads.</b> All methods are thread-safe: the networks are in evaluation mode and never modified, every call
 * runs under LibTorch's inference mode (no gradients, thread-local) inside its own native-memory scope (also
 * thread-local). By default calls run concurrently; {@link Options#withSerializedCalls} takes a lock around the native
 * forward instead ({@code bigbigan bench --encode} measures both; on a small CPU concurrent callers gain little
 * because LibTorch already uses every core for one batch).
 *
 * <p>{@link #close()} releases the native weights; do not call other methods concurrently with it or afterwards.
 */
public final class BigBiganModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BigBiganModel.class);

    /**
     * Loading options, built by name from {@link #DEFAULT}:
     * {@code Options.DEFAULT.withDevice(Device.cuda()).withPrecision(Precision.BF16)}.
     */
    public static final class Options {
        /** CPU, fp32, concurrent calls, converting images, outputs of the training size. */
        public static final Options DEFAULT = new Options(Device.CPU, Precision.FP32, false, false, OutputSize.TRAINING);

        private final Device device;
        private final Precision precision;
        private final boolean serializedCalls;
        private final boolean strictImages;
        private final OutputSize outputSize;

        private Options(Device device, Precision precision, boolean serializedCalls, boolean strictImages,
                        OutputSize outputSize) {
            this.device = Objects.requireNonNull(device, "device");
            this.precision = Objects.requireNonNull(precision, "precision");
            this.serializedCalls = serializedCalls;
            this.strictImages = strictImages;
            this.outputSize = Objects.requireNonNull(outputSize, "outputSize");
        }

        /** These options on another device. */
        public Options withDevice(Device d) { return new Options(d, precision, serializedCalls, strictImages, outputSize); }

        /** These options in another precision ({@link Precision#AUTO} is resolved when the model loads). */
        public Options withPrecision(Precision p) { return new Options(device, p, serializedCalls, strictImages, outputSize); }

        /** These options with ({@code true}) or without a lock that runs one native forward at a time. */
        public Options withSerializedCalls(boolean on) { return new Options(device, precision, on, strictImages, outputSize); }

        /** These options with ({@code true}) or without rejecting images whose size or channels differ from training. */
        public Options withStrictImages(boolean on) { return new Options(device, precision, serializedCalls, on, outputSize); }

        /** These options with another size for generated and reconstructed images. */
        public Options withOutputSize(OutputSize s) { return new Options(device, precision, serializedCalls, strictImages, s); }

        /** The device the model computes on. */
        public Device device() { return device; }

        /** The precision asked for (possibly {@link Precision#AUTO}). */
        public Precision precision() { return precision; }

        /** Whether calls take a lock around the native forward. */
        public boolean serializedCalls() { return serializedCalls; }

        /** Whether images of another size or channel count are rejected rather than converted. */
        public boolean strictImages() { return strictImages; }

        /** The size of generated and reconstructed images. */
        public OutputSize outputSize() { return outputSize; }

        @Override
        public boolean equals(Object o) {
            return o instanceof Options x && device.equals(x.device) && precision == x.precision
                    && serializedCalls == x.serializedCalls && strictImages == x.strictImages && outputSize == x.outputSize;
        }

        @Override
        public int hashCode() { return Objects.hash(device, precision, serializedCalls, strictImages, outputSize); }

        @Override
        public String toString() {
            return "Options[device=" + device + ", precision=" + precision.id() + ", serializedCalls=" + serializedCalls
                    + ", strictImages=" + strictImages + ", outputSize=" + outputSize + "]";
        }
    }

    private final Path source;
    private final Bundle.Config config;
    private final Preprocessing pre;
    private final Map<String, String> metadata;
    private final Networks nets;
    private final Tensor reference;           // a parameter: device and dtype of inputs
    private final Options options;
    private final org.bytedeco.pytorch.Device device;
    private final io.bigbigan.bindings.Precision precision;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<String> noted = ConcurrentHashMap.newKeySet();

    private BigBiganModel(Path source, Bundle.Contents c, Options options) {
        this.source = source;
        this.config = c.config();
        this.pre = c.preprocessing();
        this.metadata = Map.copyOf(c.provenance());
        this.options = options;
        this.device = Torch.device(options.device().toString());   // clear error for CUDA on a CPU-only machine
        this.precision = switch (options.precision()) {
            case FP32 -> io.bigbigan.bindings.Precision.FP32;
            case BF16 -> io.bigbigan.bindings.Precision.BF16;
            case AUTO -> io.bigbigan.bindings.Precision.auto(device.is_cuda());
        };
        nets = new Networks(config.model(), pre);
        try {
            nets.load(c.tensors());
        } catch (IllegalArgumentException e) {
            nets.close();
            throw new IllegalArgumentException(source + ": weights do not match preset " + config.preset() + " ("
                    + Bundle.summarise(e.getMessage()) + ")", e);
        }
        nets.to(device, false);
        nets.eval();
        reference = new Tensor(nets.parameters(true).get(0));   // owning: get() refers into the vector
    }

    /**
     * Loads a bundle onto the CPU.
     *
     * @throws IllegalArgumentException naming the file and the reason
     */
    public static BigBiganModel load(Path bundle) {
        return load(bundle, Options.DEFAULT);
    }

    /**
     * Loads a bundle onto {@code device}.
     *
     * @throws IllegalArgumentException naming the file and the reason, or the device when it is not available
     */
    public static BigBiganModel load(Path bundle, Device device) {
        return load(bundle, Options.DEFAULT.withDevice(device));
    }

    /**
     * Loads a bundle with {@code options}.
     *
     * @throws IllegalArgumentException naming the file and the reason, or the device when it is not available
     */
    public static BigBiganModel load(Path bundle, Options options) {
        Torch.load();
        Torch.device(options.device().toString());          // fail on the device before reading the file
        try (Bundle.Contents c = Bundle.read(bundle, false)) {   // copied into the networks, then released
            return new BigBiganModel(bundle, c, options);
        }
    }

    /**
     * A model from a bundle or from an exported state dict that carries its configuration (converted in memory). A
     * training checkpoint is refused with the command that makes a bundle of it ({@code bigbigan convert}).
     *
     * @throws IllegalArgumentException naming the file and the reason
     */
    public static BigBiganModel open(Path path, Options options) {
        Torch.load();
        Torch.device(options.device().toString());
        Bundle.Contents contents = switch (Bundle.detect(path)) {
            case BUNDLE -> Bundle.read(path, false);
            case STATE_DICT -> Bundle.fromStateDict(path, null, 0);
            case CHECKPOINT -> throw new IllegalArgumentException(path + ": a training checkpoint; the library reads "
                    + "inference bundles: make one with bigbigan convert " + path + " OUT.bundle");
        };
        try (contents) {
            return new BigBiganModel(path, contents, options);
        }
    }

    /**
     * Advanced: a model from bundle contents already in memory ({@link Bundle}). The weights are copied; the caller
     * keeps ownership of {@code contents} and may close them as soon as this returns.
     *
     * @param source the file the contents came from (reported by {@link #source()} and in error messages)
     * @throws IllegalArgumentException when the tensors do not fit the configuration, or the device is not available
     */
    public static BigBiganModel of(Path source, Bundle.Contents contents, Options options) {
        Torch.load();
        return new BigBiganModel(source, contents, options);
    }

    /** The preset the model was trained with, e.g. {@code bigan-mlp}. */
    public String preset() { return config.preset(); }

    /** What the model is: preset, architecture, image size and channels, G's output size, latent and feature sizes. */
    public ModelDescription description() {
        return new ModelDescription(config.preset(), config.model().modelKind().name(), pre.imageSize(), pre.channels(),
                pre.networkSize(), nets.latentDim(), nets.pooledDim());
    }

    /** The full run configuration stored in the bundle, as the JSON the trainer wrote (docs/bundles.md). */
    public String configJson() { return config.toJson(); }

    /** How images are prepared (training image size, channels, value range, padding/resizing). */
    public Preprocessing preprocessing() { return pre; }

    /** The bundle's metadata (source checkpoint, step, weights, data set, format version, ...). */
    public Map<String, String> metadata() { return metadata; }

    /** The options the model was loaded with. */
    public Options options() { return options; }

    /** The precision of the forward passes, {@link Precision#AUTO} resolved: {@code FP32} or {@code BF16}. */
    public Precision precision() {
        return precision == io.bigbigan.bindings.Precision.BF16 ? Precision.BF16 : Precision.FP32;
    }

    /** The file this model was loaded from. */
    public Path source() { return source; }

    /** The latent dimension (length of {@link FeatureKind#LATENT} and {@link FeatureKind#SAMPLED} vectors, of z). */
    public int latentDim() { return nets.latentDim(); }

    /** The length of the vectors {@link #encode} returns for {@code kind}. */
    public int featureDim(FeatureKind kind) {
        return kind == FeatureKind.POOLED ? nets.pooledDim() : nets.latentDim();
    }

    /** The side of the images {@link #generate} and {@link #reconstruct} return ({@link Options#withOutputSize}). */
    public int outputSize() {
        return options.outputSize() == OutputSize.TRAINING && pre.toNetwork().equals("pad") ? pre.imageSize()
                : pre.networkSize();
    }

    // ------------------------------------------------------------------------------------------------- encoding

    /** Encodes one image (see the class notes on sizes and channels). */
    public float[] encode(BufferedImage image, FeatureKind kind) {
        return encode(List.of(image), kind, 0)[0];
    }

    /**
     * Encodes one encoded image (PNG, JPEG, ...).
     *
     * @throws IllegalArgumentException when it cannot be decoded
     */
    public float[] encode(byte[] encodedImage, FeatureKind kind) {
        return encode(Images.decode(encodedImage, "image bytes"), kind);
    }

    /**
     * Encodes one image file.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read
     */
    public float[] encode(Path imageFile, FeatureKind kind) {
        return encode(Images.read(imageFile), kind);
    }

    /**
     * Encodes a batch of images in one forward pass; {@code seed} draws the posterior noise of
     * {@link FeatureKind#SAMPLED} (same seed and batch, same vectors) and is ignored otherwise.
     *
     * @return one vector of {@link #featureDim} values per image
     */
    public float[][] encode(List<BufferedImage> images, FeatureKind kind, long seed) {
        if (images.isEmpty()) return new float[0][];
        int n = images.size(), e = pre.imageElements();
        float[] pixels = new float[n * e];
        for (int i = 0; i < n; i++) System.arraycopy(planar(images.get(i), "image " + i), 0, pixels, i * e, e);
        return encodePixels(pixels, n, kind, seed);
    }

    /**
     * Encodes image files in one batch.
     *
     * @throws IllegalArgumentException naming the first file that cannot be read
     */
    public float[][] encodeFiles(List<Path> files, FeatureKind kind) {
        List<BufferedImage> images = new ArrayList<>(files.size());
        for (Path f : files) images.add(Images.read(f));
        return encode(images, kind, 0);
    }

    /**
     * Encodes images given as planar floats: {@code count} images of {@code [C, S, S]} (the training size and
     * channels, {@link Preprocessing#imageElements()} values each) in [0, 1], row-major.
     *
     * @throws IllegalArgumentException when the array's length is not {@code count * imageElements()}
     */
    public float[][] encodePixels(float[] pixels, int count, FeatureKind kind, long seed) {
        int e = pre.imageElements();
        if (count < 1 || pixels.length != (long) count * e)
            throw new IllegalArgumentException("pixels: expected " + count + " x " + pre.channels() + " x "
                    + pre.imageSize() + " x " + pre.imageSize() + " = " + (long) count * e + " floats, got " + pixels.length);
        float[] flat = run(() -> {
            Tensor x = Tensors.of(pixels, count, pre.channels(), pre.imageSize(), pre.imageSize()).to(reference); // [N, C, S, S]
            Generator g = torch.createCPUGenerator(seed);
            return Tensors.toFloats(nets.encode(nets.toInputs(x), kind, g));          // [N, D]
        });
        return split(flat, count);
    }

    /** The model kind's adapter (images in and out), for the scorer beside this class. */
    io.bigbigan.model.ModelKind modelKind() {
        return config.model().modelKind();
    }

    /** Encodes a batch already on the model's device and in its preprocessing ([N, C, S, S] in [0, 1]). */
    Tensor encodeTensor(Tensor images, FeatureKind kind, long seed) {
        return withGuards(() -> nets.encode(nets.toInputs(images.to(reference)), kind, torch.createCPUGenerator(seed)));
    }

    // ----------------------------------------------------------------------------------------------- generation

    /** G(z) as images [N, C, R, R] in [0, 1], on the model's device. */
    Tensor generateTensor(Tensor z) {
        return withGuards(() -> nets.generate(z.to(reference)));
    }

    /**
     * G(z) for each latent vector ({@link #latentDim()} values each), {@link #outputSize()} pixels square.
     *
     * @throws IllegalArgumentException when a vector has another length
     */
    public List<BufferedImage> generate(float[][] z) {
        int d = latentDim();
        float[] flat = new float[z.length * d];
        for (int i = 0; i < z.length; i++) {
            if (z[i].length != d)
                throw new IllegalArgumentException("z[" + i + "] has " + z[i].length + " values, the model's latent has " + d);
            System.arraycopy(z[i], 0, flat, i * d, d);
        }
        if (z.length == 0) return List.of();
        return images(run(() -> Tensors.toFloats(nets.generate(
                Tensors.of(flat, z.length, d).to(reference)))), z.length);              // [N, C, R, R]
    }

    /**
     * {@code count} samples G(z) with z from the prior seeded by {@code seed} (the same latents as
     * {@code bigbigan sample --seed}, and the same images); {@code truncation} > 0 re-draws normal latents outside
     * [-t, t] (narrows uniform ones to [-t, t]), 0 means none. The images are {@link #outputSize()} pixels square.
     */
    public List<BufferedImage> generate(long seed, int count, double truncation) {
        if (count < 1) throw new IllegalArgumentException("count must be at least 1, got " + count);
        return images(run(() -> Tensors.toFloats(nets.generate(prior(count, seed, truncation).to(reference)))), count);
    }

    /** Latents from the prior, [n, latentDim] on the CPU, as the trainers draw them. */
    Tensor prior(long n, long seed, double truncation) {
        return config.model().modelKind().prior(n, torch.createCPUGenerator(seed), truncation);
    }

    /** G(E(x)) with E's deterministic code, {@link #outputSize()} pixels square. */
    public BufferedImage reconstruct(BufferedImage image) {
        float[] p = planar(image, "image");
        return images(run(() -> {
            Tensor x = Tensors.of(p, 1, pre.channels(), pre.imageSize(), pre.imageSize()).to(reference);
            return Tensors.toFloats(nets.generate(nets.encode(nets.toInputs(x), FeatureKind.LATENT, torch.createCPUGenerator(0))));
        }), 1).get(0);
    }

    /** Releases the native weights. */
    @Override
    public void close() {
        reference.close();
        nets.close();
    }

    // -------------------------------------------------------------------------------------------------- helpers

    float[] planar(BufferedImage img, String what) {
        if (img == null) throw new IllegalArgumentException(what + " is null");
        if (!Images.fits(img, pre.imageSize(), pre.channels())) {
            String target = pre.imageSize() + "x" + pre.imageSize() + (pre.channels() == 1 ? " grey" : " RGB");
            if (options.strictImages())
                throw new IllegalArgumentException(what + ": " + Images.describe(img) + " does not match the model's "
                        + target + " images (strict image checks are on)");
            String key = Images.describe(img);
            if (noted.add(key))
                LOG.info("converting {} images to {} ({})", key, target,
                        String.join(", ", Images.conversionSteps(img, pre.imageSize(), pre.channels())));
        }
        return Images.toPlanar(img, pre.imageSize(), pre.channels());
    }

    private <T> T run(Supplier<T> body) {
        try (StepScope s = StepScope.open()) {
            return withGuards(body);
        }
    }

    private <T> T withGuards(Supplier<T> body) {
        if (options.serializedCalls()) lock.lock();
        try (InferenceMode guard = new InferenceMode(); Autocast a = Autocast.forward(precision, device)) {
            return body.get();
        } finally {
            if (options.serializedCalls()) lock.unlock();
        }
    }

    private List<BufferedImage> images(float[] flat, int n) {
        int c = config.model().modelKind().outputChannels();
        int r = pre.networkSize(), e = c * r * r;
        List<BufferedImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(Images.fromPlanar(flat, i * e, c, r, outputSize()));
        return out;
    }

    private static float[][] split(float[] flat, int n) {
        int d = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }
}
