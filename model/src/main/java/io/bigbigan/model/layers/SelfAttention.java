package io.bigbigan.model.layers;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * BigGAN's self-attention block (Zhang et al., "Self-Attention GANs", 2019; Brock et al. 2019, Appendix B):
 * theta, phi, g are spectrally normalised 1x1 convolutions (C -> C/8, C/8, C/2), phi and g max-pooled 2x2;
 * attention over positions; o (C/2 -> C) maps back; the output is x + gamma * o, with gamma a learnt scalar
 * initialised to 0 (so a fresh block is the identity).
 */
public final class SelfAttention extends Module {
    private final SNConv2d theta, phi, g, o;
    private final Tensor gamma;
    private final long channels;

    public SelfAttention(long channels) {
        if (channels % 8 != 0) throw new IllegalArgumentException("self-attention needs channels divisible by 8, got " + channels);
        this.channels = channels;
        theta = register_module("theta", new SNConv2d(channels, channels / 8, 1, 1, 0, false));
        phi = register_module("phi", new SNConv2d(channels, channels / 8, 1, 1, 0, false));
        g = register_module("g", new SNConv2d(channels, channels / 2, 1, 1, 0, false));
        o = register_module("o", new SNConv2d(channels / 2, channels, 1, 1, 0, false));
        gamma = new Tensor(register_parameter("gamma", torch.zeros(1)));   // owning handle (see SNLinear)
    }

    /** x [B, C, H, W] (H and W even) -> [B, C, H, W]. */
    public Tensor forward(Tensor x) {
        long b = x.size(0), h = x.size(2), w = x.size(3), n = h * w;
        Tensor th = theta.forward(x).reshape(b, channels / 8, n);                                   // [B, C/8, HW]
        Tensor ph = torch.max_pool2d(phi.forward(x), 2, 2).reshape(b, channels / 8, n / 4);        // [B, C/8, HW/4]
        Tensor gg = torch.max_pool2d(g.forward(x), 2, 2).reshape(b, channels / 2, n / 4);          // [B, C/2, HW/4]
        Tensor logits = torch.bmm(th.transpose(1, 2), ph);                                      // [B, HW, HW/4]
        FlopCounter.record(logits, channels / 8, th, ph);
        Tensor beta = torch.softmax(logits, -1);                                                 // [B, HW, HW/4]
        Tensor mixed = torch.bmm(gg, beta.transpose(1, 2));                                      // [B, C/2, HW]
        FlopCounter.record(mixed, n / 4, gg, beta);
        Tensor attn = mixed.view(b, channels / 2, h, w);                                         // [B, C/2, H, W]
        return x.add(o.forward(attn).mul(gamma));                                                // [B, C, H, W]
    }
}
