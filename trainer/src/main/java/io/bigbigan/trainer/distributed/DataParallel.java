package io.bigbigan.trainer.distributed;

import io.bigbigan.model.layers.BatchStatistics;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Synchronous data parallelism over {@link Collectives} (Donahue &amp; Simonyan 2019 trained BigBiGAN this way,
 * with cross-replica batch norm): every rank holds a full replica, reads its own rows of each global batch, draws
 * the global batch's latents and keeps its rows, and averages each network's gradients over the ranks before the
 * optimiser step ({@link GradientSync}); batch norms use global batch statistics ({@link ReplicaBatchStatistics},
 * installed process-wide by {@link #connect}). So N ranks of batch b follow the trajectory of one process of
 * batch N*b up to floating-point summation order.
 *
 * <p>{@link #single()} is the one-process case, where every method is the identity or does nothing.
 */
public final class DataParallel implements AutoCloseable {
    /** The default gradient bucket size (PyTorch DDP's default is 25 MiB). */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private static final DataParallel SINGLE = new DataParallel(null);

    private final Collectives collectives;     // null: one process

    private DataParallel(Collectives collectives) {
        this.collectives = collectives;
    }

    /** One process: no communication. */
    public static DataParallel single() {
        return SINGLE;
    }

    /** Connects to the other ranks and makes batch norms use cross-replica statistics in this process. */
    public static DataParallel connect(ReplicaSetup setup) {
        Collectives c = setup.connect();
        BatchStatistics.install(new ReplicaBatchStatistics(c));
        return new DataParallel(c);
    }

    public int rank() {
        return collectives == null ? 0 : collectives.rank();
    }

    public int size() {
        return collectives == null ? 1 : collectives.size();
    }

    /** True on rank 0, the rank that writes checkpoints, logs and images. */
    public boolean isLeader() {
        return rank() == 0;
    }

    /** The communication counters, or null for one process. */
    public CommStats stats() {
        return collectives == null ? null : collectives.stats();
    }

    /** The engine ("gloo", "nccl"), or "none". */
    public String backend() {
        return collectives == null ? "none" : collectives.backend();
    }

    /** Rows of the global batch from a tensor of {@code localRows} rows per rank. */
    public long globalRows(long localRows) {
        return localRows * size();
    }

    /** This rank's rows {@code [rank * b, (rank + 1) * b)} of a global-batch tensor [size * b, ...]. */
    public Tensor rows(Tensor global) {
        if (collectives == null) return global;
        long b = global.size(0) / size();
        return global.narrow(0, rank() * b, b);
    }

    /** The first row of this rank within the global batch of {@code size * localRows} rows. */
    public long rowOffset(long localRows) {
        return rank() * localRows;
    }

    /** A gradient averager for {@code network}; create it outside any StepScope (it holds the parameters). */
    public GradientSync gradients(Module network) {
        return collectives == null ? null : new GradientSync(collectives, network, DEFAULT_BUCKET_BYTES);
    }

    /** Overwrites every tensor with rank 0's values (parameters, buffers, EMA copies: run start). */
    public void broadcast(Collection<Tensor> tensors) {
        if (collectives == null) return;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : tensors) collectives.broadcast(t);
        }
    }

    /**
     * Step metrics over the ranks: the mean of each value, except keys ending in {@code _min} (the minimum); and
     * whether any rank asked to stop (so all stop after the same step). Run inside a StepScope.
     */
    public Reduced reduce(Map<String, Double> values, boolean stopHere) {
        if (collectives == null) return new Reduced(values, stopHere);
        int n = values.size();
        double[] sum = new double[n + 1], min = new double[n];
        int i = 0;
        for (var e : values.entrySet()) {
            sum[i] = e.getValue();
            min[i++] = e.getValue();
        }
        sum[n] = stopHere ? 1 : 0;
        Tensor s = doubles(sum), m = doubles(min);
        collectives.allReduceSum(s).await();
        if (n > 0) collectives.allReduceMin(m);
        Map<String, Double> out = new LinkedHashMap<>();
        i = 0;
        for (String k : values.keySet()) {
            out.put(k, k.endsWith("_min") ? m.get(i).item_double() : s.get(i).item_double() / size());
            i++;
        }
        return new Reduced(out, s.get(n).item_double() > 0);
    }

    private static Tensor doubles(double[] v) {
        try (DoublePointer p = new DoublePointer(v)) {
            return torch.from_blob(p, new long[]{v.length}, new TensorOptions(torch.ScalarType.Double)).clone();
        }
    }

    /** Metrics over all ranks and the agreed stop decision. */
    public record Reduced(Map<String, Double> values, boolean stop) {}

    @Override
    public void close() {
        if (collectives == null) return;
        BatchStatistics.install(null);
        collectives.close();
    }
}
