package io.bigbigan.trainer.step;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Scalars an optimiser update computes on the device (losses, accuracies, gradient norms, the NaN guard's flags),
 * copied to the host together: one transfer, hence one host-device synchronisation per update instead of one per
 * value. Values are read as float64 ({@code float32 -> float64} is exact), so they equal what {@code item()} gave.
 */
final class HostScalars {
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
     * {@code flagName}, both from one pass over the gradients (the per-tensor L2 norms, {@code _foreach_norm}): the
     * flag is 1 when a norm is NaN or Inf, i.e. when a gradient element is NaN or Inf, or when a norm overflows
     * float32 (huge but finite gradients); {@link Finite#requireFiniteGradients(String, Double, long, org.bytedeco.pytorch.Module)}
     * tells the two apart, element by element, only when the flag is set. Until this build a separate max-abs pass
     * over every gradient decided the flag on every update. Adds nothing for the flag, and 0 for the norm, without
     * gradients.
     */
    void addGradientCheck(String normName, String flagName, org.bytedeco.pytorch.Module net) {
        Tensor norms = TrainingMonitors.gradientNorms(net);                 // [n], or null
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
        Tensor host = torch.cat(all, 0).cpu().contiguous();                  // [n] float64: the synchronisation
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
