package io.bigbigan.model.mlp;

import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.FlopCounter;
import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BiGAN permutation-invariant generator G (Donahue et al. 2017, Appendix C.1):
 * Linear(z, h) BN ReLU, Linear(h, h) BN ReLU, Linear(h, 784) Sigmoid.
 */
public final class MlpGenerator extends Module {
    private final LinearImpl fc1, fc2, fc3;
    private final BatchNorm1dImpl bn1, bn2;

    public MlpGenerator(BiganMlpConfig c) {
        fc1 = register_module("fc1", new LinearImpl(c.latentDim(), c.hidden()));
        bn1 = register_module("bn1", new BatchNorm1dImpl(new BatchNormOptions(c.hidden())));
        fc2 = register_module("fc2", new LinearImpl(c.hidden(), c.hidden()));
        bn2 = register_module("bn2", new BatchNorm1dImpl(new BatchNormOptions(c.hidden())));
        fc3 = register_module("fc3", new LinearImpl(c.hidden(), c.imageDim()));
    }

    /** Maps latents [B, latentDim] to flattened images [B, imageDim] in (0, 1). */
    public Tensor forward(Tensor z) {
        Tensor h = torch.relu(BatchNorms.forward(bn1, FlopCounter.forward(fc1, z)));   // [B, h]
        h = torch.relu(BatchNorms.forward(bn2, FlopCounter.forward(fc2, h)));          // [B, h]
        return torch.sigmoid(FlopCounter.forward(fc3, h));                 // [B, 784]
    }
}
