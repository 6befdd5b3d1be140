package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.BatchNorms;
import io.bigbigan.model.layers.Initializers;
import io.bigbigan.model.layers.SpectralNorm;
import io.bigbigan.model.layers.SNConv2d;
import io.bigbigan.model.layers.SNLinear;
import io.bigbigan.model.layers.SelfAttention;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.EmbeddingImpl;
import org.bytedeco.pytorch.EmbeddingOptions;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * BigBiGAN's generator G (Donahue &amp; Simonyan 2019, Section 2 and Appendix B: "BigGAN ... Single Label" setup),
 * i.e. BigGAN's G (Brock et al. 2019, Section 4 and Appendix B, Figure 15(a)) with a hierarchical latent:
 * <pre>
 *   z = [z_0, z_1, ..., z_n]                                   n = number of blocks, equal chunks
 *   h = linear(z_0).view(B, C_0, 4, 4)
 *   h = block_i(h, [shared(label), z_{i+1}])  for each block   (self-attention after the chosen resolution)
 *   x = tanh(output_conv(relu(output_bn(h))))
 * </pre>
 * The shared embedding sees label 0 for every image unless real labels are given. Every convolution and linear
 * weight ({@code weight_orig}) and the shared embedding are initialised orthogonally, as BigGAN's
 * {@code G_init='ortho'}.
 *
 * <p>Names: {@code shared.weight}, {@code linear.*}, {@code blocks.i.*}, {@code attention.*},
 * {@code output_bn.*}, {@code output_conv.*}.
 */
public final class BigGanGenerator extends Module {
    private final GeneratorConfig config;
    private final EmbeddingImpl shared;
    private final SNLinear linear;
    private final List<GeneratorBlock> blockList = new ArrayList<>();
    private final SelfAttention attention;
    private final int attentionAfter;
    private final BatchNorm2dImpl outputBn;
    private final SNConv2d outputConv;

    /** G with BigGAN's orthogonal initialisation. */
    public BigGanGenerator(GeneratorConfig config) {
        this(config, true);
    }

    /**
     * @param orthogonalInit initialise weights orthogonally (BigGAN); false keeps PyTorch's default initialisation
     *                       (cheaper to build, e.g. to inspect a large configuration's shapes)
     */
    public BigGanGenerator(GeneratorConfig config, boolean orthogonalInit) {
        this.config = config;
        List<GBlockSpec> specs = config.blocks();
        shared = config.sharedEmbedDim() > 0
                ? register_module("shared", new EmbeddingImpl(new EmbeddingOptions(config.numClasses(),
                config.sharedEmbedDim())))
                : null;
        int bottom = config.bottomWidth();
        linear = register_module("linear", new SNLinear(config.chunkSize(), (long) specs.getFirst().in() * bottom * bottom));
        ModuleListImpl blocks = new ModuleListImpl();
        for (GBlockSpec s : specs) {
            GeneratorBlock b = new GeneratorBlock(s, config.conditioningDim());
            blocks.push_back(b);
            blockList.add(b);
        }
        register_module("blocks", blocks);
        int at = -1;
        for (int i = 0; i < specs.size(); i++) if (specs.get(i).resolution() == config.attentionResolution()) at = i;
        attentionAfter = config.attentionResolution() > 0 ? at : -1;
        attention = attentionAfter >= 0
                ? register_module("attention", new SelfAttention(specs.get(attentionAfter).out())) : null;
        int last = specs.getLast().out();
        BatchNormOptions bo = new BatchNormOptions(last);
        bo.affine().put(true);
        bo.momentum().put(0.1);
        bo.eps().put(1e-5);
        outputBn = register_module("output_bn", new BatchNorm2dImpl(bo));
        outputConv = register_module("output_conv", new SNConv2d(last, config.imageChannels(), 3));
        if (orthogonalInit) initOrthogonal();
    }

    /** Random-label-free sampling: {@link #forward(Tensor, Tensor)} with the dummy label 0 for every image. */
    public Tensor forward(Tensor z) {
        return forward(z, null);
    }

    /**
     * Maps latents to images.
     *
     * @param z      [B, zDim]
     * @param labels int64 [B] class indices for the shared embedding, or null for the dummy label 0; must be null
     *               when the configuration has no shared embedding
     * @return [B, imageChannels, R, R] in (-1, 1)
     */
    public Tensor forward(Tensor z, Tensor labels) {
        if (z.dim() != 2 || z.size(1) != config.zDim())
            throw new IllegalArgumentException("generator: z must be [B, " + config.zDim() + "], got "
                    + java.util.Arrays.toString(z.sizes().vec().get()));
        long b = z.size(0);
        if (shared == null && labels != null)
            throw new IllegalArgumentException("generator: labels given but the configuration has no shared embedding");
        TensorVector parts = z.split(config.chunkSize(), 1);                         // n+1 x [B, chunk]
        Tensor[] chunks = new Tensor[(int) parts.size()];
        for (int i = 0; i < chunks.length; i++) chunks[i] = new Tensor(parts.get(i));  // owning: get() refers into parts
        Tensor y = null;
        if (shared != null) {
            Tensor l = labels != null ? labels
                    : torch.zeros(new long[]{b}, new TensorOptions(torch.ScalarType.Long).device(new DeviceOptional(z.device())));
            y = shared.forward(l);                                                    // [B, shared]
        }
        int bottom = config.bottomWidth();
        Tensor h = linear.forward(chunks[0])                                      // [B, C0 * 4 * 4]
                .view(b, config.blocks().getFirst().in(), bottom, bottom);            // [B, C0, 4, 4]
        if (outputConv.weightOrig().is_contiguous(torch.MemoryFormat.ChannelsLast))
            h = h.contiguous(torch.MemoryFormat.ChannelsLast);  // the blocks' layout (weights converted): one small copy here, not one per convolution and pass
        for (int i = 0; i < blockList.size(); i++) {
            Tensor zi = chunks[i + 1];                                            // [B, chunk]
            Tensor cond = y == null ? zi : torch.cat(new TensorVector(y, zi), 1);     // [B, shared + chunk]
            h = blockList.get(i).forward(h, cond);                                    // [B, C_i, R_i, R_i]
            if (i == attentionAfter) h = attention.forward(h);                        // [B, C_i, R_i, R_i]
        }
        h = torch.relu(BatchNorms.forward(outputBn, h));                                          // [B, C_last, R, R]
        return torch.tanh(outputConv.forward(h));                                     // [B, imageChannels, R, R]
    }

    /** The architecture. */
    public GeneratorConfig config() { return config; }

    /** The residual blocks, in order (the same modules as {@code blocks.i}). */
    public List<GeneratorBlock> blocks() { return Collections.unmodifiableList(blockList); }

    /**
     * Re-initialises every convolution/linear {@code weight_orig} and the shared embedding orthogonally (BigGAN's
     * {@code init_weights} with {@code G_init='ortho'}). Biases, batch-norm affines and attention's gamma are kept.
     */
    public void initOrthogonal() {
        try (NoGradGuard g = new NoGradGuard()) {
            StringTensorDict ps = named_parameters(true);
            for (long i = 0; i < ps.size(); i++) {
                String name = ps.get(i).key().getString();
                if (name.endsWith(".weight_orig") || name.equals("shared.weight"))
                    Initializers.orthogonal_(ps.get(i).value());                // ps stays alive meanwhile
            }
        }
        SpectralNorm.refreshAll(this, SpectralNorm.INIT_ITERATIONS);        // sigma estimates for the new weights
    }
}
