package io.bigbigan.model.mlp;

import io.bigbigan.model.BiganMlpConfig;
import io.bigbigan.model.layers.FlopCounter;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * BiGAN permutation-invariant joint discriminator D(x, z) (Donahue et al. 2017, Appendix C.1):
 * fx = LReLU(Linear(784, h) x), fz = LReLU(Linear(z, h) z), score = Linear(h, 1)(LReLU(Linear(2h, h) [fx, fz])).
 * Returns the logit; the objective decides the loss.
 */
public final class MlpJointDiscriminator extends Module {
    private final LinearImpl fx, fz, joint, out;
    private final Scalar leak;

    public MlpJointDiscriminator(BiganMlpConfig c) {
        fx = register_module("fx", new LinearImpl(c.imageDim(), c.hidden()));
        fz = register_module("fz", new LinearImpl(c.latentDim(), c.hidden()));
        joint = register_module("joint", new LinearImpl(2L * c.hidden(), c.hidden()));
        out = register_module("out", new LinearImpl(c.hidden(), 1));
        leak = new Scalar(c.leak());
    }

    /** The logit [B] with the joint hidden layer it is read from, [B, h] (EGBAD's intermediate features). */
    public record Output(Tensor logit, Tensor joint) {}

    /** Scores pairs: x [B, 784], z [B, latentDim] -> logits [B]. */
    public Tensor forward(Tensor x, Tensor z) {
        return forwardWithFeatures(x, z).logit();
    }

    /** Like {@link #forward} but also returns the joint hidden layer. */
    public Output forwardWithFeatures(Tensor x, Tensor z) {
        Tensor hx = torch.leaky_relu(FlopCounter.forward(fx, x), leak);                        // [B, h]
        Tensor hz = torch.leaky_relu(FlopCounter.forward(fz, z), leak);                        // [B, h]
        Tensor h = torch.leaky_relu(FlopCounter.forward(joint, torch.cat(new TensorVector(hx, hz), 1)), leak); // [B, h]
        return new Output(FlopCounter.forward(out, h).squeeze(1), h);                          // [B], [B, h]
    }
}
