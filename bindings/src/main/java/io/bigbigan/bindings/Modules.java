package io.bigbigan.bindings;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItem;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

import java.util.LinkedHashMap;
import java.util.Map;

/** Module helpers: named parameters and buffers (PyTorch-style dotted names), counts, weight copies. */
public final class Modules {
    private Modules() {}

    /** Parameters by dotted name, in registration order. */
    public static Map<String, Tensor> parameters(Module m) {
        return toMap(m.named_parameters(true));
    }

    /** Buffers (running statistics, power-iteration vectors) by dotted name, in registration order. */
    public static Map<String, Tensor> buffers(Module m) {
        return toMap(m.named_buffers(true));
    }

    /** Parameters followed by buffers: everything a checkpoint must hold, like PyTorch's state_dict. */
    public static Map<String, Tensor> state(Module m) {
        Map<String, Tensor> out = parameters(m);
        out.putAll(buffers(m));
        return out;
    }

    /** The total number of parameter elements. */
    public static long parameterCount(Module m) {
        long n = 0;
        for (Tensor t : parameters(m).values()) n += t.numel();
        return n;
    }

    /** Turns gradient tracking of every parameter of {@code m} on or off. */
    public static void requiresGrad(Module m, boolean on) {
        TensorVector ps = m.parameters(true);
        for (long i = 0; i < ps.size(); i++) ps.get(i).requires_grad_(on);
    }

    /**
     * Copies {@code src}'s state (parameters and buffers) into {@code dst}, matching by name.
     *
     * @throws IllegalArgumentException listing missing, unexpected or mis-shaped names
     */
    public static void copyState(Map<String, Tensor> src, Module dst) {
        Map<String, Tensor> target = state(dst);
        StringBuilder problems = new StringBuilder();
        for (String k : target.keySet()) if (!src.containsKey(k)) problems.append("\n  missing: ").append(k);
        for (String k : src.keySet()) if (!target.containsKey(k)) problems.append("\n  unexpected: ").append(k);
        for (var e : target.entrySet()) {
            Tensor s = src.get(e.getKey());
            if (s != null && s.is_floating_point() != e.getValue().is_floating_point())
                problems.append("\n  dtype of ").append(e.getKey()).append(": ")
                        .append(Safetensors.dtypeName(s.scalar_type())).append(" vs expected ")
                        .append(Safetensors.dtypeName(e.getValue().scalar_type()));
            else if (s != null && !java.util.Arrays.equals(Tensors.shape(s), Tensors.shape(e.getValue())))
                problems.append("\n  shape of ").append(e.getKey()).append(": ")
                        .append(java.util.Arrays.toString(Tensors.shape(s))).append(" vs expected ")
                        .append(java.util.Arrays.toString(Tensors.shape(e.getValue())));
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException("state does not match the model:" + problems);
        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : target.entrySet()) e.getValue().copy_(src.get(e.getKey()));
        }
    }

    private static Map<String, Tensor> toMap(StringTensorDict d) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (long i = 0; i < d.size(); i++) {
            StringTensorDictItem it = d.get(i);
            out.put(it.key().getString(), new Tensor(it.value()));   // owning: value() refers into d
        }
        return out;
    }
}
