package io.bigbigan.trainer.distributed;

import io.bigbigan.trainer.config.OptionException;
import java.time.Duration;
import java.util.Map;

/**
 * Where a rank sits in a data-parallel run and how it finds the others: rank 0 hosts a TCPStore at
 * {@code masterAddr:masterPort} through which every rank rendezvous (as {@code torchrun} does).
 *
 * @param rank       0 .. worldSize - 1
 * @param worldSize  number of ranks
 * @param masterAddr host of rank 0's store
 * @param masterPort its port
 * @param timeout    rendezvous and collective timeout: a rank that hears nothing from a peer for this long stops
 * @param backend    {@code gloo} (CPU) or {@code nccl} (CUDA, needs the gpu build of LibTorch)
 */
public record ReplicaSetup(int rank, int worldSize, String masterAddr, int masterPort, Duration timeout,
                           String backend) {
    public ReplicaSetup {
        if (worldSize < 1) throw new OptionException("--world-size must be at least 1, got " + worldSize);
        if (rank < 0 || rank >= worldSize)
            throw new OptionException("--rank must be in 0.." + (worldSize - 1) + ", got " + rank);
        if (masterPort < 1 || masterPort > 65535)
            throw new OptionException("--master-port must be in 1..65535, got " + masterPort);
        if (timeout.isNegative() || timeout.isZero())
            throw new OptionException("--dist-timeout must be positive, got " + timeout.toSeconds() + " s");
        if (!backend.equals("gloo") && !backend.equals("nccl"))
            throw new OptionException("--dist-backend must be gloo or nccl, got " + backend);
    }

    /** The default TCPStore port (PyTorch's). */
    public static final int DEFAULT_PORT = 29500;

    /**
     * The setup from flags, falling back to the environment variables {@code RANK}, {@code WORLD_SIZE},
     * {@code MASTER_ADDR} and {@code MASTER_PORT} (as torchrun sets them); null when neither gives a world size
     * above 1.
     */
    public static ReplicaSetup resolve(Integer rank, Integer worldSize, String masterAddr, Integer masterPort,
                                       Duration timeout, String backend, Map<String, String> env) {
        Integer world = worldSize != null ? worldSize : intEnv(env, "WORLD_SIZE");
        if (world == null || world <= 1) {
            if (rank != null && rank != 0) throw new OptionException("--rank " + rank + " needs --world-size");
            return null;
        }
        Integer r = rank != null ? rank : intEnv(env, "RANK");
        if (r == null) throw new OptionException("--world-size " + world + " needs --rank (or RANK)");
        String addr = masterAddr != null ? masterAddr : env.getOrDefault("MASTER_ADDR", "127.0.0.1");
        Integer port = masterPort != null ? masterPort : intEnv(env, "MASTER_PORT");
        return new ReplicaSetup(r, world, addr, port != null ? port : DEFAULT_PORT, timeout, backend);
    }

    private static Integer intEnv(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return null;
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("environment variable " + name + " must be an integer, got '" + v + "'");
        }
    }

    /** Connects to the other ranks with the configured backend. */
    public Collectives connect() {
        return backend.equals("nccl") ? C10dCollectives.nccl(this) : C10dCollectives.gloo(this);
    }
}
