package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.distributed.DataParallel;
import io.bigbigan.trainer.distributed.ReplicaSetup;
import picocli.CommandLine.Option;

import java.time.Duration;

/** Data-parallel training options of {@code train}: local worker processes, or one rank of a multi-host run. */
final class DistributedOptions {
    @Option(names = {"--nproc", "--nproc-per-node"}, defaultValue = "1", description = {"Start N local worker processes that",
            "train data-parallel (Gloo over 127.0.0.1; --batch is per process; rank 0 writes the run); each gets",
            "LOCAL_RANK and LOCAL_WORLD_SIZE as under torchrun, and --device cuda means its GPU cuda:LOCAL_RANK."})
    int nproc;

    @Option(names = "--rank", description = "This process's rank in a multi-process run (or env RANK).")
    Integer rank;

    @Option(names = "--world-size", description = "Number of ranks (or env WORLD_SIZE); above 1 trains data-parallel.")
    Integer worldSize;

    @Option(names = "--master-addr", description = "Host of rank 0's TCPStore (or env MASTER_ADDR; default 127.0.0.1).")
    String masterAddr;

    @Option(names = "--master-port", description = "Port of rank 0's TCPStore (or env MASTER_PORT; default 29500).")
    Integer masterPort;

    @Option(names = "--dist-timeout", defaultValue = "300", description = {"Seconds a rank waits for the others in",
            "rendezvous and each collective before it stops with an error (default: ${DEFAULT-VALUE})."})
    int timeoutSeconds;

    @Option(names = "--dist-backend", defaultValue = "gloo", description = {"Collectives engine: gloo (CPU) or nccl",
            "(CUDA; needs the gpu build, mvn -Pcuda) (default: ${DEFAULT-VALUE})."})
    String backend;

    /** True when this process should start local workers instead of training. */
    boolean launchesWorkers() {
        if (nproc < 1) throw new OptionException("--nproc must be at least 1, got " + nproc);
        if (nproc > 1 && (rank != null || worldSize != null))
            throw new OptionException("give --nproc (local workers) or --rank/--world-size, not both");
        return nproc > 1;
    }

    /** This process's place in a data-parallel run, or null when it trains alone. */
    ReplicaSetup setup() {
        if (timeoutSeconds < 1) throw new OptionException("--dist-timeout must be at least 1 second");
        return ReplicaSetup.resolve(rank, worldSize, masterAddr, masterPort, Duration.ofSeconds(timeoutSeconds),
                backend, System.getenv());
    }

    /**
     * The device a rank trains on, torchrun's way: {@code --device cuda} (no index) with {@code LOCAL_RANK} set in
     * {@code env} is {@code cuda:LOCAL_RANK}, so that the ranks of one host share its GPUs without
     * {@code CUDA_VISIBLE_DEVICES}; anything else is {@code device} as given.
     *
     * @throws OptionException when LOCAL_RANK is not an integer in 0..LOCAL_WORLD_SIZE-1
     */
    static String localDevice(String device, java.util.Map<String, String> env) {
        String local = env.get("LOCAL_RANK");
        if (!"cuda".equals(device) || local == null || local.isBlank()) return device;
        int rank, size;
        try {
            rank = Integer.parseInt(local.strip());
            String s = env.get("LOCAL_WORLD_SIZE");
            size = s == null || s.isBlank() ? Integer.MAX_VALUE : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new OptionException("environment variables LOCAL_RANK and LOCAL_WORLD_SIZE must be integers, got '"
                    + local + "' and '" + env.get("LOCAL_WORLD_SIZE") + "'");
        }
        if (rank < 0 || rank >= size)
            throw new OptionException("environment variable LOCAL_RANK must be in 0.." + (size - 1) + " (LOCAL_WORLD_SIZE "
                    + size + "), got " + rank);
        return "cuda:" + rank;
    }

    /** Connects to the other ranks, or {@link DataParallel#single()}. */
    DataParallel connect() {
        ReplicaSetup s = setup();
        return s == null ? DataParallel.single() : DataParallel.connect(s);
    }
}
