package io.bigbigan.trainer.distributed;

import io.bigbigan.model.layers.BatchStatistics;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;

/**
 * Cross-replica batch statistics (as PyTorch's SyncBatchNorm): the forward value is the sum of every rank's
 * per-channel sums, {@code local + (global - local).detach()} so that autograd sees the identity to the local sums;
 * a gradient hook on that result all-reduces the incoming gradient, so the local sums receive the sum over ranks of
 * the gradients of the global statistics. With gradients averaged over ranks afterwards, N ranks of batch b train
 * like one process of batch N*b.
 *
 * <p>The hook is one JavaCPP callback object (their number is limited) created with this object, outside any
 * PointerScope; it runs on the thread that calls {@code backward()}. A failure inside it is recorded in the
 * collectives (callbacks cannot throw into LibTorch) and thrown by the next collective.
 */
final class ReplicaBatchStatistics implements BatchStatistics {
    private final Collectives collectives;
    private final TensorTensorHook sumGradient;

    ReplicaBatchStatistics(Collectives collectives) {
        this.collectives = collectives;
        this.sumGradient = new TensorTensorHook() {
            @Override
            public TensorBase call(TensorBase grad) {
                Tensor g = new Tensor(grad).clone();                   // [2C + 1], summed in place
                try {
                    collectives.allReduceSum(g).await();
                } catch (ReplicaFailure f) {
                    collectives.fail(f);
                } catch (RuntimeException e) {
                    collectives.fail(ReplicaFailure.of(collectives.rank(), collectives.size(),
                            "batch-norm gradient all-reduce", e));
                }
                return g;
            }
        };
    }

    @Override
    public Tensor sumAcrossReplicas(Tensor local) {
        Tensor global = local.detach().clone();
        collectives.allReduceSum(global).await();                      // [2C + 1] summed over ranks
        Tensor out = local.add(global.sub(local.detach()));            // value: global; gradient: to local
        if (out.requires_grad()) out.register_hook(sumGradient);
        return out;
    }

    @Override
    public int replicas() {
        return collectives.size();
    }
}
