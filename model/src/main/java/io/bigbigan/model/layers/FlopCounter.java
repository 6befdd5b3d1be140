package io.bigbigan.model.layers;

import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;

/**
 * Counts the floating-point operations of the matrix-multiply layers (convolutions, linear layers, attention's
 * batched products) that run on this thread while a counter is open: forward FLOPs as executed, and the backward
 * FLOPs they imply (one more forward's worth for the input gradient when the input needs one, and one for the weight
 * gradient when the weight needs one; none under no-grad). One multiply-add is 2 FLOPs; element-wise work (norms,
 * activations, the optimiser) is not counted, as in the usual model-FLOPs utilisation figures.
 *
 * <p>Closed counters cost one thread-local read per layer call. Counting reads only tensor shapes and flags, so it
 * never synchronises with a device.
 */
public final class FlopCounter implements AutoCloseable {
    private static final ThreadLocal<FlopCounter> ACTIVE = new ThreadLocal<>();

    private final FlopCounter previous;
    private long forward, backward;

    private FlopCounter(FlopCounter previous) {
        this.previous = previous;
    }

    /** Opens a counter on this thread (nesting: the inner one counts until closed). */
    public static FlopCounter open() {
        FlopCounter c = new FlopCounter(ACTIVE.get());
        ACTIVE.set(c);
        return c;
    }

    @Override
    public void close() {
        if (previous == null) ACTIVE.remove();
        else ACTIVE.set(previous);
    }

    /** Forward FLOPs counted so far. */
    public long forwardFlops() { return forward; }

    /** Backward FLOPs implied by the counted forwards. */
    public long backwardFlops() { return backward; }

    /** Forward plus backward. */
    public long totalFlops() { return forward + backward; }

    /** Resets both counts to zero. */
    public void reset() {
        forward = 0;
        backward = 0;
    }

    /**
     * Records a product producing {@code out} with {@code macsPerOutput} multiply-adds per output element, whose
     * two operands are {@code a} and {@code b} (input and weight, or two activations).
     */
    public static void record(Tensor out, long macsPerOutput, Tensor a, Tensor b) {
        FlopCounter c = ACTIVE.get();
        if (c == null) return;
        long flops = 2 * out.numel() * macsPerOutput;
        c.forward += flops;
        if (out.requires_grad()) c.backward += flops * ((a.requires_grad() ? 1 : 0) + (b.requires_grad() ? 1 : 0));
    }

    /** Runs {@code conv} on {@code x} ({@link Convolutions#forward}), counting it. */
    public static Tensor forward(Conv2dImpl conv, Tensor x) {
        Tensor y = Convolutions.forward(conv, x);                             // [B, out, H', W']
        if (ACTIVE.get() != null) {
            Tensor w = conv.weight();                                         // [out, in / groups, kh, kw]
            record(y, w.size(1) * w.size(2) * w.size(3), x, w);
        }
        return y;
    }

    /** Runs {@code linear} on {@code x}, counting it. */
    public static Tensor forward(LinearImpl linear, Tensor x) {
        Tensor y = linear.forward(x);                                         // [..., out]
        if (ACTIVE.get() != null) record(y, x.size(-1), x, linear.weight());
        return y;
    }
}
