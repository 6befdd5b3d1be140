package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.SNLinear;
import io.bigbigan.model.layers.SelfAttention;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * BigBiGAN's joint discriminator D = (F, H, J) (Donahue & Simonyan 2019, Section 2 and Figure 1):
 * <pre>
 * F: image ConvNet (BigGAN's D body)    x [B, C, R, R] -> F(x) [B, Cf]      s_x  = F.score(F(x))
 * H: residual MLP on z                  z [B, zDim]    -> H(z) [B, wH]      s_z  = H.score(ReLU(H(z)))
 * J: residual MLP on [F(x), H(z)]       [B, Cf + wH]   -> J    [B, wJ]      s_xz = J.score(ReLU(J))
 * </pre>
 * The three scores are returned separately so the objective can weight or drop each (the paper sums the hinge
 * losses of s_x, s_z and s_xz). Child modules are named {@code F}, {@code H}, {@code J}.
 */
public final class JointDiscriminator extends Module {
    /** The three unary/joint scores (logits), each [B]. */
    public record Scores(Tensor sx, Tensor sz, Tensor sxz) {}

    /** Scores with the intermediate features F(x) [B, Cf], H(z) [B, wH] and J(x, z) [B, wJ]. */
    public record Output(Scores scores, Tensor fx, Tensor hz, Tensor jxz) {}

    private final DiscriminatorConfig config;
    private final ImageConvNet f;
    private final ResidualMlp h, j;

    public JointDiscriminator(DiscriminatorConfig config) {
        this.config = config;
        f = register_module("F", new ImageConvNet(config));
        h = register_module("H", new ResidualMlp(config.zDim(), config.hWidth(), config.hBlocks()));
        j = register_module("J", new ResidualMlp(config.fFeatures() + config.hWidth(), config.jWidth(), config.jBlocks()));
    }

    /** x [B, C, R, R] in [-1, 1], z [B, zDim] -> scores s_x, s_z, s_xz, each [B]. */
    public Scores forward(Tensor x, Tensor z) {
        return forwardWithFeatures(x, z).scores();
    }

    /** Like {@link #forward} but also returns F(x), H(z) and J(x, z). */
    public Output forwardWithFeatures(Tensor x, Tensor z) {
        return fromImageFeatures(f.features(x), z);                             // F(x) [B, Cf]
    }

    /**
     * Like {@link #forwardWithFeatures} from F(x) [B, Cf] computed by the caller (e.g. F run on parts of the batch
     * separately, see {@link io.bigbigan.model.layers.SpectralNorm.Shared}).
     */
    public Output fromImageFeatures(Tensor fx, Tensor z) {
        Tensor hz = h.features(z);                                              // [B, wH]
        Tensor jxz = j.features(torch.cat(new TensorVector(fx, hz), 1));        // [B, wJ]
        return new Output(new Scores(f.score(fx), h.score(hz), j.score(jxz)), fx, hz, jxz);
    }

    public DiscriminatorConfig config() { return config; }

    /** F, the image ConvNet with its score head. */
    public ImageConvNet imageNet() { return f; }

    /** H, the latent MLP with its score head. */
    public ResidualMlp latentNet() { return h; }

    /** J, the joint MLP with its score head. */
    public ResidualMlp jointNet() { return j; }

    /**
     * F: BigGAN's discriminator ConvNet (Brock et al. 2019, Appendix B) without the class projection:
     * {@link DiscriminatorBlock}s ({@code blocks.<i>.*}), self-attention ({@code attention.*}) after the block at
     * the configured resolution, ReLU, sum over space; unary score head {@code score.*} = SNLinear(Cf, 1).
     */
    public static final class ImageConvNet extends Module {
        private final List<DiscriminatorBlock> blocks = new ArrayList<>();
        private final SelfAttention attention;
        private final int attentionAfter;
        private final SNLinear score;
        private final int channels, resolution;

        public ImageConvNet(DiscriminatorConfig c) {
            channels = c.imageChannels();
            resolution = c.resolution();
            ModuleListImpl list = register_module("blocks", new ModuleListImpl());
            for (DBlockSpec spec : c.fBlocks()) {
                DiscriminatorBlock b = new DiscriminatorBlock(spec);
                list.push_back(b);
                blocks.add(b);
            }
            attentionAfter = c.attentionBlock();
            attention = attentionAfter < 0 ? null
                    : register_module("attention", new SelfAttention(c.fBlocks().get(attentionAfter).out()));
            score = register_module("score", new SNLinear(c.fFeatures(), 1));
        }

        /** x [B, C, R, R] -> F(x) [B, Cf]. */
        public Tensor features(Tensor x) {
            if (x.dim() != 4 || x.size(1) != channels || x.size(2) != resolution || x.size(3) != resolution)
                throw new IllegalArgumentException("F expects [B, " + channels + ", " + resolution + ", " + resolution
                        + "], got " + java.util.Arrays.toString(x.sizes().vec().get()));
            Tensor h = x;                                                       // [B, C, R, R]
            for (int i = 0; i < blocks.size(); i++) {
                h = blocks.get(i).forward(h);                                   // [B, C_i, R_i, R_i]
                if (i == attentionAfter) h = attention.forward(h);              // [B, C_i, R_i, R_i]
            }
            return torch.sum(torch.relu(h), new long[]{2, 3}, false, new ScalarTypeOptional()); // [B, Cf]
        }

        /** F(x) [B, Cf] -> s_x [B]. */
        public Tensor score(Tensor features) {
            return score.forward(features).squeeze(1);                          // [B]
        }
    }
}
