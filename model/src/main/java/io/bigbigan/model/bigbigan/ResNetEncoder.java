package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.FlopCounter;
import io.bigbigan.model.bigbigan.EncoderConfig.BlockSpec;
import io.bigbigan.model.bigbigan.EncoderConfig.BlockType;
import io.bigbigan.model.bigbigan.EncoderConfig.StemSpec;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * The convolutional backbone of the BigBiGAN encoder E (Donahue &amp; Simonyan 2019, Section 3 and Appendix; ResNet-v2
 * and RevNet as in Kolesnikov et al. 2019): stem, four stages of residual units, final BN-ReLU and global average
 * pooling. Images [B, C, R, R] -> pooled features [B, {@link EncoderConfig#featureDim()}].
 *
 * <p>Parameter names: {@code stem.weight} (bias-free conv), {@code stages.<s>.<b>.*} (see {@link EncoderBlock} and
 * {@link RevNetBlock}), {@code bn_out.*}. The architecture comes from {@link EncoderConfig#stem()} and
 * {@link EncoderConfig#stages()}.
 *
 * <p>The max-pool pads with -inf (PyTorch); Kolesnikov et al.'s TensorFlow code zero-pads before a VALID pool, which
 * differs only at borders where all stem outputs are negative (the v2 stem has no ReLU).
 */
public final class ResNetEncoder extends Module {
    /** A residual unit of a stage: {@link EncoderBlock} or {@link RevNetBlock}. */
    public interface Unit {
        /** x [B, in, H, W] -> [B, out, H / stride, W / stride]. */
        Tensor forward(Tensor x);
    }

    private final EncoderConfig config;
    private final Conv2dImpl stem;
    private final List<List<Unit>> stages = new ArrayList<>();
    private final BatchNorm2dImpl bnOut;

    public ResNetEncoder(EncoderConfig config) {
        this.config = config;
        StemSpec s = config.stem();
        stem = register_module("stem", EncoderBlock.conv(s.in(), s.out(), s.kernel(), s.stride()));
        ModuleListImpl stageList = register_module("stages", new ModuleListImpl());
        for (List<BlockSpec> specs : config.stages()) {
            ModuleListImpl blockList = new ModuleListImpl();
            List<Unit> units = new ArrayList<>();
            for (BlockSpec b : specs) {
                Module m = b.type() == BlockType.REVERSIBLE ? new RevNetBlock(b) : new EncoderBlock(b);
                blockList.push_back(m);
                units.add((Unit) m);
            }
            stageList.push_back(blockList);
            stages.add(List.copyOf(units));
        }
        bnOut = register_module("bn_out", EncoderBlock.batchNorm(config.featureDim()));
    }

    /** Images x [B, C, R, R] -> pooled features [B, F]. */
    public Tensor forward(Tensor x) {
        Tensor h = FlopCounter.forward(stem, x);                                          // [B, 64w, R/2, R/2] (small: [B, ch, R, R])
        if (config.stem().maxPool())
            h = torch.max_pool2d(h, new long[]{3, 3}, new long[]{2, 2}, new long[]{1, 1}, new long[]{1, 1}, false);
                                                                              // [B, 64w, R/4, R/4]
        for (List<Unit> stage : stages)
            for (Unit u : stage) h = u.forward(h);                           // [B, 2048w, R/32, R/32] (small: [B, 8ch, R/8, R/8])
        h = torch.relu(BatchNorms.forward(bnOut, h));                                    // final pre-activation BN-ReLU
        return h.mean(2, 3);                                                 // [B, F]
    }

    /** The residual units, stage by stage (Java handles to the registered modules). */
    public List<List<Unit>> stages() {
        return stages;
    }

    /** The configuration this backbone was built from. */
    public EncoderConfig config() {
        return config;
    }
}
