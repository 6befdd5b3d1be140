package io.bigbigan.bindings;

import org.bytedeco.pytorch.CompilationUnit;
import org.bytedeco.pytorch.Function;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.List;

/**
 * ATen's fused and multi-tensor ({@code _foreach_*}) kernels, which the JavaCPP presets leave unmapped (they skip
 * operators whose names start with an underscore). They are reached through a small TorchScript compilation unit
 * compiled once per process; each call is one interpreter call that dispatches one kernel per op for the whole list
 * (on CUDA: a handful of launches instead of one or more per tensor).
 *
 * <p>Lists are passed as {@link TensorList}s. A list only references its tensors (no copy), so a list built once
 * over long-lived tensors (parameters, optimiser moments) can be reused every step; the tensors must then never be
 * replaced, only updated in place. All tensors of one call must share device and dtype.
 */
public final class MultiTensorOps {
    private static final String SOURCE = """
            def adam(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor],
                     steps: List[Tensor], lr: float, beta1: float, beta2: float, eps: float, weight_decay: float):
                torch._foreach_add_(steps, 1.0)
                torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=lr, beta1=beta1, beta2=beta2,
                                   weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)

            def lerp(selves: List[Tensor], ends: List[Tensor], weight: float):
                torch._foreach_lerp_(selves, ends, weight)

            def copy(selves: List[Tensor], sources: List[Tensor]):
                torch._foreach_copy_(selves, sources)

            def norms(tensors: List[Tensor], ord: float) -> Tensor:
                return torch.stack(torch._foreach_norm(tensors, ord))

            def tensor_list() -> List[Tensor]:
                out: List[Tensor] = []
                return out
            """;

    private static CompilationUnit unit;                  // owns the functions: must stay reachable
    private static Function adam, lerp, copy, norms;
    private static GenericList emptyTensorList;

    private MultiTensorOps() {}

    /** A TorchScript {@code List[Tensor]} over existing tensors (references, not copies). */
    public static final class TensorList {
        private final IValue value;
        private final int size;

        private TensorList(IValue value, int size) {
            this.value = value;
            this.size = size;
        }

        /**
         * A list of {@code tensors}. Built outside a {@code StepScope} it lives as long as this object; built
         * inside one it is released with the scope.
         */
        public static TensorList of(List<Tensor> tensors) {
            // A fresh List[Tensor] made by TorchScript: it carries the interned element type (building the type
            // from Java, TypePtr(TensorType.get()), makes a second owner of the TensorType singleton).
            GenericList list = newTensorList();
            list.reserve(tensors.size());
            for (Tensor t : tensors) list.push_back(new IValue(t));
            return new TensorList(new IValue(list), tensors.size());
        }

        public int size() {
            return size;
        }
    }

    /**
     * One Adam step (torch.optim.Adam with {@code fused=True}; L2 weight decay, no AMSGrad) over every tensor of
     * the lists: first {@code steps += 1} (one float32 scalar tensor per parameter, on the parameters' device), then
     * {@code exp_avg = b1 exp_avg + (1-b1) g}, {@code exp_avg_sq = b2 exp_avg_sq + (1-b2) g^2} and
     * {@code p -= lr / (1-b1^t) * exp_avg / (sqrt(exp_avg_sq / (1-b2^t)) + eps)}.
     */
    public static void adam(TensorList params, TensorList grads, TensorList expAvgs, TensorList expAvgSqs,
                            TensorList steps, double lr, double beta1, double beta2, double eps, double weightDecay) {
        int n = params.size;
        if (grads.size != n || expAvgs.size != n || expAvgSqs.size != n || steps.size != n)
            throw new IllegalArgumentException("adam: lists differ in length (" + n + ", " + grads.size + ", "
                    + expAvgs.size + ", " + expAvgSqs.size + ", " + steps.size + ")");
        if (n == 0) return;
        functions();
        adam.run(new IValueVector(params.value, grads.value, expAvgs.value, expAvgSqs.value, steps.value,
                new IValue(lr), new IValue(beta1), new IValue(beta2), new IValue(eps), new IValue(weightDecay)));
    }

    /** {@code selves[i] += weight * (ends[i] - selves[i])} for every i, in place. */
    public static void lerp(TensorList selves, TensorList ends, double weight) {
        if (selves.size != ends.size) throw new IllegalArgumentException("lerp: lists differ in length");
        if (selves.size == 0) return;
        functions();
        lerp.run(new IValueVector(selves.value, ends.value, new IValue(weight)));
    }

    /** {@code selves[i].copy_(sources[i])} for every i. */
    public static void copy(TensorList selves, TensorList sources) {
        if (selves.size != sources.size) throw new IllegalArgumentException("copy: lists differ in length");
        if (selves.size == 0) return;
        functions();
        copy.run(new IValueVector(selves.value, sources.value));
    }

    /**
     * The vector norm of order {@code ord} (2, or {@code Double.POSITIVE_INFINITY} for the largest magnitude) of each
     * tensor, as one float32 tensor {@code [n]} on the tensors' device ({@code _foreach_norm}). A tensor holding NaN
     * gets NaN.
     */
    public static Tensor norms(TensorList tensors, double ord) {
        if (tensors.size == 0) throw new IllegalArgumentException("norms: empty list");
        functions();
        return norms.apply(new IValueVector(tensors.value, new IValue(ord))).toTensor();
    }

    private static GenericList newTensorList() {
        functions();
        return emptyTensorList.copy();                         // a new list object with the element type
    }

    private static synchronized void functions() {
        if (adam != null) return;
        // Process-lifetime objects: retained, so that a StepScope open on this thread does not release them.
        CompilationUnit u = torch.compile(SOURCE);
        u.retainReference();
        unit = u;
        GenericList empty = function("tensor_list").apply(new IValueVector()).toList();
        empty.retainReference();
        emptyTensorList = empty;
        lerp = function("lerp");
        copy = function("copy");
        norms = function("norms");
        adam = function("adam");                                // last: the others are set once it is
    }

    private static Function function(String name) {
        Function f = unit.get_function(new QualifiedName(name));
        f.retainReference();
        return f;
    }
}
