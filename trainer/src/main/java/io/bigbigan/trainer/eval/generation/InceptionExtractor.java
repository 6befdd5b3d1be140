package io.bigbigan.trainer.eval.generation;

import io.bigbigan.bindings.Tensors;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringIValueMap;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Inception-v3 features (FID, Heusel et al. 2017) and logits (Inception Score, Salimans et al. 2016) from a
 * user-supplied TorchScript file in the layout of StyleGAN2-ADA's {@code inception-2015-12-05.pt} detector:
 * {@code forward(x, return_features: bool = False, no_output_bias: bool = False)} with {@code x} float
 * {@code [B, 3, H, W]} in 0..255 (the module resizes internally); {@code return_features=True} gives the
 * {@code [B, 2048]} pool features, {@code no_output_bias=True} the logits whose softmax are the class probabilities
 * used for IS. Grayscale images are repeated to three channels. Loaded with LibTorch's TorchScript loader; nothing is
 * downloaded.
 */
public final class InceptionExtractor implements ImageFeatureExtractor {
    private final JitModule module;
    private final Path file;
    private final String sha256;

    private InceptionExtractor(JitModule module, Path file, String sha256) {
        this.module = module;
        this.file = file;
        this.sha256 = sha256;
    }

    /**
     * Loads the TorchScript file.
     *
     * @throws IllegalArgumentException naming the file when it is missing, unreadable, not a zip/TorchScript archive
     *                                  or not loadable by LibTorch
     */
    public static InceptionExtractor load(Path file) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file (Inception TorchScript)");
        String hash;
        try {
            byte[] magic;
            try (InputStream in = Files.newInputStream(file)) {
                magic = in.readNBytes(4);
            }
            if (magic.length < 4 || magic[0] != 'P' || magic[1] != 'K' || magic[2] != 3 || magic[3] != 4)
                throw new IllegalArgumentException(file + ": not a TorchScript archive (expected a zip file as written"
                        + " by torch.jit.save, e.g. inception-2015-12-05.pt)");
            hash = sha256(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
        JitModule m;
        try {
            m = torch.load(file.toString());
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException(file + ": not a loadable TorchScript module: " + msg, e);
        }
        m.eval();
        return new InceptionExtractor(m, file, hash);
    }

    @Override
    public String name() {
        return "inception";
    }

    /** {@code sha256:<first 16 hex digits of the file's SHA-256>}. */
    @Override
    public String id() {
        return "sha256:" + sha256.substring(0, 16);
    }

    /** The file this extractor was loaded from. */
    public Path file() {
        return file;
    }

    @Override
    public Tensor features(Tensor images) {
        return call(images, "return_features");
    }

    @Override
    public Tensor logits(Tensor images) {
        return call(images, "no_output_bias");
    }

    private Tensor call(Tensor images, String flag) {
        if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
            throw new IllegalArgumentException("Inception input must be [B, 1 or 3, H, W], got "
                    + Arrays.toString(Tensors.shape(images)));
        long b = images.size(0);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor x = images.size(1) == 1 ? images.expand(b, 3, images.size(2), images.size(3)) : images;
            x = x.mul(new Scalar(255.0)).contiguous();                                   // [B, 3, H, W] in 0..255
            IValueVector args = new IValueVector();
            args.push_back(new IValue(x));
            StringIValueMap kwargs = new StringIValueMap();
            kwargs.put(new BytePointer(flag), new IValue(true));
            IValue out;
            try {
                out = module.forward(args, kwargs);
            } catch (RuntimeException e) {
                String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
                throw new IllegalArgumentException(file + ": forward(x, " + flag + "=True) failed: " + msg, e);
            }
            if (!out.isTensor())
                throw new IllegalArgumentException(file + ": forward(x, " + flag + "=True) did not return a tensor");
            Tensor t = out.toTensor();
            if (t.dim() != 2 || t.size(0) != b)
                throw new IllegalArgumentException(file + ": forward(x, " + flag + "=True) returned shape "
                        + Arrays.toString(Tensors.shape(t)) + ", expected [" + b + ", D]");
            return t.to(torch.ScalarType.Float);                                         // [B, D]
        }
    }

    static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
