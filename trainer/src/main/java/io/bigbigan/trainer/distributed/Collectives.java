package io.bigbigan.trainer.distributed;

import org.bytedeco.pytorch.Tensor;

/**
 * The collective operations a data-parallel run needs, independent of the engine behind them (Gloo on CPU,
 * NCCL on GPUs). Every rank must issue the same collectives in the same order with tensors of the same shape;
 * all operate in place. A failed collective (a peer died or timed out) throws {@link ReplicaFailure} and leaves the
 * group unusable.
 */
public interface Collectives extends AutoCloseable {
    /** A collective in flight. */
    interface Pending {
        /**
         * Waits for completion.
         *
         * @throws ReplicaFailure when the collective failed
         */
        void await();
    }

    /** This process's rank, 0 .. size - 1. */
    int rank();

    /** The number of ranks. */
    int size();

    /** The engine's name ("gloo", "nccl"). */
    String backend();

    /** Starts summing {@code t} over all ranks, in place; returns at once. */
    Pending allReduceSum(Tensor t);

    /** Element-wise minimum of {@code t} over all ranks, in place, waiting for the result. */
    void allReduceMin(Tensor t);

    /** Overwrites {@code t} with rank 0's values, waiting for the result. */
    void broadcast(Tensor t);

    /** What the collectives have moved and waited for so far. */
    CommStats stats();

    /** Records a failure noticed outside a collective call (e.g. in an autograd hook); later calls throw it. */
    void fail(ReplicaFailure failure);

    @Override
    void close();
}
