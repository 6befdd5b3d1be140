package io.bigbigan.trainer.distributed;

import io.bigbigan.bindings.Modules;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * Averages one network's gradients over the ranks, overlapped with the backward pass as PyTorch DDP does: the
 * parameters are grouped into a few large buckets (at most {@code bucketBytes} each, in reverse registration
 * order, the order in which backward produces them), a gradient hook on every parameter adds its gradient into its
 * bucket's flat buffer, and as soon as a bucket is complete its all-reduce is started asynchronously (Gloo and
 * NCCL run it on their own threads / streams) while autograd computes the earlier layers. {@link #finish} starts
 * the buckets not yet started (parameters that got no gradient contribute zeros, so every rank sends the same
 * buckets, and keep no gradient), waits, divides by the number of ranks and writes the averages into the parameters' {@code .grad}.
 *
 * <p>Usage per optimiser step: {@link #prepare}{@code (k)} (after {@code zero_grad}), then {@code k} backward passes
 * (gradient accumulation: the buckets start after the k-th), then {@link #finish} before the optimiser step. The
 * hooks do nothing outside prepare/finish. Every rank runs the same graph, so the hooks fire, and the collectives
 * start, in the same order everywhere. The hooks are JavaCPP callbacks, created with this object (outside any
 * PointerScope) and called on the thread that runs {@code backward()}.
 */
public final class GradientSync {
    private final Collectives collectives;
    private final List<Bucket> buckets = new ArrayList<>();
    private final List<TensorTensorHook> hooks = new ArrayList<>();   // kept reachable while registered
    private boolean armed;
    private int passes;

    private static final class Bucket {
        final List<Tensor> params = new ArrayList<>();
        final List<Long> offsets = new ArrayList<>();
        Tensor flat;                                                   // [numel of the bucket's parameters]
        int arrived;
        Collectives.Pending pending;
    }

    /** One process: prepare and finish do nothing; gradients stay as backward left them. */
    public static GradientSync none() {
        return new GradientSync();
    }

    private GradientSync() {
        this.collectives = null;
    }

    GradientSync(Collectives collectives, Module network, long bucketBytes) {
        this.collectives = collectives;
        List<Tensor> params = new ArrayList<>(Modules.parameters(network).values());
        java.util.Collections.reverse(params);                       // backward produces the last layers first
        Bucket current = new Bucket();
        long bytes = 0, offset = 0;
        for (Tensor p : params) {
            long b = p.numel() * p.element_size();
            if (!current.params.isEmpty() && bytes + b > bucketBytes) {
                buckets.add(current);
                current = new Bucket();
                bytes = 0;
                offset = 0;
            }
            current.params.add(p);
            current.offsets.add(offset);
            offset += p.numel();
            bytes += b;
        }
        if (!current.params.isEmpty()) buckets.add(current);
        for (Bucket bucket : buckets) {
            long n = 0;
            for (Tensor p : bucket.params) n += p.numel();
            bucket.flat = torch.zeros(new long[]{n}, bucket.params.getFirst().options());
            for (int i = 0; i < bucket.params.size(); i++) {
                TensorTensorHook h = hook(bucket, bucket.offsets.get(i), bucket.params.get(i).numel());
                hooks.add(h);
                bucket.params.get(i).register_hook(h);
            }
        }
    }

    private TensorTensorHook hook(Bucket bucket, long offset, long numel) {
        return new TensorTensorHook() {
            @Override
            public TensorBase call(TensorBase grad) {
                if (!armed) return grad;
                try (NoGradGuard g = new NoGradGuard()) {
                    bucket.flat.narrow(0, offset, numel).add_(new Tensor(grad).reshape(-1));
                    if (++bucket.arrived == bucket.params.size() * passes) start(bucket);
                } catch (ReplicaFailure f) {
                    collectives.fail(f);
                } catch (RuntimeException e) {
                    collectives.fail(ReplicaFailure.of(collectives.rank(), collectives.size(), "gradient all-reduce", e));
                }
                return grad;
            }
        };
    }

    private void start(Bucket b) {
        b.pending = collectives.allReduceSum(b.flat);
    }

    /** The number of buckets. */
    public int bucketCount() {
        return buckets.size();
    }

    /** Arms the hooks for the next {@code backwardPasses} backward passes (gradient accumulation: more than 1). */
    public void prepare(int backwardPasses) {
        if (collectives == null) return;                              // one process
        if (armed) throw new IllegalStateException("gradient averaging already prepared");
        try (NoGradGuard g = new NoGradGuard()) {
            for (Bucket b : buckets) {
                b.flat.zero_();
                b.arrived = 0;
                b.pending = null;
            }
        }
        passes = backwardPasses;
        armed = true;
    }

    /** Starts the remaining buckets, waits for all and writes the averaged gradients into {@code .grad}. */
    public void finish() {
        if (collectives == null) return;                              // one process: nothing to average
        if (!armed) throw new IllegalStateException("gradient averaging was not prepared");
        armed = false;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Bucket b : buckets) if (b.pending == null) start(b);
            Scalar n = new Scalar((double) collectives.size());
            for (Bucket b : buckets) {
                b.pending.await();
                b.pending = null;
                Tensor f = b.flat.div_(n);
                for (int i = 0; i < b.params.size(); i++) {
                    Tensor p = b.params.get(i);
                    Tensor avg = f.narrow(0, b.offsets.get(i), p.numel()).view(p.sizes());
                    Tensor grad = p.grad();
                    if (grad.defined()) grad.copy_(avg);     // none: unused on every rank, Adam skips it
                }
            }
        }
    }
}
