package io.bigbigan.tools;

import io.bigbigan.nativelib.Torch;
import picocli.CommandLine.Option;

/** Options shared by commands that compute. */
final class CommonOptions {
    @Option(names = "--threads", description = "LibTorch threads (default: one per core).", defaultValue = "0")
    int threads;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    void apply() {
        Torch.setThreads(threads);
        Torch.seed(seed);
    }
}
