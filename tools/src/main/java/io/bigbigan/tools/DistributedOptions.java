package io.bigbigan.tools;

import io.bigbigan.trainer.config.OptionException;
import io.bigbigan.trainer.dist.DataParallel;
import io.bigbigan.trainer.dist.ReplicaSetup;
import picocli.CommandLine.Option;

import java.time.Duration;

/** Data-parallel training options of {@code train}: local worker processes, or one rank of a multi-host run. */
final class DistributedOptions {
    @Option(names = "--nproc", defaultValue = "1", description = {"Start N local worker processes that train",
            "data-parallel (Gloo over 127.0.0.1; --batch is per process; rank 0 writes the run)."})
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

    /** Connects to the other ranks, or {@link DataParallel#single()}. */
    DataParallel connect() {
        ReplicaSetup s = setup();
        return s == null ? DataParallel.single() : DataParallel.connect(s);
    }
}
