package io.bigbigan.trainer.step;

import io.bigbigan.bindings.MultiTensorOps;
import io.bigbigan.bindings.NonFiniteException;
import io.bigbigan.bindings.MultiTensorOps.TensorList;
import io.bigbigan.trainer.distributed.GradientSync;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * One optimiser update of some networks, as both step trainers run it ({@link #run}):
 * <pre>
 *   zero_grad of every network
 *   for each micro-batch m:  loss_m = forward(x_m, z_m);  (loss_m / k [+ penalty at m = 0]).backward()
 *   average the gradients over the data-parallel replicas
 *   fetch the losses, gradient norms, NaN flags and the caller's metrics to the host in one transfer
 *   stop on a NaN or Inf loss or gradient (before any weight changes)
 *   Adam step of every network
 * </pre>
 * The parts it is built from are here too: the micro-batches of gradient accumulation ({@link MicroBatches}), the
 * one transfer of an update's scalars ({@link HostScalars}) and the finite checks.
 */
final class OptimiserUpdate {
    /**
     * A network taking part in an update.
     *
     * @param name its name in messages ({@code D}, {@code G}, {@code E}); its gradient norm is reported as
     *             {@code grad_norm_<name in lower case>}
     * @param sync the averaging of its gradients over the replicas ({@link GradientSync#none()} in one process)
     */
    record Net(String name, Module module, FusedAdam adam, GradientSync sync) {}

    /** The forward passes of one micro-batch and its loss (a scalar); may add metrics to {@code host}. */
    @FunctionalInterface
    interface MicroBatchLoss {
        Tensor loss(Tensor x, Tensor z, int m, HostScalars host);
    }

    /**
     * What an update fetched.
     *
     * @param loss   the batch's mean loss (over the micro-batches)
     * @param values the gradient norms ({@code grad_norm_<net>}) and what the micro-batch losses added to the host
     */
    record Fetched(double loss, Map<String, Double> values) {
        double get(String key) {
            return values.get(key);
        }
    }

    private final String name;
    private final String backwardPhase, adamPhase;
    private final PhaseTimes times;
    private final List<Net> nets;

    /**
     * The update called {@code name} ({@code D}, {@code E/G}: in messages, and in the phase names
     * {@code "<name> step: backward"}, {@code "<name> step: Adam"}) of {@code nets}, in the order their gradients are
     * checked and their optimisers step.
     */
    OptimiserUpdate(String name, PhaseTimes times, List<Net> nets) {
        this.name = name;
        this.backwardPhase = name + " step: backward";
        this.adamPhase = name + " step: Adam";
        this.times = times;
        this.nets = List.copyOf(nets);
    }

    /**
     * One update on inputs {@code x} and latents {@code z} (rows [B, ...] each) in {@code accumulation} micro-batches:
     * see the class comment. {@code penalty}, when not null, is added once (to micro-batch 0's scaled loss) before
     * its backward pass. {@code step} is the step being computed, for messages.
     *
     * @throws NonFiniteException naming the loss or the network, before any optimiser steps
     */
    Fetched run(long step, Tensor x, Tensor z, int accumulation, Supplier<Tensor> penalty, MicroBatchLoss forward) {
        MicroBatches micro = MicroBatches.of(x.size(0), accumulation);
        HostScalars host = new HostScalars();
        for (Net n : nets) n.module().zero_grad(true);                  // gradients undefined
        for (Net n : nets) n.sync().prepare(micro.count());                // averaged during backward
        for (int m = 0; m < micro.count(); m++) {
            Tensor loss = forward.loss(micro.slice(x, m), micro.slice(z, m), m, host);
            host.add("loss_" + m, loss);                                   // checked before the optimiser step
            Tensor scaled = micro.scale(loss);
            if (penalty != null && m == 0) scaled = scaled.add(penalty.get());
            try (var t = times.start(backwardPhase)) {
                scaled.backward();
            }
        }
        for (Net n : nets) n.sync().finish();                              // averaged over the replicas
        for (Net n : nets) host.addGradientCheck(normKey(n), "nonfinite_" + n.name(), n.module());
        Map<String, Double> v = host.fetch();                              // the update's one synchronisation
        double loss = micro.mean(v, "loss_", name + " loss", step);
        for (Net n : nets) requireFiniteGradients(n.name(), v.get("nonfinite_" + n.name()), step, n.module());
        for (Net n : nets) requireFiniteNorm(n.name(), v.get(normKey(n)), step, n.module());
        try (var t = times.start(adamPhase)) {
            for (Net n : nets) n.adam().step();
        }
        return new Fetched(loss, v);
    }

    private static String normKey(Net n) {
        return "grad_norm_" + n.name().toLowerCase(java.util.Locale.ROOT);
    }

    // ------------------------------------------------------------------------------------------- micro-batches

    /**
     * Gradient accumulation: one optimiser update on a batch of B examples computed as k micro-batches of B / k, to
     * fit a large effective batch (BigGAN/BigBiGAN use 2048) into limited memory. LibTorch adds gradients into
     * {@code .grad} on every {@code backward()}, so
     * <pre>
     *   optimizer.zero_grad();
     *   for each micro-batch m (m = 0..k-1):  scale(loss(slice(x, m))).backward();   // grads += d(loss_m / k)
     *   optimizer.step();
     * </pre>
     * gives exactly the gradient of the mean loss over the whole batch when the loss is a mean over examples and the
     * micro-batches are equal in size. It is <b>not</b> identical for networks with batch-wise layers: batch norm
     * then normalises with micro-batch statistics (BigGAN-PyTorch accumulates anyway and accepts this; BigGAN's G uses
     * "cross-replica" BN over the full batch), and its running statistics get k updates per step. BigBiGAN's D has no
     * batch norm, so D's gradient is exact.
     *
     * <p>With k = 1 every method returns its argument unchanged, so a step without accumulation runs the same
     * operations as one written without it.
     */
    static final class MicroBatches {
        private final int count;
        private final long size;

        private MicroBatches(int count, long size) {
            this.count = count;
            this.size = size;
        }

        /**
         * A batch of {@code batch} rows as {@code count} equal micro-batches.
         *
         * @throws IllegalArgumentException when it does not split evenly
         */
        static MicroBatches of(long batch, int count) {
            if (count < 1 || batch % count != 0)
                throw new IllegalArgumentException("batch " + batch + " does not split into " + count + " equal micro-batches");
            return new MicroBatches(count, batch / count);
        }

        /** k, the number of micro-batches. */
        int count() {
            return count;
        }

        /** Rows per micro-batch, B / k. */
        long size() {
            return size;
        }

        /** Micro-batch {@code m} of {@code t} [B, ...] along dimension 0: [B / k, ...] ({@code t} itself when k = 1). */
        Tensor slice(Tensor t, int m) {
            return count == 1 ? t : t.narrow(0, m * size, size);
        }

        /** A micro-batch's mean loss divided by k, so that the k backward passes add up the batch's mean gradient. */
        Tensor scale(Tensor loss) {
            return count == 1 ? loss : loss.div(new Scalar((double) count));
        }

        /**
         * The batch's mean loss from the fetched values {@code prefix + m} (m = 0..k-1), each checked to be finite.
         *
         * @throws NonFiniteException naming {@code what} and {@code step} for a NaN or infinite value
         */
        double mean(Map<String, Double> values, String prefix, String what, long step) {
            double mean = 0;
            for (int m = 0; m < count; m++) mean += requireFinite(what, values.get(prefix + m), step) / count;
            return mean;
        }
    }

    // -------------------------------------------------------------------------------------- the host transfer

    /**
     * Scalars an optimiser update computes on the device (losses, accuracies, gradient norms, the NaN guard's flags),
     * copied to the host together: one transfer, hence one host-device synchronisation per update instead of one
     * per value. Values are read as float64 ({@code float32 -> float64} is exact), so they equal what {@code item()}
     * gives.
     */
    static final class HostScalars {
        private record Entry(String name, int first, int count, ToDoubleFunction<double[]> combine) {}

        private final List<Tensor> tensors = new ArrayList<>();
        private final List<Entry> entries = new ArrayList<>();
        private static long transfers;              // for tests: how many fetches this JVM made

        /** A 0-dim tensor's value under {@code name}. */
        void add(String name, Tensor scalar) {
            entries.add(new Entry(name, tensors.size(), 1, v -> v[0]));
            tensors.add(scalar.detach().to(torch.ScalarType.Double).reshape(1));
        }

        /** {@code combine} of several 0-dim tensors' values (in argument order) under {@code name}. */
        void add(String name, ToDoubleFunction<double[]> combine, Tensor... scalars) {
            entries.add(new Entry(name, tensors.size(), scalars.length, combine));
            for (Tensor t : scalars) tensors.add(t.detach().to(torch.ScalarType.Double).reshape(1));
        }

        /**
         * The global gradient L2 norm of {@code net} under {@code normName} and the NaN guard's flag under
         * {@code flagName}, both from one pass over the gradients (the per-tensor L2 norms, {@code _foreach_norm}):
         * the flag is 1 when a norm is NaN or Inf, i.e. when a gradient element is NaN or Inf, or when a norm
         * overflows float32 (huge but finite gradients); {@link #requireFiniteGradients} tells the two apart, element
         * by element, only when the flag is set. Adds nothing for the flag, and 0 for the norm, without gradients.
         */
        void addGradientCheck(String normName, String flagName, Module net) {
            Tensor norms = gradientNorms(net);                                // [n], or null
            if (norms == null) {
                add(normName, v -> 0.0);
                return;
            }
            add(normName, v -> Math.sqrt(v[0]), norms.square().sum());
            add(flagName, torch.isfinite(norms).logical_not().any());
        }

        /** Copies every value to the host in one transfer and clears the list; empty when nothing was added. */
        Map<String, Double> fetch() {
            Map<String, Double> out = new LinkedHashMap<>();
            if (tensors.isEmpty()) return out;
            TensorVector all = new TensorVector(tensors.toArray(new Tensor[0]));
            Tensor host = torch.cat(all, 0).cpu().contiguous();              // [n] float64: the synchronisation
            double[] v = new double[Math.toIntExact(host.numel())];
            host.data_ptr_double().get(v);
            for (Entry e : entries) {
                double[] part = new double[e.count()];
                System.arraycopy(v, e.first(), part, 0, e.count());
                out.put(e.name(), e.combine().applyAsDouble(part));
            }
            tensors.clear();
            entries.clear();
            synchronized (HostScalars.class) {
                transfers++;
            }
            return out;
        }

        /** Fetches made so far in this JVM. */
        static synchronized long transfers() {
            return transfers;
        }
    }

    // --------------------------------------------------------------------------------------- the finite checks

    /** @throws NonFiniteException naming the loss, its value and the step, when {@code value} is NaN or Inf */
    static double requireFinite(String name, double value, long step) {
        if (!Double.isFinite(value))
            throw new NonFiniteException(name + " is " + value + " at step " + step + "; stopped before the optimiser step");
        return value;
    }

    /**
     * Stops on a NaN or Inf gradient element of {@code net}. {@code flag} (from {@link HostScalars#addGradientCheck},
     * fetched) comes from per-tensor L2 norms, which also overflow for huge but finite gradients (float32 sums of
     * squares), so a set flag is confirmed element by element here (one pass and one synchronisation, only when it
     * is set); an overflowing norm of finite gradients is {@link #requireFiniteNorm}'s to report.
     *
     * @throws NonFiniteException naming the network and the step
     */
    static void requireFiniteGradients(String name, Double flag, long step, Module net) {
        if (flag == null || flag == 0) return;
        List<Tensor> grads = gradients(net);
        // max |g| per tensor (one multi-tensor kernel); NaN propagates, so this is "some element is not finite"
        Tensor maxAbs = MultiTensorOps.norms(TensorList.of(grads), Double.POSITIVE_INFINITY);   // [n]
        if (torch.isfinite(maxAbs).logical_not().any().item_bool())
            throw new NonFiniteException("a gradient of " + name + " is NaN or Inf at step " + step
                    + "; stopped before the optimiser step");
    }

    /**
     * @throws NonFiniteException when a fetched gradient norm is NaN or Inf: the gradients are finite but so large
     *                            that their squares overflow (a learning rate far too high), and Adam's second moment
     *                            would overflow next; the message names the parameter with the largest gradient
     *                            element of {@code net}
     */
    static void requireFiniteNorm(String name, Double norm, long step, Module net) {
        if (norm == null || Double.isFinite(norm)) return;
        String largest = "?";
        double largestValue = 0;
        StringTensorDict params = net.named_parameters(true);
        try (NoGradGuard g = new NoGradGuard()) {
            for (long i = 0; i < params.size(); i++) {
                Tensor grad = params.get(i).value().grad();
                if (!grad.defined()) continue;
                double m = grad.abs().max().item_double();
                if (m > largestValue) {
                    largestValue = m;
                    largest = params.get(i).key().getString();
                }
            }
        }
        throw new NonFiniteException("the gradient norm of " + name + " is " + norm + " at step " + step
                + " (largest element " + String.format(java.util.Locale.ROOT, "%.3g", largestValue) + " in " + name + "."
                + largest + "; gradients too large for float32: a learning rate far too high, or a layer whose"
                + " output is nearly constant?); stopped before the optimiser step");
    }

    /** ||grad p|| for each parameter of {@code net} that has a gradient, [n] on the device; null when none has. */
    static Tensor gradientNorms(Module net) {
        try (NoGradGuard g = new NoGradGuard()) {
            List<Tensor> grads = gradients(net);
            if (grads.isEmpty()) return null;
            return MultiTensorOps.norms(TensorList.of(grads), 2);               // one _foreach_norm for all
        }
    }

    /** The defined gradients of {@code net}'s parameters, in parameter order. */
    static List<Tensor> gradients(Module net) {
        TensorVector ps = net.parameters(true);
        List<Tensor> out = new ArrayList<>((int) ps.size());
        for (long i = 0; i < ps.size(); i++) {
            Tensor grad = ps.get(i).grad();
            if (grad.defined()) out.add(grad);
        }
        return out;
    }
}
