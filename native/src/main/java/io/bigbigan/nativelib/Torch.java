package io.bigbigan.nativelib;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one entry point that loads LibTorch. Call {@link #load()} before touching any
 * {@code org.bytedeco.pytorch} class.
 *
 * <p>With an empty JavaCPP cache, loading libtorch directly crashes the JVM (SIGSEGV while
 * {@code libtorch.so} is loaded before {@code libtorch_cpu.so} is unpacked). {@link #load()} therefore first
 * unpacks every native resource with {@link Loader#cacheResources(String)}, holding an exclusive file lock on the
 * cache so that several processes never unpack at once, and only then loads the libraries.
 */
public final class Torch {
    private static volatile boolean loaded;

    private Torch() {}

    /** Unpacks (under a cross-process lock) and loads LibTorch once per JVM; later calls return at once. */
    public static void load() {
        if (loaded) return;
        synchronized (Torch.class) {
            if (loaded) return;
            try {
                Path cache = Loader.getCacheDir().toPath();
                Files.createDirectories(cache);
                try (FileChannel ch = FileChannel.open(cache.resolve(".bigbigan-unpack.lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = ch.lock()) {
                    String platform = Loader.getPlatform();
                    for (String pkg : new String[]{"javacpp", "openblas", "cuda", "pytorch"}) {
                        for (String suffix : new String[]{"", "-gpu"}) {
                            String resource = "/org/bytedeco/" + pkg + "/" + platform + suffix + "/";
                            if (Torch.class.getResource(resource) != null) Loader.cacheResources(resource);
                        }
                    }
                    Loader.load(torch.class);
                }
                // NNPACK off: ATen would try it for some fp32 convolutions without gradients (evaluation, image
                // grids). On the AVX-512 AMD EPYC measured here it cannot initialise, and each try prints "Could not
                // initialize NNPACK! Reason: Unsupported hardware" once per thread (24 lines per evaluation) before
                // ATen falls back to its other kernels; off, ATen uses those kernels on every CPU.
                torch.globalContext().setUserEnabledNNPACK(false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare the JavaCPP native cache: " + e.getMessage(), e);
            }
            loaded = true;
        }
    }

    /**
     * Sets LibTorch's intra-op thread count ({@code <= 0}: one per available core). OpenBLAS must run single-threaded
     * next to it (environment {@code OPENBLAS_NUM_THREADS=1}, set by the launcher), or small steps run ~15x slower.
     */
    public static int setThreads(int threads) {
        load();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        torch.set_num_threads(n);
        return torch.get_num_threads();
    }

    /** Seeds LibTorch's global CPU generator (and CUDA's when present). */
    public static void seed(long seed) {
        load();
        torch.manual_seed(seed);
        if (torch.cuda_is_available()) torch.cuda_manual_seed_all(seed);
    }

    /**
     * Parses a device name: {@code cpu}, {@code cuda} or {@code cuda:N}.
     *
     * @throws IllegalArgumentException naming the value when it is malformed or the device does not exist
     */
    public static Device device(String name) {
        load();
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("cpu")) return new Device(torch.DeviceType.CPU, (byte) -1);
        if (n.equals("cuda") || n.startsWith("cuda:")) {
            int index = 0;
            if (n.startsWith("cuda:")) {
                try {
                    index = Integer.parseInt(n.substring(5));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("device '" + name + "': expected cuda:N with N a number");
                }
            }
            int count = torch.cuda_is_available() ? torch.cuda_device_count() : 0;
            if (index < 0 || index >= count)
                throw new IllegalArgumentException("device '" + name + "': " + (count == 0
                        ? "no CUDA device is available (CPU build of LibTorch, or no GPU/driver)"
                        : "only " + count + " CUDA device(s) present"));
            return new Device(torch.DeviceType.CUDA, (byte) index);
        }
        throw new IllegalArgumentException("device '" + name + "': expected cpu, cuda or cuda:N");
    }

    private static String version(String artifact) {
        try {
            String v = Loader.getVersion("org.bytedeco", artifact);
            return v == null ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Bytes in use on the current CUDA device (cudaMemGetInfo: total - free), or -1 without CUDA. */
    public static long cudaMemoryUsed() {
        return CudaDevices.usedBytes();
    }

    /** The name and memory of CUDA device {@code index}, as {@link #info()} lists it. */
    public static String cudaDeviceName(int index) {
        return CudaDevices.describe(index + 1).get(index);
    }

    /** What this process runs on: library versions, devices and thread settings. */
    public static RuntimeInfo info() {
        load();
        int cudaCount = torch.cuda_is_available() ? torch.cuda_device_count() : 0;
        return new RuntimeInfo(
                version("pytorch"), version("javacpp"), version("openblas"),
                Runtime.version().toString(),
                Loader.getPlatform(),
                cudaCount,
                CudaDevices.describe(cudaCount),
                torch.get_num_threads(),
                (int) torch.get_num_interop_threads(),
                System.getenv("OPENBLAS_NUM_THREADS"),
                Runtime.getRuntime().availableProcessors(),
                torch.get_mkldnn_version().getString(),
                CpuFeatures.host());
    }
}
