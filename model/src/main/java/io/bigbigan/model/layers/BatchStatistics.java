package io.bigbigan.model.layers;

import org.bytedeco.pytorch.Tensor;

/**
 * Where batch-norm layers get their batch statistics from: the local batch (the default), or the batches of every
 * replica of a data-parallel run (cross-replica batch norm, as BigBiGAN was trained; Donahue &amp; Simonyan 2019,
 * Appendix; Ioffe &amp; Szegedy 2015 for batch norm itself).
 *
 * <p>The model layer never talks to a communication library: the trainer installs an implementation with
 * {@link #install} (process-wide, one data-parallel run per process) and every batch-norm forward in training mode
 * goes through {@link BatchNorms}, which calls {@link #sumAcrossReplicas} on its per-channel sums.
 */
public interface BatchStatistics {
    /** Statistics of the local batch only: {@link #sumAcrossReplicas} is the identity. */
    BatchStatistics LOCAL = new BatchStatistics() {
        @Override
        public Tensor sumAcrossReplicas(Tensor local) {
            return local;
        }

        @Override
        public int replicas() {
            return 1;
        }
    };

    /**
     * The element-wise sum of {@code local} over all replicas (every replica calls this in the same order with a
     * tensor of the same shape). Must be differentiable like a sum of the replicas' tensors: the gradient reaching
     * {@code local} on a replica is the sum over replicas of the gradients reaching the result (as PyTorch's
     * SyncBatchNorm does), so that N replicas of batch b train exactly like one of batch N*b.
     */
    Tensor sumAcrossReplicas(Tensor local);

    /** The number of replicas (1 for {@link #LOCAL}). */
    int replicas();

    /** The statistics batch norms use in this process ({@link #LOCAL} unless a trainer installed another). */
    static BatchStatistics current() {
        return Holder.current;
    }

    /** Makes {@code statistics} the process-wide source of batch statistics (null restores {@link #LOCAL}). */
    static void install(BatchStatistics statistics) {
        Holder.current = statistics == null ? LOCAL : statistics;
    }

    /** The process-wide setting. */
    final class Holder {
        private static volatile BatchStatistics current = LOCAL;

        private Holder() {}
    }
}
