package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.SNLinear;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * The MLP of BigBiGAN's latent and joint discriminator parts H and J (Donahue & Simonyan 2019, Section 2 and
 * Appendix: "MLPs with skip connections"), with its unary score head:
 * <pre>
 * h = fc_in(input)                                                  [B, width]
 * per block:  h = h + fc2(ReLU(fc1(ReLU(h))))                       [B, width]
 * features = h;   score = score(ReLU(features))                     [B]
 * </pre>
 * Every linear layer is spectrally normalised. Names: {@code fc_in.*}, {@code blocks.<i>.fc1.*},
 * {@code blocks.<i>.fc2.*}, {@code score.*}.
 */
public final class ResidualMlp extends Module {
    private final SNLinear fcIn, score;
    private final List<Block> blocks = new ArrayList<>();
    private final int width;

    /**
     * @param in     input features
     * @param width  hidden and output width
     * @param blocks number of residual blocks (two linear layers each)
     */
    public ResidualMlp(int in, int width, int blocks) {
        if (in <= 0 || width <= 0 || blocks < 0)
            throw new IllegalArgumentException("ResidualMlp: in and width must be positive, blocks >= 0; got "
                    + in + ", " + width + ", " + blocks);
        this.width = width;
        fcIn = register_module("fc_in", new SNLinear(in, width));
        ModuleListImpl list = register_module("blocks", new ModuleListImpl());
        for (int i = 0; i < blocks; i++) {
            Block b = new Block(width);
            list.push_back(b);
            this.blocks.add(b);
        }
        score = register_module("score", new SNLinear(width, 1));
    }

    /** input [B, in] -> features [B, width] (before the final ReLU). */
    public Tensor features(Tensor input) {
        Tensor h = fcIn.forward(input);                                         // [B, width]
        for (Block b : blocks) h = b.forward(h);                                // [B, width]
        return h;
    }

    /** features [B, width] -> score [B]. */
    public Tensor score(Tensor features) {
        return score.forward(torch.relu(features)).squeeze(1);                  // [B]
    }

    public int width() { return width; }

    /** One residual block: h + fc2(ReLU(fc1(ReLU(h)))). */
    private static final class Block extends Module {
        private final SNLinear fc1, fc2;

        Block(int width) {
            fc1 = register_module("fc1", new SNLinear(width, width));
            fc2 = register_module("fc2", new SNLinear(width, width));
        }

        Tensor forward(Tensor h) {
            Tensor r = fc1.forward(torch.relu(h));                              // [B, width]
            r = fc2.forward(torch.relu(r));                                     // [B, width]
            return h.add(r);                                                    // [B, width]
        }
    }
}
