package io.bigbigan.bindings;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The native-memory scope of one training or evaluation step. Every tensor wrapper created while it is open is
 * released when it closes, so native memory stays flat over a run (without it, ~1 MB per step leaks until the
 * Java GC happens to run).
 *
 * <p>Create modules, optimisers, EMA copies and generators before opening a scope: anything created inside is
 * released at close. Extract Java values (e.g. {@code loss.item_float()}) inside, or {@link #keep} a tensor.
 * <pre>{@code
 * try (StepScope s = StepScope.open()) { float loss = step(batch).item_float(); }
 * }</pre>
 */
public final class StepScope implements AutoCloseable {
    private final PointerScope parent;      // the scope that was innermost when this one opened, or null
    private final PointerScope scope;

    private StepScope() {
        parent = PointerScope.getInnerScope();
        scope = new PointerScope();
    }

    /** Opens a scope on the current thread. */
    public static StepScope open() {
        return new StepScope();
    }

    /**
     * Lets {@code t} outlive this scope; the caller owns it afterwards and releases it with
     * {@link #release(Tensor)} (or {@code close()}) when done.
     */
    public static Tensor keep(Tensor t) {
        t.retainReference();
        return t;
    }

    /**
     * A new handle on {@code t} that belongs to the scope that was innermost when this one opened: it survives this
     * scope's close and is released with that one ({@code t} itself is left to whoever owns it, so any tensor may be
     * exported, also one the caller owns). Nested scopes thus free a phase's intermediate tensors as soon as the phase
     * ends (e.g. one forward pass inside a training step: autograd keeps what backward needs) while its results live
     * on. Without an enclosing scope the caller releases the handle ({@link #release}). Null stays null.
     */
    public Tensor export(Tensor t) {
        if (t == null) return null;
        Tensor handle = new Tensor(t);                 // same tensor, new wrapper (in the innermost scope)
        if (parent != null) parent.attach(handle);
        else handle.retainReference();
        return handle;
    }

    /** Releases a tensor previously escaped with {@link #keep}. */
    public static void release(Tensor t) {
        t.releaseReference();
    }

    @Override
    public void close() {
        scope.close();
    }
}
