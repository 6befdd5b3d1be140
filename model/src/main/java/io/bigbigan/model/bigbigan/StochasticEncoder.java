package io.bigbigan.model.bigbigan;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.kBilinear;

/**
 * The BigBiGAN encoder E(z | x) (Donahue &amp; Simonyan 2019, Section 3 "Encoder E" and Appendix): a ResNet-v2 /
 * RevNet backbone ({@link ResNetEncoder}) and an MLP head ({@link EncoderHead}) giving a posterior over z. E's input
 * resolution is independent of G's (the paper feeds E 256 px images while G makes 128 px ones): inputs of another
 * size are resized bilinearly (align_corners false, no antialiasing) to {@link EncoderConfig#resolution()}.
 *
 * <p>Parameter names: {@code backbone.stem.weight, backbone.stages.0.0.bn1.weight, ..., backbone.bn_out.*,
 * head.fc_in.weight, head.blocks.0.fc1.weight, ..., head.out.weight}.
 */
public final class StochasticEncoder extends Module {
    /**
     * E's result.
     *
     * @param z      the latent sample [B, zDim]
     * @param mu     the posterior mean [B, zDim] (equals z for DETERMINISTIC and UNIFORM)
     * @param sigma  the posterior standard deviation [B, zDim]; null unless the posterior is GAUSSIAN
     * @param pooled the backbone's pooled features [B, featureDim], the representation evaluated downstream
     */
    public record Output(Tensor z, Tensor mu, Tensor sigma, Tensor pooled) {}

    private final EncoderConfig config;
    private final ResNetEncoder backbone;
    private final EncoderHead head;

    public StochasticEncoder(EncoderConfig config) {
        this.config = config;
        backbone = register_module("backbone", new ResNetEncoder(config));
        head = register_module("head", new EncoderHead(config));
    }

    /**
     * Encodes images x [B, C, H, W] with values in [-1, 1], any H and W, drawing eps from {@code generator}
     * (the default generator when null).
     */
    public Output forward(Tensor x, Generator generator) {
        return forward(x, generator, 0, x.size(0));
    }

    /**
     * As {@link #forward(Tensor, Generator)}, with eps as rows {@code [rowOffset, rowOffset + B)} of a draw of
     * {@code totalRows} rows (see {@link EncoderHead#forward(Tensor, Generator, long, long)}).
     */
    public Output forward(Tensor x, Generator generator, long rowOffset, long totalRows) {
        if (x.dim() != 4 || x.size(1) != config.imageChannels())
            throw new IllegalArgumentException("encoder: expected images [B, " + config.imageChannels()
                    + ", H, W], got " + java.util.Arrays.toString(x.sizes().vec().get()));
        Tensor h = resize(x);                                        // [B, C, R, R]
        Tensor pooled = backbone.forward(h);                         // [B, F]
        EncoderHead.Posteriors p = head.forward(pooled, generator, rowOffset, totalRows);  // [B, z] each
        return new Output(p.z(), p.mu(), p.sigma(), pooled);
    }

    /**
     * A fresh posterior sample for an earlier {@link #forward}'s result: z drawn again from the same mu and sigma
     * (see {@link EncoderHead#resample}), so E need not run again on the same images with the same weights.
     */
    public Output resample(Output o, Generator generator, long rowOffset, long totalRows) {
        EncoderHead.Posteriors p = head.resample(new EncoderHead.Posteriors(o.z(), o.mu(), o.sigma()), generator,
                rowOffset, totalRows);
        return new Output(p.z(), p.mu(), p.sigma(), o.pooled());
    }

    /** {@link #forward(Tensor, Generator)} with the default generator. */
    public Output forward(Tensor x) {
        return forward(x, null);
    }

    /** x [B, C, H, W] -> [B, C, R, R]; returns x itself when it already has the encoder's resolution. */
    public Tensor resize(Tensor x) {
        long r = config.resolution();
        if (x.size(2) == r && x.size(3) == r) return x;
        InterpolateFuncOptions o = new InterpolateFuncOptions();
        o.size().put(new LongVector(r, r));
        o.mode().put(new kBilinear());
        o.align_corners().put(false);
        return torch.interpolate(x, o);                              // [B, C, R, R]
    }

    /** The configuration this encoder was built from. */
    public EncoderConfig config() {
        return config;
    }

    /** The convolutional backbone. */
    public ResNetEncoder backbone() {
        return backbone;
    }

    /** The MLP head. */
    public EncoderHead head() {
        return head;
    }
}
