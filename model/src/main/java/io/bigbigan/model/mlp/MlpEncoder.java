package io.bigbigan.model.mlp;

import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.FlopCounter;
import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BiGAN permutation-invariant encoder E (Donahue et al. 2017, Appendix C.1), deterministic:
 * Linear(784, h) LeakyReLU, Linear(h, h) BN LeakyReLU, Linear(h, z).
 */
public final class MlpEncoder extends Module {
    private final LinearImpl fc1, fc2, fc3;
    private final BatchNorm1dImpl bn2;
    private final Scalar leak;

    /** E's output and the layer before it, the two feature spaces evaluated on frozen E. */
    public record Output(Tensor z, Tensor hidden) {}

    public MlpEncoder(BiganMlpConfig c) {
        fc1 = register_module("fc1", new LinearImpl(c.imageDim(), c.hidden()));
        fc2 = register_module("fc2", new LinearImpl(c.hidden(), c.hidden()));
        bn2 = register_module("bn2", new BatchNorm1dImpl(new BatchNormOptions(c.hidden())));
        fc3 = register_module("fc3", new LinearImpl(c.hidden(), c.latentDim()));
        leak = new Scalar(c.leak());
    }

    /** Encodes flattened images [B, 784] to latents [B, latentDim]. */
    public Tensor forward(Tensor x) {
        return encode(x).z();
    }

    /** Encodes flattened images [B, 784], also returning the penultimate activations [B, h]. */
    public Output encode(Tensor x) {
        Tensor h = torch.leaky_relu(FlopCounter.forward(fc1, x), leak);              // [B, h]
        h = torch.leaky_relu(BatchNorms.forward(bn2, FlopCounter.forward(fc2, h)), leak);         // [B, h]
        return new Output(FlopCounter.forward(fc3, h), h);                            // [B, z], [B, h]
    }
}
