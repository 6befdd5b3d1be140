package io.bigbigan.bindings;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Automatic mixed precision for a block of code: the Java counterpart of PyTorch's
 * {@code with torch.autocast(device_type, dtype):} (the C++ {@code AutocastMode} guard is not mapped by the JavaCPP
 * presets, only the functions it uses). While open, LibTorch runs matmul-like ops (linear, matmul, conv) of the
 * given device type in {@code dtype} and keeps precision-sensitive ops (softmax, reductions, losses) in float32;
 * parameters and their gradients stay float32. Mixed precision on CPU with bfloat16: Kalamkar et al. 2019,
 * "A Study of BFLOAT16 for Deep Learning Training"; PyTorch's autocast: Micikevicius et al. 2018 (ICLR).
 * <pre>{@code
 * try (Autocast a = Autocast.cpu()) {            // bf16
 *     Tensor loss = objective(D.forward(x, G.forward(z))).to(torch.ScalarType.Float);
 * }
 * loss.backward();                               // backward may run outside (as in PyTorch)
 * }</pre>
 *
 * <p><b>Thread-local.</b> Autocast state lives in LibTorch's thread-local dispatch state: it affects only ops issued
 * from the thread that opened the block, and must be closed on that same thread (use try-with-resources). Blocks
 * nest: closing restores the enabled flag and dtype that were in effect when this block was opened, and, like
 * Python's {@code autocast.__exit__}, the cache of weights already cast to {@code dtype} is cleared when the
 * outermost block on the thread closes ({@code increment_nesting}/{@code decrement_nesting}). Opening a disabled
 * block ({@code enabled == false}) inside an enabled one turns autocast off for its body.
 */
public final class Autocast implements AutoCloseable {
    private final DeviceType device;
    private final boolean previousEnabled;
    private final ScalarType previousDtype;
    private final Thread owner;
    private boolean closed;

    /**
     * Opens a block.
     *
     * @param device  {@code DeviceType.CPU} or {@code DeviceType.CUDA}
     * @param dtype   the low-precision type: BFloat16 (CPU, CUDA) or Half (CUDA)
     * @param enabled false opens a block that disables autocast for its body
     * @throws IllegalArgumentException if autocast is not available for {@code device} in this LibTorch build
     */
    public Autocast(DeviceType device, ScalarType dtype, boolean enabled) {
        if (device == null || dtype == null) throw new IllegalArgumentException("autocast: device and dtype are required");
        if (!torch.is_autocast_available(device))
            throw new IllegalArgumentException("autocast: not available for device type " + device);
        this.device = device;
        this.owner = Thread.currentThread();
        this.previousEnabled = torch.is_autocast_enabled(device);
        this.previousDtype = torch.get_autocast_dtype(device).intern();
        torch.set_autocast_dtype(device, dtype);
        torch.set_autocast_enabled(device, enabled);
        torch.increment_nesting();
    }

    /**
     * The block a trainer opens around its forward passes for {@code precision} on {@code device}: bf16 autocast
     * (CPU or CUDA), or null in fp32 (try-with-resources accepts a null resource and then does nothing).
     */
    public static Autocast forward(Precision precision, org.bytedeco.pytorch.Device device) {
        if (precision != Precision.BF16) return null;
        return device.is_cuda() ? cuda(ScalarType.BFloat16) : cpu();
    }

    /** bfloat16 autocast on CPU. */
    public static Autocast cpu() {
        return new Autocast(DeviceType.CPU, ScalarType.BFloat16, true);
    }

    /** Autocast on CUDA in {@code dtype} (BFloat16 or Half). */
    public static Autocast cuda(ScalarType dtype) {
        return new Autocast(DeviceType.CUDA, dtype, true);
    }

    /** Whether autocast is currently on for {@code device} on this thread. */
    public static boolean isEnabled(DeviceType device) {
        return torch.is_autocast_enabled(device);
    }

    /** The device type this block controls. */
    public DeviceType device() { return device; }

    /**
     * Restores the state this block found; idempotent.
     *
     * @throws IllegalStateException if called from another thread than the one that opened the block
     */
    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner)
            throw new IllegalStateException("autocast: block opened on " + owner.getName() + " closed on "
                    + Thread.currentThread().getName() + " (autocast state is thread-local)");
        closed = true;
        torch.set_autocast_enabled(device, previousEnabled);
        torch.set_autocast_dtype(device, previousDtype);
        if (torch.decrement_nesting() == 0) torch.clear_cache();
    }
}
