package io.bigbigan.trainer.step;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.MemoryFormatOptional;
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
    private ComputeDevice() {}

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
