package io.bigbigan.tools;

import io.bigbigan.nativelib.Torch;
import io.bigbigan.trainer.config.OptionException;
import org.bytedeco.pytorch.Device;
import picocli.CommandLine.Option;

/** Options shared by commands that compute. */
final class CommonOptions {
    @Option(names = "--threads", description = "LibTorch threads (default: one per core).", defaultValue = "0")
    int threads;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", description = {"cpu, cuda or cuda:N (default: ${DEFAULT-VALUE});",
            "CUDA needs the GPU build: BIGBIGAN_CUDA=1 ./bigbigan ..."})
    String device;

    /** The parsed {@code --device}. */
    Device device() {
        try {
            return Torch.device(device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device: " + e.getMessage(), e);
        }
    }

    void apply() {
        if (threads < 0) throw new OptionException("--threads must be >= 0 (0: one per core), got " + threads);
        Torch.setThreads(threads);
        Torch.seed(seed);
    }
}
