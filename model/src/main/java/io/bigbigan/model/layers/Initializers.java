package io.bigbigan.model.layers;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Weight initialisers missing from the C++ API. {@link #orthogonal_} is PyTorch's {@code nn.init.orthogonal_}
 * (Saxe et al., ICLR 2014), which BigGAN uses for every layer of G and D ({@code G_init='ortho'}, Brock et al.
 * 2019, Appendix B).
 */
public final class Initializers {
    private Initializers() {}

    /** {@link #orthogonal_(Tensor, double)} with gain 1. */
    public static Tensor orthogonal_(Tensor weight) {
        return orthogonal_(weight, 1.0);
    }

    /**
     * Fills {@code weight} [rows, ...] in place with a (semi-)orthogonal matrix of shape [rows, rest] (rest = the
     * product of the other dimensions), scaled by {@code gain}: rows are orthonormal when rows <= rest, columns
     * otherwise. Built as the Q of a QR decomposition of a Gaussian matrix, with Q's columns multiplied by the signs
     * of R's diagonal so the result is uniformly distributed (Haar). Uses the global CPU generator.
     *
     * @return {@code weight}
     */
    public static Tensor orthogonal_(Tensor weight, double gain) {
        if (weight.dim() < 2)
            throw new IllegalArgumentException("orthogonal init needs a tensor with at least 2 dimensions, got "
                    + weight.dim());
        long rows = weight.size(0), cols = weight.numel() / rows;
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor a = torch.randn(rows, cols);                              // [rows, cols]
            if (rows < cols) a = a.t();                                      // [max, min]: QR needs tall input
            T_TensorTensor_T qr = torch.linalg_qr(a);                        // reduced: Q [max, min], R [min, min]
            Tensor q = new Tensor(qr.get0()), r = new Tensor(qr.get1());     // owning: get0/get1 refer into qr
            q = q.mul(torch.sign(torch.diag(r, 0)));                         // sign-corrected Q
            if (rows < cols) q = q.t();                                      // [rows, cols]
            weight.copy_(q.reshape(weight.sizes().vec().get()).mul(new Scalar(gain)));
        }
        return weight;
    }
}
