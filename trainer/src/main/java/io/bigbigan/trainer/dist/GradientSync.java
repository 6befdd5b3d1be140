package io.bigbigan.trainer.dist;

import io.bigbigan.bindings.Modules;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * Averages one network's gradients over the ranks: the gradients are flattened into a few large buckets
 * (at most {@code bucketBytes} each, in reverse parameter order like PyTorch DDP), each bucket's all-reduce is
 * started asynchronously ({@link #launch}), and {@link #finish} waits, divides by the number of ranks and copies
 * the averages back into the parameters' {@code .grad}. Between the two the caller may compute (e.g. launch another
 * network's buckets, or run another network's optimiser step). Parameters without a gradient contribute zeros,
 * so every rank sends the same buckets. Call both inside the step's StepScope.
 */
public final class GradientSync {
    private final Collectives collectives;
    private final List<List<Tensor>> buckets = new ArrayList<>();
    private final List<Tensor> flat = new ArrayList<>();
    private final List<Collectives.Pending> pending = new ArrayList<>();

    GradientSync(Collectives collectives, Module network, long bucketBytes) {
        this.collectives = collectives;
        List<Tensor> params = new ArrayList<>(Modules.parameters(network).values());
        java.util.Collections.reverse(params);                       // backward produces the last layers first
        List<Tensor> current = new ArrayList<>();
        long bytes = 0;
        for (Tensor p : params) {
            long b = p.numel() * p.element_size();
            if (!current.isEmpty() && bytes + b > bucketBytes) {
                buckets.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(p);
            bytes += b;
        }
        if (!current.isEmpty()) buckets.add(current);
    }

    /** The number of buckets. */
    public int bucketCount() {
        return buckets.size();
    }

    /** Flattens the gradients and starts every bucket's all-reduce. */
    public void launch() {
        if (!pending.isEmpty()) throw new IllegalStateException("gradient all-reduce already in flight");
        try (NoGradGuard g = new NoGradGuard()) {
            for (List<Tensor> bucket : buckets) {
                TensorVector parts = new TensorVector();
                for (Tensor p : bucket) {
                    Tensor grad = p.grad();
                    parts.push_back(grad.defined() ? grad.reshape(-1) : torch.zeros_like(p).reshape(-1));
                }
                Tensor f = torch.cat(parts, 0);                          // [bucket numel]
                flat.add(f);
                pending.add(collectives.allReduceSum(f));
            }
        }
    }

    /** Waits for the buckets and writes the averaged gradients into {@code .grad}. */
    public void finish() {
        try (NoGradGuard g = new NoGradGuard()) {
            Scalar n = new Scalar((double) collectives.size());
            for (int i = 0; i < buckets.size(); i++) {
                pending.get(i).await();
                Tensor f = flat.get(i).div_(n);
                long offset = 0;
                for (Tensor p : buckets.get(i)) {
                    long k = p.numel();
                    Tensor avg = f.narrow(0, offset, k).view(p.sizes());
                    Tensor grad = p.grad();
                    if (grad.defined()) grad.copy_(avg);
                    else p.mutable_grad().put(avg.clone());
                    offset += k;
                }
            }
        } finally {
            pending.clear();
            flat.clear();
        }
    }

    /** {@link #launch} then {@link #finish}. */
    public void run() {
        launch();
        finish();
    }
}
