package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.MultiTensorOps;
import io.bigbigan.bindings.MultiTensorOps.TensorList;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma &amp; Ba 2015; torch.optim.Adam semantics, no weight decay, no AMSGrad) whose update is ATen's fused
 * kernel: one {@code _fused_adam_} call updates every parameter of a network, so a step costs a few kernel launches
 * on CUDA instead of about ten per parameter tensor as LibTorch's C++ {@code torch::optim::Adam} (a loop over
 * parameters) does. The arithmetic is Adam's: after {@code t} steps,
 * <pre>
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,   p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 *
 * <p>State (the moments {@code exp_avg}, {@code exp_avg_sq} and a float32 step count per parameter) lives on the
 * parameters' device and is created at construction, so create the optimiser outside any {@code StepScope}.
 * Parameters without a gradient at a step are skipped, as in LibTorch.
 *
 * <p><b>Checkpoints.</b> {@link #save} writes the format {@code bigbigan-adam} version 1: for parameter i,
 * {@code name/i}, {@code step/i}, {@code exp_avg/i} and {@code exp_avg_sq/i}, plus the hyper-parameters.
 * {@link #load} reads it and also LibTorch's {@code torch::optim::Adam} archive, the format of checkpoints whose
 * optimiser state was written by LibTorch's own Adam: its parameter group lists the state keys in parameter order.
 */
public final class FusedAdam {
    static final String FORMAT = "bigbigan-adam";
    static final long VERSION = 1;

    private final List<String> names;
    private final Tensor[] params, expAvg, expAvgSq, steps;
    private final TensorList paramList, expAvgList, expAvgSqList, stepList;
    private final double lr, beta1, beta2, eps;

    /** Adam over {@code module}'s parameters (in {@code named_parameters} order). */
    public FusedAdam(Module module, double lr, double beta1, double beta2, double eps) {
        this(Modules.parameters(module), lr, beta1, beta2, eps);
    }

    /**
     * Adam over {@code params} (name to tensor; the names are checked when a checkpoint is loaded).
     *
     * @throws IllegalArgumentException for a bad hyper-parameter or a parameter that is not a floating tensor
     */
    public FusedAdam(Map<String, Tensor> params, double lr, double beta1, double beta2, double eps) {
        if (!(lr >= 0)) throw new IllegalArgumentException("adam: learning rate must be >= 0, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("adam: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("adam: eps must be > 0, got " + eps);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.names = List.copyOf(params.keySet());
        int n = names.size();
        this.params = params.values().toArray(Tensor[]::new);
        expAvg = new Tensor[n];
        expAvgSq = new Tensor[n];
        steps = new Tensor[n];
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < n; i++) {
                Tensor p = this.params[i];
                if (!p.is_floating_point())
                    throw new IllegalArgumentException("adam: parameter " + names.get(i) + " is not floating point");
                expAvg[i] = torch.zeros_like(p);
                expAvgSq[i] = torch.zeros_like(p);
                steps[i] = torch.zeros(new long[]{}, new TensorOptions(torch.ScalarType.Float))
                        .to(p.device(), torch.ScalarType.Float, false, false, new org.bytedeco.pytorch.MemoryFormatOptional());
            }
        }
        paramList = TensorList.of(Arrays.asList(this.params));
        expAvgList = TensorList.of(Arrays.asList(expAvg));
        expAvgSqList = TensorList.of(Arrays.asList(expAvgSq));
        stepList = TensorList.of(Arrays.asList(steps));
    }

    /** Sets every parameter's gradient to undefined (LibTorch's {@code zero_grad(set_to_none=true)}). */
    public void zero_grad() {
        for (Tensor p : params) {
            Tensor grad = p.mutable_grad();
            if (grad.defined()) grad.reset();
        }
    }

    /** One Adam update of every parameter that has a gradient. */
    public void step() {
        int n = params.length;
        List<Tensor> grads = new ArrayList<>(n);
        List<Integer> with = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Tensor g = params[i].grad();
            if (g.defined()) {
                grads.add(g);
                with.add(i);
            }
        }
        if (with.isEmpty()) return;
        try (NoGradGuard ng = new NoGradGuard()) {
            if (with.size() == n) {
                MultiTensorOps.adam(paramList, TensorList.of(grads), expAvgList, expAvgSqList, stepList,
                        lr, beta1, beta2, eps, 0.0);
            } else {
                MultiTensorOps.adam(subset(params, with), TensorList.of(grads), subset(expAvg, with),
                        subset(expAvgSq, with), subset(steps, with), lr, beta1, beta2, eps, 0.0);
            }
        }
    }

    /** The parameter names, in order. */
    public List<String> names() {
        return names;
    }

    /** Steps taken by parameter {@code i} (reads the device). */
    public long stepCount(int i) {
        return Math.round(steps[i].item_double());
    }

    /**
     * The first state tensor that no Adam update could have produced, e.g. {@code exp_avg_sq of fc.weight}: a NaN or
     * infinite moment, a negative second moment (its square root is NaN) or a non-finite step count; null when the
     * state is sound. Checked when a checkpoint is written and read, so that a damaged state stops the run instead of
     * turning the weights into NaN at the next step.
     */
    public String firstNonFinite() {
        try (io.bigbigan.bindings.StepScope s = io.bigbigan.bindings.StepScope.open()) {
            for (int i = 0; i < params.length; i++) {
                if (!torch.isfinite(expAvg[i]).all().item_bool()) return "exp_avg of " + names.get(i);
                if (!torch.isfinite(expAvgSq[i]).all().item_bool() || expAvgSq[i].numel() > 0
                        && expAvgSq[i].min().item_double() < 0) return "exp_avg_sq of " + names.get(i);
                if (!Double.isFinite(steps[i].item_double()) || steps[i].item_double() < 0) return "step of " + names.get(i);
            }
        }
        return null;
    }

    /** The learning rate. */
    public double lr() {
        return lr;
    }

    /** Writes the state (format {@code bigbigan-adam} v1, see the class comment) into {@code archive}. */
    public void save(OutputArchive archive) {
        archive.write("format", new IValue(FORMAT));
        archive.write("version", new IValue(VERSION));
        archive.write("size", new IValue((long) params.length));
        archive.write("lr", new IValue(lr));
        archive.write("beta1", new IValue(beta1));
        archive.write("beta2", new IValue(beta2));
        archive.write("eps", new IValue(eps));
        for (int i = 0; i < params.length; i++) {
            archive.write("name/" + i, new IValue(names.get(i)));
            archive.write("step/" + i, new IValue(stepCount(i)));
            archive.write("exp_avg/" + i, expAvg[i]);
            archive.write("exp_avg_sq/" + i, expAvgSq[i]);
        }
    }

    /**
     * Restores the state from {@code archive}: this class's format or LibTorch's Adam archive. Tensors are copied
     * into this optimiser's state on its device.
     *
     * @throws IllegalArgumentException if the archive holds another number of parameters, other names (format v1)
     *                                  or other shapes, or a newer format version
     */
    public void load(InputArchive archive) {
        IValue format = new IValue();
        if (archive.try_read("format", format)) loadOwn(archive, format);
        else loadLibTorch(archive);
    }

    private void loadOwn(InputArchive a, IValue format) {
        if (!format.isString() || !FORMAT.equals(format.toStringRef().getString()))
            throw new IllegalArgumentException("not a " + FORMAT + " optimiser state");
        long version = readInt(a, "version");
        if (version > VERSION)
            throw new IllegalArgumentException("optimiser state format version " + version
                    + " is newer than this build's (" + VERSION + ")");
        int n = (int) readInt(a, "size");
        checkCount(n);
        for (int i = 0; i < n; i++) {
            IValue name = new IValue();
            a.read("name/" + i, name);
            String saved = name.toStringRef().getString();
            if (!saved.equals(names.get(i)))
                throw new IllegalArgumentException("optimiser state of parameter " + i + " is for '" + saved
                        + "', expected '" + names.get(i) + "'");
            restore(i, readInt(a, "step/" + i), read(a, "exp_avg/" + i), read(a, "exp_avg_sq/" + i));
        }
    }

    /** LibTorch's layout: param_groups/param_groups/0/params/{size,i} name the state/KEY sub-archives in order. */
    private void loadLibTorch(InputArchive a) {
        InputArchive groups = new InputArchive(), state = new InputArchive(), group = new InputArchive();
        a.read("param_groups", groups);
        Tensor size = new Tensor();
        if (groups.try_read("param_groups/size", size) && size.item_long() != 1)
            throw new IllegalArgumentException("LibTorch Adam state has " + size.item_long()
                    + " parameter groups, expected 1");
        if (!groups.try_read("param_groups/0", group))
            throw new IllegalArgumentException("LibTorch Adam state without a parameter group" + keys(groups.keys()));
        a.read("state", state);
        int n = (int) read(group, "params/size").item_long();
        checkCount(n);
        for (int i = 0; i < n; i++) {
            IValue key = new IValue();
            group.read("params/" + i, key);
            InputArchive s = new InputArchive();
            if (!state.try_read(key.toStringRef().getString(), s)) continue;      // never stepped: fresh state
            restore(i, readInt(s, "step"), read(s, "exp_avg"), read(s, "exp_avg_sq"));
        }
    }

    private static String keys(StringVector v) {
        StringBuilder b = new StringBuilder();
        for (long i = 0; i < v.size(); i++) b.append(i == 0 ? " (" : ", ").append(v.get(i).getString());
        return b.append(v.size() > 0 ? ")" : "").toString();
    }

    private void restore(int i, long step, Tensor m, Tensor v) {
        if (!Arrays.equals(Tensors.shape(m), Tensors.shape(params[i]))
                || !Arrays.equals(Tensors.shape(v), Tensors.shape(params[i])))
            throw new IllegalArgumentException("optimiser state of " + names.get(i) + " has shape "
                    + Arrays.toString(Tensors.shape(m)) + ", the parameter " + Arrays.toString(Tensors.shape(params[i])));
        try (NoGradGuard g = new NoGradGuard()) {
            expAvg[i].copy_(m);
            expAvgSq[i].copy_(v);
            steps[i].fill_(new org.bytedeco.pytorch.Scalar((double) step));
        }
    }

    private void checkCount(int n) {
        if (n != params.length)
            throw new IllegalArgumentException("optimiser state holds " + n + " parameters, the network has "
                    + params.length);
    }

    private static Tensor read(InputArchive a, String key) {
        Tensor t = new Tensor();
        a.read(key, t);
        return t;
    }

    private static long readInt(InputArchive a, String key) {
        IValue v = new IValue();
        a.read(key, v);
        return v.toInt();
    }

    private static TensorList subset(Tensor[] all, List<Integer> idx) {
        List<Tensor> out = new ArrayList<>(idx.size());
        for (int i : idx) out.add(all[i]);
        return TensorList.of(out);
    }
}
