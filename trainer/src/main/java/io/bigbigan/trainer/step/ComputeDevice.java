package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;

/**
 * What a trainer needs to know about the device it computes on: where its random streams live, which autocast
 * applies, and the per-device switches (cuDNN autotuning). Tensors are moved to the device once, at the edges: the
 * model at construction, each prepared batch, latents drawn from a caller's generator; results go back to the host
 * only where Java reads them (logging, evaluation, image files).
 */
public final class ComputeDevice {
    private static volatile boolean channelsLast;

    private ComputeDevice() {}

    /**
     * Whether trainers built from now on keep 4-D weights and images in channels-last (NHWC) memory layout, the
     * layout cuDNN's tensor-core convolutions prefer. Off for library use and tests (results then match the
     * inference API bit for bit); the {@code train} and {@code bench} commands turn it on by default: it made the
     * bigbigan-32 training step 8-14% faster on this project's 2-core CPUs. Results are the same either way up to
     * floating-point reassociation, and checkpoints are written in the standard layout.
     */
    public static void channelsLast(boolean on) {
        channelsLast = on;
    }

    /** See {@link #channelsLast(boolean)}. */
    public static boolean channelsLast() {
        return channelsLast;
    }

    /**
     * Converts every 4-D parameter and buffer of {@code m} to channels-last layout in place (same tensors), with
     * recognisable channels-last strides also for one-channel weights ({@link Tensors#channelsLast}).
     */
    static void toChannelsLast(Module m) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : Modules.state(m).values())
                if (t.dim() == 4) t.set_data(Tensors.channelsLast(t));
        }
    }

    /** {@code x} in the trainers' activation layout: channels-last when that is on and x is 4-D, else as it is. */
    static Tensor layout(Tensor x) {
        return channelsLast && x.dim() == 4 ? Tensors.channelsLast(x) : x;
    }

    /** The CPU. */
    public static Device cpu() {
        return new Device(DeviceType.CPU, (byte) -1);
    }

    /** Whether {@code d} is a CUDA device. */
    public static boolean isCuda(Device d) {
        return d.is_cuda();
    }

    /**
     * {@code t} on {@code device} in its own dtype; the same tensor when already there (so CPU runs copy nothing).
     * {@code nonBlocking} lets a host-to-device copy from pinned memory overlap with queued kernels.
     */
    public static Tensor move(Tensor t, Device device, boolean nonBlocking) {
        return t.to(device, t.scalar_type(), nonBlocking, false, new MemoryFormatOptional());
    }

    /** {@code cpu} or {@code cuda:N}, for messages and metadata. */
    public static String name(Device d) {
        return isCuda(d) ? "cuda:" + Math.max(0, d.index()) : "cpu";
    }

    /**
     * A private random generator on {@code device} seeded with {@code seed}: a CPU generator, or a clone of the
     * device's default CUDA generator (Philox) re-seeded, so that the trainer's streams never leave the device.
     */
    public static Generator generator(Device device, long seed) {
        if (!isCuda(device)) return torch.createCPUGenerator(seed);
        Generator g = torch.globalContext().defaultGenerator(device).clone();
        g.set_current_seed(seed);
        return g;
    }

    /** Per-process settings for computing on {@code device}: cuDNN autotuning for the fixed-shape step on CUDA. */
    public static void configure(Device device) {
        if (isCuda(device)) torch.globalContext().setBenchmarkCuDNN(true);
    }
}
