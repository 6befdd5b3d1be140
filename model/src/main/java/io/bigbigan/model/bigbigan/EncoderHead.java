package io.bigbigan.model.bigbigan;

import io.bigbigan.model.layers.FlopCounter;
import io.bigbigan.model.bigbigan.EncoderConfig.Posterior;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * The MLP head of the BigBiGAN encoder (Donahue &amp; Simonyan 2019, Section 3 and Appendix: "an MLP with 4 layers of
 * 4096 units" on the pooled backbone features, parameterising a Gaussian posterior). Layout:
 * <pre>
 *   h = fc_in(features)                                   [B, W]
 *   h = h + fc2(relu(fc1(relu(h))))   for each block      [B, W]
 *   o = out(relu(h))                                      [B, 2 zDim] (Gaussian) or [B, zDim]
 * </pre>
 * Posterior: GAUSSIAN {@code mu, sigma_hat = o; sigma = softplus(sigma_hat); z = mu + eps * sigma};
 * DETERMINISTIC {@code z = mu = o}; UNIFORM {@code z = mu = tanh(o)}. Parameters {@code fc_in.*},
 * {@code blocks.<i>.fc1.*}, {@code blocks.<i>.fc2.*}, {@code out.*}; no normalisation, so the head is deterministic
 * given its input apart from eps.
 */
public final class EncoderHead extends Module {
    /**
     * The head's result.
     *
     * @param z     the latent sample [B, zDim]
     * @param mu    the posterior mean [B, zDim] (equals z when not Gaussian)
     * @param sigma the posterior standard deviation [B, zDim], or null when not Gaussian
     */
    public record Posteriors(Tensor z, Tensor mu, Tensor sigma) {}

    /** One residual MLP block: {@code h + fc2(relu(fc1(relu(h))))}; parameters {@code fc1.*, fc2.*}. */
    public static final class ResidualBlock extends Module {
        private final LinearImpl fc1, fc2;

        public ResidualBlock(int width) {
            fc1 = register_module("fc1", new LinearImpl(width, width));
            fc2 = register_module("fc2", new LinearImpl(width, width));
        }

        /** h [B, W] -> [B, W]. */
        public Tensor forward(Tensor h) {
            return h.add(FlopCounter.forward(fc2, torch.relu(FlopCounter.forward(fc1, torch.relu(h)))));
        }
    }

    private final LinearImpl fcIn, out;
    private final List<ResidualBlock> blocks = new ArrayList<>();
    private final Posterior posterior;
    private final int zDim;

    /** A head on {@code features}-wide inputs: {@code width} units, {@code blockCount} residual blocks. */
    public EncoderHead(int features, int width, int blockCount, int zDim, Posterior posterior) {
        this.posterior = posterior;
        this.zDim = zDim;
        fcIn = register_module("fc_in", new LinearImpl(features, width));
        ModuleListImpl list = register_module("blocks", new ModuleListImpl());
        for (int i = 0; i < blockCount; i++) {
            ResidualBlock b = new ResidualBlock(width);
            list.push_back(b);
            blocks.add(b);
        }
        out = register_module("out", new LinearImpl(width, posterior == Posterior.GAUSSIAN ? 2 * zDim : zDim));
    }

    /** The head of {@code c}'s encoder. */
    public EncoderHead(EncoderConfig c) {
        this(c.featureDim(), c.headWidth(), c.headBlocks(), c.zDim(), c.posterior());
    }

    /**
     * Pooled features [B, F] -> posterior and sample. eps is drawn from {@code generator} (on the generator's device,
     * then moved to mu's), or from the default generator of mu's device when null.
     */
    public Posteriors forward(Tensor features, Generator generator) {
        return forward(features, generator, 0, features.size(0));
    }

    /**
     * As {@link #forward(Tensor, Generator)}, with eps taken as rows {@code [rowOffset, rowOffset + B)} of a draw of
     * {@code totalRows} rows from {@code generator}: a data-parallel replica holding part of a global batch draws
     * the global batch's noise and keeps its own rows, so that the replicas together see what one process with the
     * whole batch would.
     */
    public Posteriors forward(Tensor features, Generator generator, long rowOffset, long totalRows) {
        long rows = features.size(0);
        if (rowOffset < 0 || rowOffset + rows > totalRows)
            throw new IllegalArgumentException("posterior noise rows [" + rowOffset + ", " + (rowOffset + rows)
                    + ") outside a draw of " + totalRows);
        Tensor h = FlopCounter.forward(fcIn, features);                           // [B, W]
        for (ResidualBlock b : blocks) h = b.forward(h);             // [B, W]
        Tensor o = FlopCounter.forward(out, torch.relu(h));                       // [B, 2z] or [B, z]
        return switch (posterior) {
            case DETERMINISTIC -> new Posteriors(o, o, null);
            case UNIFORM -> {
                Tensor z = torch.tanh(o);                            // [B, z] in (-1, 1)
                yield new Posteriors(z, z, null);
            }
            case GAUSSIAN -> {
                Tensor mu = o.narrow(1, 0, zDim);                    // [B, z]
                Tensor sigma = torch.softplus(o.narrow(1, zDim, zDim)); // [B, z], > 0
                yield new Posteriors(sample(mu, sigma, generator, rowOffset, totalRows), mu, sigma);
            }
        };
    }

    /**
     * A fresh sample from the posterior of an earlier {@link #forward}'s result (the same mu and sigma, with their
     * graphs), drawing eps exactly as that forward does: what running the head again on the same features gives,
     * without running it. Non-Gaussian posteriors are deterministic and come back unchanged.
     */
    public Posteriors resample(Posteriors p, Generator generator, long rowOffset, long totalRows) {
        if (p.sigma() == null) return p;
        long rows = p.mu().size(0);
        if (rowOffset < 0 || rowOffset + rows > totalRows)
            throw new IllegalArgumentException("posterior noise rows [" + rowOffset + ", " + (rowOffset + rows)
                    + ") outside a draw of " + totalRows);
        return new Posteriors(sample(p.mu(), p.sigma(), generator, rowOffset, totalRows), p.mu(), p.sigma());
    }

    /** z = mu + eps * sigma with eps as rows [rowOffset, rowOffset + B) of a [totalRows, zDim] draw. */
    private Tensor sample(Tensor mu, Tensor sigma, Generator generator, long rowOffset, long totalRows) {
        long rows = mu.size(0);
        long[] drawn = {totalRows, zDim};                              // [N, z], rows [offset, offset + B) kept
        Tensor eps = generator == null
                ? torch.randn(drawn, mu.options())
                : torch.randn(drawn, new GeneratorOptional(generator),
                        new TensorOptions(generator.device())).to(mu); // float32 draw, then mu's device and dtype
        if (totalRows != rows) eps = eps.narrow(0, rowOffset, rows);   // [B, z]
        return mu.add(eps.mul(sigma));                                 // z = mu + eps * sigma
    }

    /** The posterior family. */
    public Posterior posterior() {
        return posterior;
    }
}
