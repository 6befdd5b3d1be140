package io.bigbigan.trainer.step;

import io.bigbigan.bindings.Modules;
import io.bigbigan.bindings.MultiTensorOps;
import io.bigbigan.bindings.MultiTensorOps.TensorList;
import io.bigbigan.bindings.Tensors;
import org.bytedeco.pytorch.BatchNorm2dImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringSharedModuleDict;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An exponential moving average (EMA) of a module's weights, as used for BigGAN's and BigBiGAN's generator (and
 * BigBiGAN's encoder): Brock et al. 2019 (a moving average of G's weights, decay 0.9999, used for sampling;
 * after Karras et al. 2018 and Yazici et al. 2019); Donahue &amp; Simonyan 2019 (EMA copies of G and E, with
 * batch-norm statistics handled for the copies). Following BigGAN-PyTorch's {@code utils.ema}, the copy simply tracks the live weights before
 * a configurable start step, then averages:
 * <pre>
 *   step &lt; startStep:  ema = live
 *   otherwise:         ema = ema + (1 - decay) * (live - ema)      (one multi-tensor lerp for all parameters)
 * </pre>
 *
 * <p><b>Buffers are copied, not averaged.</b> Batch-norm running statistics and spectral-norm vectors
 * ({@code weight_u}, {@code weight_v}) are taken from the live module at every update. BigGAN-PyTorch's
 * {@code ema.update} runs its average over the whole {@code state_dict}, buffers included; we copy instead because
 * (a) averaging unit vectors does not give unit vectors, so an averaged {@code weight_u}/{@code weight_v} would bias
 * sigma(W) downwards, while the live vectors are the power-iteration estimates for weights that the EMA weights
 * closely follow (decay 0.9999 averages over ~10^4 steps of small Adam updates); (b) {@code num_batches_tracked} is
 * an integer counter that cannot be averaged; (c) running statistics of the live generator are the statistics of
 * nearly the same network. BigGAN's remedy for the remaining mismatch of batch-norm statistics is "standing
 * statistics" (BigGAN-PyTorch's {@code utils.accumulate_standing_stats}), provided by {@link #recomputeBatchNormStatistics}.
 *
 * <p>Usage: construct both modules outside any {@code StepScope} (the EMA copy is a second instance of the same
 * architecture, e.g. {@code new BigGanGenerator(cfg)}), create the {@code Ema} there too, then call
 * {@link #update(long)} after each optimiser step of the live module. The tensor lists handed to ATen's
 * multi-tensor kernels are built once at construction, so an update is two calls (one {@code _foreach_lerp_} over
 * the parameters, one {@code _foreach_copy_} over the buffers).
 */
public final class Ema {
    /** BigGAN's decay (Brock et al. 2019). */
    public static final double BIGGAN_DECAY = 0.9999;

    private final Module live, ema;
    private final double decay;
    private final long startStep;
    private final TensorList liveParamList, emaParamList;     // same order, same shapes
    private final TensorList liveBufferList, emaBufferList;
    private final List<String> parameterNames, bufferNames;

    /**
     * Pairs {@code live} with its EMA copy {@code ema} and initialises the copy to the live state (parameters and
     * buffers), as BigGAN-PyTorch does.
     *
     * @param live      the trained module
     * @param ema       a separately built module of the same architecture (same parameter/buffer names and shapes)
     * @param decay     in [0, 1); BigGAN uses {@link #BIGGAN_DECAY}
     * @param startStep updates with {@code step < startStep} copy the live weights instead of averaging
     * @throws IllegalArgumentException if the modules differ in names or shapes, or decay is out of range
     */
    public Ema(Module live, Module ema, double decay, long startStep) {
        if (live == null || ema == null) throw new IllegalArgumentException("ema: live and ema modules are required");
        if (live == ema) throw new IllegalArgumentException("ema: the EMA copy must be a separate module instance");
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("ema: decay must be in [0, 1), got " + decay);
        if (startStep < 0) throw new IllegalArgumentException("ema: startStep must be >= 0, got " + startStep);
        this.live = live;
        this.ema = ema;
        this.decay = decay;
        this.startStep = startStep;
        Map<String, Tensor> lp = Modules.parameters(live), ep = Modules.parameters(ema);
        Map<String, Tensor> lb = Modules.buffers(live), eb = Modules.buffers(ema);
        check("parameters", lp, ep);
        check("buffers", lb, eb);
        parameterNames = List.copyOf(lp.keySet());
        bufferNames = List.copyOf(lb.keySet());
        liveParamList = TensorList.of(List.copyOf(lp.values()));          // the lists hold the tensors
        emaParamList = TensorList.of(parameterNames.stream().map(ep::get).toList());
        liveBufferList = TensorList.of(List.copyOf(lb.values()));
        emaBufferList = TensorList.of(bufferNames.stream().map(eb::get).toList());
        copyFromLive();
    }

    /** With BigGAN's decay 0.9999 and averaging from the first update. */
    public Ema(Module live, Module ema) {
        this(live, ema, BIGGAN_DECAY, 0);
    }

    /**
     * Updates the copy after optimiser step {@code step}: a plain copy of the live state while
     * {@code step < startStep}, otherwise {@code ema = lerp(ema, live, 1 - decay)} for every parameter; buffers
     * are always copied (see the class comment). Runs without gradient tracking.
     */
    public void update(long step) {
        if (step < startStep) {
            copyFromLive();
            return;
        }
        try (NoGradGuard g = new NoGradGuard()) {
            MultiTensorOps.lerp(emaParamList, liveParamList, 1 - decay);
            MultiTensorOps.copy(emaBufferList, liveBufferList);
        }
    }

    /** Sets the copy's parameters and buffers to the live module's. */
    public void copyFromLive() {
        try (NoGradGuard g = new NoGradGuard()) {
            MultiTensorOps.copy(emaParamList, liveParamList);
            MultiTensorOps.copy(emaBufferList, liveBufferList);
        }
    }

    /**
     * BigGAN's "standing statistics" (BigGAN-PyTorch {@code accumulate_standing_stats}) for the EMA copy: resets the running
     * statistics of every {@code BatchNorm2d} inside the copy and re-estimates them as the plain (cumulative, i.e.
     * PyTorch {@code momentum=None}) average over {@code passes} forward passes. Only the batch-norm layers run in
     * training mode; everything else (e.g. spectral norm's power iteration) stays in evaluation mode. Afterwards the
     * copy is left in evaluation mode and the momenta are restored.
     *
     * <p>Note that the next {@link #update} copies the live statistics back; call this right before sampling or
     * evaluating the EMA copy. Run it inside a {@code StepScope}.
     *
     * @param passes  number of forward passes (BigGAN-PyTorch uses 16)
     * @param forward runs one forward pass of the EMA copy (e.g. {@code m -> G.forward(sampleLatent(b))}), given
     *                the copy; runs under {@code NoGradGuard}
     * @return the number of batch-norm layers re-estimated
     */
    public int recomputeBatchNormStatistics(int passes, Consumer<Module> forward) {
        if (passes < 1) throw new IllegalArgumentException("ema: standing statistics need passes >= 1, got " + passes);
        List<BatchNorm2dImpl> norms = new ArrayList<>();
        StringSharedModuleDict modules = ema.named_modules();
        for (long i = 0; i < modules.size(); i++) {
            BatchNorm2dImpl bn = modules.get(i).value().asBatchNorm2d();
            if (bn != null && !bn.isNull()) norms.add(bn);
        }
        double[] momenta = new double[norms.size()];
        boolean[] hadMomentum = new boolean[norms.size()];
        ema.eval();
        try {
            for (int i = 0; i < norms.size(); i++) {
                BatchNorm2dImpl bn = norms.get(i);
                hadMomentum[i] = bn.options().momentum().has_value();
                momenta[i] = hadMomentum[i] ? bn.options().momentum().get() : 0;
                bn.options().momentum().reset();           // momentum None: cumulative moving average
                bn.reset_running_stats();
                bn.train(true);
            }
            try (NoGradGuard g = new NoGradGuard()) {
                for (int p = 0; p < passes; p++) forward.accept(ema);
            }
        } finally {
            for (int i = 0; i < norms.size(); i++) {
                if (hadMomentum[i]) norms.get(i).options().momentum().put(momenta[i]);
                norms.get(i).train(false);
            }
            ema.eval();
        }
        return norms.size();
    }

    /** The EMA copy (use it in evaluation mode for sampling/encoding). */
    public Module module() { return ema; }

    /** The live module being averaged. */
    public Module live() { return live; }

    public double decay() { return decay; }

    public long startStep() { return startStep; }

    /** Names of the averaged parameters, in order. */
    public List<String> parameterNames() { return parameterNames; }

    /** Names of the copied buffers, in order. */
    public List<String> bufferNames() { return bufferNames; }

    private static void check(String what, Map<String, Tensor> live, Map<String, Tensor> ema) {
        StringBuilder problems = new StringBuilder();
        for (String k : live.keySet()) if (!ema.containsKey(k)) problems.append("\n  missing in EMA copy: ").append(k);
        for (String k : ema.keySet()) if (!live.containsKey(k)) problems.append("\n  only in EMA copy: ").append(k);
        for (var e : live.entrySet()) {
            Tensor o = ema.get(e.getKey());
            if (o == null) continue;
            if (!Arrays.equals(Tensors.shape(o), Tensors.shape(e.getValue())))
                problems.append("\n  shape of ").append(e.getKey()).append(": live ")
                        .append(Arrays.toString(Tensors.shape(e.getValue()))).append(", EMA ")
                        .append(Arrays.toString(Tensors.shape(o)));
            else if (e.getValue().scalar_type().intern() != o.scalar_type().intern())
                problems.append("\n  dtype of ").append(e.getKey()).append(" differs");
        }
        if (!problems.isEmpty())
            throw new IllegalArgumentException("ema: the modules' " + what + " do not match:" + problems);
    }
}
